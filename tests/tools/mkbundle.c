/* mkbundle: writes a launch bundle file from command-line options, for
 * tests that boot sporeinit without `sporectl launch`. The file is padded
 * to SPORE_BUNDLE_ALIGN so that a loop device carries all of it.
 * Usage: mkbundle --out FILE [options] -- ARGV... (see --help) */
#include <spore/bundle.h>

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct spore_bundle b;

static void usage(FILE *f)
{
	fputs("Usage: mkbundle --out FILE [options] -- COMMAND [ARG...]\n"
	      "  --image-dev NAME      image block device (default xvda)\n"
	      "  --env K=V             environment entry (repeatable)\n"
	      "  --user SPEC           user[:group]\n"
	      "  --workdir DIR         working directory\n"
	      "  --hostname NAME\n"
	      "  --tty                 container gets the console as its tty\n"
	      "  --stdin               console input reaches the container\n"
	      "  --overlay-size BYTES  tmpfs upper layer size\n"
	      "  --ipv4 ADDR/PREFIX    --gw4 ADDR\n"
	      "  --ipv6 ADDR/PREFIX    --gw6 ADDR\n"
	      "  --mtu N               --dns ADDR (repeatable)\n"
	      "  --volume DEV:TARGET:FSTYPE[:ro|:file] (repeatable; file: a host file's)\n"
	      "  --tmpfs TARGET:SIZE:OCTALMODE:FLAGS (repeatable; FLAGS: SPORE_TMPFS_* bits)\n"
	      "  --read-only           the container's root is read-only\n"
	      "  --upper-dev NAME      ext4 device for the overlay's upper layer\n"
	      "  --stop-timeout SECONDS\n",
	      f);
}

__attribute__((noreturn)) static void die(const char *what, const char *arg)
{
	fprintf(stderr, "mkbundle: %s: %s\n", what, arg);
	exit(2);
}

static unsigned prefix_of(char *s, unsigned max)
{
	char *slash = strchr(s, '/'), *end;
	unsigned long v;

	if (!slash)
		die("address needs /PREFIX", s);
	*slash = '\0';
	v = strtoul(slash + 1, &end, 10);
	if (*end || v > max)
		die("bad prefix", slash + 1);
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	enum { O_OUT = 256, O_DEV, O_ENV, O_USER, O_WD, O_HOST, O_TTY, O_STDIN, O_OVL, O_IP4,
	       O_GW4, O_IP6, O_GW6, O_MTU, O_DNS, O_VOL, O_STOP, O_TMPFS, O_RO, O_UPPER };
	static const struct option opts[] = {
		{"out", 1, 0, O_OUT}, {"image-dev", 1, 0, O_DEV}, {"env", 1, 0, O_ENV},
		{"user", 1, 0, O_USER}, {"workdir", 1, 0, O_WD}, {"hostname", 1, 0, O_HOST},
		{"tty", 0, 0, O_TTY}, {"stdin", 0, 0, O_STDIN}, {"overlay-size", 1, 0, O_OVL},
		{"ipv4", 1, 0, O_IP4}, {"gw4", 1, 0, O_GW4}, {"ipv6", 1, 0, O_IP6},
		{"gw6", 1, 0, O_GW6}, {"mtu", 1, 0, O_MTU}, {"dns", 1, 0, O_DNS},
		{"volume", 1, 0, O_VOL}, {"stop-timeout", 1, 0, O_STOP},
		{"tmpfs", 1, 0, O_TMPFS}, {"read-only", 0, 0, O_RO}, {"upper-dev", 1, 0, O_UPPER}, {"help", 0, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *out = NULL, *why = "";
	uint8_t *buf;
	size_t len;
	int c;

	spore_bundle_init(&b);
	b.image_dev = SPORE_BUNDLE_IMAGE_DEV;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_OUT: out = optarg; break;
		case O_DEV: b.image_dev = optarg; break;
		case O_ENV:
			if (b.envc >= SPORE_BUNDLE_MAX_ENV)
				die("too many", "--env");
			b.envp[b.envc++] = optarg;
			break;
		case O_USER: b.user = optarg; break;
		case O_WD: b.workdir = optarg; break;
		case O_HOST: b.hostname = optarg; break;
		case O_TTY: b.tty = true; break;
		case O_STDIN: b.stdin_open = true; break;
		case O_OVL: b.overlay_size = strtoull(optarg, NULL, 0); break;
		case O_IP4:
			b.ipv4.prefix = (uint8_t)prefix_of(optarg, 32);
			if (inet_pton(AF_INET, optarg, b.ipv4.addr) != 1)
				die("bad IPv4 address", optarg);
			b.has_ipv4 = true;
			break;
		case O_GW4:
			if (inet_pton(AF_INET, optarg, b.ipv4.gateway) != 1)
				die("bad IPv4 gateway", optarg);
			break;
		case O_IP6:
			b.ipv6.prefix = (uint8_t)prefix_of(optarg, 128);
			if (inet_pton(AF_INET6, optarg, b.ipv6.addr) != 1)
				die("bad IPv6 address", optarg);
			b.has_ipv6 = true;
			break;
		case O_GW6:
			if (inet_pton(AF_INET6, optarg, b.ipv6.gateway) != 1)
				die("bad IPv6 gateway", optarg);
			break;
		case O_MTU: b.mtu = (uint32_t)strtoul(optarg, NULL, 10); break;
		case O_DNS:
			if (b.ndns >= SPORE_BUNDLE_MAX_DNS)
				die("too many", "--dns");
			if (inet_pton(AF_INET, optarg, b.dns[b.ndns].addr) == 1)
				b.dns[b.ndns].len = 4;
			else if (inet_pton(AF_INET6, optarg, b.dns[b.ndns].addr) == 1)
				b.dns[b.ndns].len = 16;
			else
				die("bad DNS server", optarg);
			b.ndns++;
			break;
		case O_VOL: {
			struct spore_bundle_volume *v = &b.volumes[b.nvolumes];
			char *t, *f, *ro;
			if (b.nvolumes >= SPORE_BUNDLE_MAX_VOLUMES)
				die("too many", "--volume");
			if (!(t = strchr(optarg, ':')) || !(f = strchr(t + 1, ':')))
				die("volume needs DEV:TARGET:FSTYPE", optarg);
			*t++ = '\0';
			*f++ = '\0';
			if ((ro = strchr(f, ':'))) {
				*ro++ = '\0';
				if (!strcmp(ro, "file"))
					v->ro = v->file = true;
				else if (!strcmp(ro, "ro"))
					v->ro = true;
				else
					die("volume option must be ro or file", ro);
			}
			v->device = optarg;
			v->target = t;
			v->fstype = f;
			b.nvolumes++;
			break;
		}
		case O_TMPFS: {
			struct spore_bundle_tmpfs *t = &b.tmpfs[b.ntmpfs];
			char *sz, *mode, *fl;
			if (b.ntmpfs >= SPORE_BUNDLE_MAX_TMPFS)
				die("too many", "--tmpfs");
			if (!(sz = strchr(optarg, ':')) || !(mode = strchr(sz + 1, ':')) ||
			    !(fl = strchr(mode + 1, ':')))
				die("tmpfs needs TARGET:SIZE:MODE:FLAGS", optarg);
			*sz++ = *mode++ = *fl++ = '\0';
			t->target = optarg;
			t->size = strtoull(sz, NULL, 0);
			t->mode = (uint32_t)strtoul(mode, NULL, 8);
			t->flags = (uint8_t)strtoul(fl, NULL, 0);
			b.ntmpfs++;
			break;
		}
		case O_RO: b.read_only = true; break;
		case O_UPPER: b.upper_dev = optarg; break;
		case O_STOP: b.stop_timeout = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!out)
		die("missing", "--out FILE");
	for (; optind < argc; optind++) {
		if (b.argc >= SPORE_BUNDLE_MAX_ARGS)
			die("too many", "arguments");
		b.argv[b.argc++] = argv[optind];
	}
	if (spore_bundle_encode(&b, &buf, &len, &why) < 0)
		die("invalid bundle", why);

	FILE *f = fopen(out, "wb");
	size_t padded = (len + SPORE_BUNDLE_ALIGN - 1) / SPORE_BUNDLE_ALIGN * SPORE_BUNDLE_ALIGN;
	static const uint8_t zero[SPORE_BUNDLE_ALIGN];
	if (!f || fwrite(buf, 1, len, f) != len || fwrite(zero, 1, padded - len, f) != padded - len ||
	    fclose(f) != 0)
		die("cannot write", out);
	free(buf);
	return 0;
}

/* sporectl boot: a bare PV guest from a kernel file (no image; read-only
 * disks with --disk, a network device with --net), with its console served
 * by spored. The verb's part is its options and reading the initrd;
 * the rest is the launch pipeline (launch/pipeline.h). */
#include "file_read.h"
#include "pipeline.h"
#include "pv_builder.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sporectl boot KERNEL [OPTIONS]\n"
		"\n"
		"Boot a bare x86_64 PV guest from KERNEL (ELF vmlinux or bzImage, compressed\n"
		"with gzip, xz, lzma, lz4, zstd or bzip2).\n"
		"\n"
		"Options:\n"
		"  --initrd FILE      Initial ramdisk\n"
		"  --cmdline STR      Kernel command line (at most 1023 bytes;\n"
		"                     default: console=hvc0)\n"
		"  -m, --memory SIZE  Memory: 128m, 1g; a bare number is MiB (default 128m,\n"
		"                     at least 32m)\n"
		"  --vcpus N          Virtual CPUs (default 1)\n"
		"  --name NAME        Guest name (default: spore-XXXXXXXX)\n"
		"  --disk FILE        A read-only disk (xvda, then xvdb, ...; repeatable, up\n"
		"                     to 8), e.g. a squashfs image\n"
		"  --net              A network device (eth0 in the guest, vif<domid>.0 in\n"
		"                     dom0) with planned addresses, as launch gives (the\n"
		"                     guest configures them itself: `sporectl list` shows them)\n"
		"  -a, --attach       Attach to the console; Ctrl+] detaches; exits when the\n"
		"                     guest shuts down (and destroys it)\n"
		"  -h, --help         Show this help\n"
		"\n"
		"Without --attach, prints the guest's UUID and name and returns.\n");
}

int cmd_boot(int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {
		{"initrd", required_argument, 0, 'i'}, {"cmdline", required_argument, 0, 'c'},
		{"memory", required_argument, 0, 'm'}, {"vcpus", required_argument, 0, 'v'},
		{"name", required_argument, 0, 'n'},   {"attach", no_argument, 0, 'a'},
		{"net", no_argument, 0, 'N'},          {"disk", required_argument, 0, 'D'},
		{"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
	};
	struct spore_launch_spec spec = {.memory_mib = 128, .vcpus = 1, .cmdline = "console=hvc0"};
	struct spore_launch_result res;
	uint8_t *rd = NULL;
	uint64_t v;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:ah", opts, NULL)) != -1) {
		switch (c) {
		case 'i': spec.initrd_name = optarg; break;
		case 'c': spec.cmdline = optarg; break;
		case 'm':
			if (cli_parse_memory("boot", optarg, &v, err) < 0)
				return -EINVAL;
			spec.memory_mib = v;
			break;
		case 'v':
			if (cli_parse_u64(optarg, 1, 64, &v) < 0)
				return spore_err_setx(err, EINVAL, "boot: --vcpus '%s' is not 1..64", optarg);
			spec.vcpus = (uint32_t)v;
			break;
		case 'n': spec.name = optarg; break;
		case 'a': spec.attach = true; break;
		case 'N': spec.network = true; break;
		case 'D':
			if (spec.ndisks == SPORE_LAUNCH_MAX_DISKS)
				return spore_err_setx(err, E2BIG, "boot: at most %d --disk options",
						      SPORE_LAUNCH_MAX_DISKS);
			spec.disks[spec.ndisks++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return cli_usage(err, NULL);
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return cli_usage(err, NULL);
	}
	spec.kernel = argv[optind];
	/* Read before anything exists: a missing initrd costs nothing. */
	if (spec.initrd_name &&
	    (r = spore_read_file(spec.initrd_name, PV_MAX_INITRD, &rd, &spec.initrd_len, err)) < 0)
		return spore_err_wrap(err, "initrd");
	spec.initrd = rd;

	r = spore_launch_run(&spec, &res, err);
	free(rd);
	if (r < 0)
		return r;
	switch (res.end) {
	case SPORE_LAUNCH_STARTED:
		printf("%s %s\n", res.uuid, res.name);
		break;
	case SPORE_LAUNCH_DETACHED:
		fprintf(stderr, "\r\nsporectl: detached from %s (%s); it keeps running\n", res.name,
			res.uuid);
		break;
	case SPORE_LAUNCH_STOPPED:
		/* Torn down; its record stays, exited, until destroy or rm. */
		if (res.crashed)
			return spore_err_setx(err, EIO, "guest %s crashed", res.name);
		break;
	}
	return 0;
}

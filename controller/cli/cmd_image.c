/* sporectl image pull|list|rm|prune|path: the image cache from the CLI. */
#include "image_pull.h"
#include "image_store.h"
#include "oci_ref.h"
#include "size.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"

#define MAX_INSECURE 16

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sporectl image COMMAND [OPTIONS] [REF...]\n"
		"\n"
		"Manage the OCI image cache (default %s, or $SPORE_ROOT).\n"
		"\n"
		"Commands:\n"
		"  pull REF     Fetch an image and build its squashfs root filesystem\n"
		"  list         List cached images\n"
		"  rm REF...    Forget images (and their root filesystems)\n"
		"  prune        Delete blobs and files no cached image needs\n"
		"  path REF     Print a cached image's squashfs and config paths\n"
		"  inspect REF  Print what a launch uses: squashfs, entrypoint, cmd, env...\n"
		"\n"
		"REF: NAME[:TAG][@DIGEST] (Docker Hub by default), oci:DIR[:TAG],\n"
		"     docker-archive:FILE.tar\n"
		"\n"
		"Options:\n"
		"  --root DIR                  Cache root (images live in DIR/images)\n"
		"  --insecure-registry HOST    Allow plain HTTP to HOST[:PORT] (loopback is, unless\n"
		"                              it has a certs.d entry)\n"
		"  --platform OS/ARCH          Image to pick from an index (default linux/amd64)\n"
		"  --max-size SIZE             pull: refuse an image whose layers unpack to more than\n"
		"                              SIZE (512m, 10g; a bare number is bytes; default 64G)\n"
		"  -q, --quiet                 pull: no progress; list: references only\n"
		"  -h, --help                  Show this help\n"
		"\n"
		"pull shows a progress line per layer on a terminal, one line per step elsewhere.\n"
		"Credentials: $REGISTRY_AUTH_FILE, else containers' auth.json, else\n"
		"~/.docker/config.json (\"auth\" entries). Private CAs: *.crt files in\n"
		"/etc/spore/certs.d/HOST[:PORT]/ (or $SPORE_CERTS_DIR/HOST[:PORT]/;\n"
		"/etc/containers/certs.d and /etc/docker/certs.d are read too).\n",
		SPORE_DEFAULT_ROOT);
}

/* Canonical form of a user's reference, for cache lookups. */
static int canonical(const char *in, char *out, size_t n, struct spore_err *err)
{
	struct spore_ref ref;
	int r = spore_ref_parse(in, &ref, err);
	/* A removed layout directory must still be forgettable by name. */
	if (r == 0 && spore_ref_absolute(&ref, NULL) < 0 && ref.path[0] != '/') {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd)) && strlen(cwd) + strlen(ref.path) + 2 < sizeof(ref.path)) {
			memmove(ref.path + strlen(cwd) + 1, ref.path, strlen(ref.path) + 1);
			memcpy(ref.path, cwd, strlen(cwd));
			ref.path[strlen(cwd)] = '/';
		}
	}
	if (r < 0)
		return r;
	if (spore_ref_str(&ref, out, n) < 0)
		return spore_err_setx(err, ENAMETOOLONG, "reference too long: %s", in);
	return 0;
}

/* "name a b c", each argument quoted when it has spaces. */
static void print_list(const char *name, char **l)
{
	printf("%s", name);
	for (size_t i = 0; l && l[i]; i++)
		printf(strpbrk(l[i], " \t") || !*l[i] ? " '%s'" : " %s", l[i]);
	printf("\n");
}

static int do_list(struct spore_store *s, bool quiet, struct spore_err *err)
{
	struct spore_image_rec *recs;
	size_t n;
	int r = spore_store_list(s, &recs, &n, err);
	if (r < 0)
		return r;
	if (!quiet)
		printf("%-50s %-19s %10s  %s\n", "REFERENCE", "DIGEST", "SIZE", "PULLED");
	for (size_t i = 0; i < n; i++) {
		char sz[32], when[32] = "-";
		struct tm tm;
		if (quiet) {
			printf("%s\n", recs[i].ref);
			continue;
		}
		if (recs[i].pulled && localtime_r(&recs[i].pulled, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		spore_size_format(recs[i].rootfs_size, sz, sizeof(sz));
		printf("%-50s %.19s %10s  %s\n", recs[i].ref, recs[i].manifest, sz, when);
	}
	free(recs);
	return 0;
}

int cmd_image(int argc, char **argv, struct spore_err *err)
{
	static const struct option longopts[] = {
		{"root", required_argument, NULL, 'r'},
		{"insecure-registry", required_argument, NULL, 'i'},
		{"platform", required_argument, NULL, 'p'},
		{"max-size", required_argument, NULL, 'm'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *insecure[MAX_INSECURE];
	char platform[64] = "";
	struct spore_pull_opts po = {.registry.insecure = insecure};
	const char *root = NULL;
	int c;

	if (argc < 2) {
		usage(stderr);
		return cli_usage(err, NULL);
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		usage(stdout);
		return 0;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'i':
			if (po.registry.n_insecure == MAX_INSECURE)
				return spore_err_setx(err, EINVAL, "image: at most %d --insecure-registry options",
						      MAX_INSECURE);
			insecure[po.registry.n_insecure++] = optarg;
			break;
		case 'p': {
			snprintf(platform, sizeof(platform), "%s", optarg);
			char *slash = strchr(platform, '/');
			if (!slash || slash == platform || !slash[1])
				return spore_err_setx(err, EINVAL, "image: --platform wants OS/ARCH, not '%s'", optarg);
			*slash = '\0';
			po.os = platform;
			po.arch = slash + 1;
			break;
		}
		case 'm':
			if (spore_size_parse(optarg, 0, &po.max_bytes) < 0 || !po.max_bytes)
				return spore_err_setx(err, EINVAL, "image: --max-size wants a size such as 512M, not '%s'",
						      optarg);
			break;
		case 'q':
			po.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return cli_usage(err, "image: unknown option '%s' (see sporectl image --help)",
					 argv[optind]);
		}
	}
	char **args = argv + 1 + optind;
	int nargs = argc - 1 - optind;
	bool is_pull = !strcmp(sub, "pull"), is_list = !strcmp(sub, "list") || !strcmp(sub, "ls");
	bool is_rm = !strcmp(sub, "rm"), is_prune = !strcmp(sub, "prune"), is_path = !strcmp(sub, "path");
	bool is_inspect = !strcmp(sub, "inspect");
	if (!is_pull && !is_list && !is_rm && !is_prune && !is_path && !is_inspect) {
		return cli_usage(err, "image: unknown command '%s' (see sporectl image --help)", sub);
	}
	if (((is_pull || is_path || is_inspect) && nargs != 1) || (is_rm && nargs < 1) ||
	    ((is_list || is_prune) && nargs != 0)) {
		return cli_usage(err, "image %s: wrong number of arguments (see sporectl image --help)",
				 sub);
	}

	struct spore_store s;
	int r = spore_store_open(&s, root, is_rm || is_prune, err);
	if (r < 0)
		return r;
	if (is_pull) {
		struct spore_image_rec rec;
		r = spore_image_pull(&s, args[0], &po, &rec, err);
		if (r == 0)
			printf("%s\n", rec.manifest);
	} else if (is_list) {
		r = do_list(&s, po.quiet, err);
	} else if (is_rm) {
		for (int i = 0; i < nargs && r == 0; i++) {
			char ref[600];
			r = canonical(args[i], ref, sizeof(ref), err);
			if (r == 0)
				r = spore_store_rm(&s, ref, err);
		}
	} else if (is_prune) {
		struct spore_prune_stats st;
		char sz[32];
		r = spore_store_prune(&s, &st, err);
		spore_size_format(r == 0 ? st.bytes : 0, sz, sizeof(sz));
		if (r == 0 && !po.quiet)
			printf("removed %u files, %s\n", st.files, sz);
	} else if (is_inspect) {
		struct spore_image_config c;
		char path[PATH_MAX];
		r = spore_image_open(&s, args[0], false, &po, path, sizeof(path), &c, err);
		if (r == 0) {
			printf("rootfs %s\n", path);
			print_list("entrypoint", c.entrypoint);
			print_list("cmd", c.cmd);
			for (size_t i = 0; i < c.n_env; i++)
				printf("env %s\n", c.env[i]);
			printf("workdir %s\nuser %s\n", c.working_dir ? c.working_dir : "",
			       c.user ? c.user : "");
			spore_image_config_free(&c);
		}
	} else {
		struct spore_image_rec rec;
		char ref[600], path[PATH_MAX];
		r = canonical(args[0], ref, sizeof(ref), err);
		if (r == 0)
			r = spore_store_get_ref(&s, ref, &rec, err);
		if (r == 0) {
			spore_store_rootfs_path(&s, rec.manifest, path, sizeof(path));
			printf("rootfs %s\n", path);
			spore_store_blob_path(&s, rec.config, path, sizeof(path));
			printf("config %s\n", path);
		}
	}
	spore_store_close(&s);
	return r < 0 ? r : 0;
}

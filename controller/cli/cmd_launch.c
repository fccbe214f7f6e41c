/* sporectl launch: run an OCI image as a PV guest.
 *
 * image (cached squashfs, pulled if missing) -> guest record (state
 * "building", so a crash mid-way is cleaned up by the reaper) -> launch
 * bundle, appended to sporeinit's initrd -> loop device -> PV domain with
 * xvda = image -> unpause, then console and vif -> exit status from
 * sporeinit. Exit codes follow docker: 125 when spore itself
 * failed, otherwise the container's status (128+N when killed by signal N). */
#include <spore/bundle.h>
#include "cpio.h"
#include "file_read.h"
#include <spore/guest_record.h>
#include "guest_teardown.h"
#include "image_pull.h"
#include <spore/log.h>
#include "loopdev.h"
#include <spore/net_config.h>
#include "guest_record_new.h"
#include "pv_builder.h"
#include "step_hook.h"
#include "vbd.h"
#include "vif.h"
#include "xs_skeleton.h"

#include <xen/sched.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "console_attach.h"
#include "assets.h"
#include "guest_name.h"

#define MAX_ENV_ARGS 256

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sporectl launch [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
		"\n"
		"Run IMAGE (pulled if not cached) as a container in its own Xen PV guest.\n"
		"\n"
		"Options:\n"
		"  -a, --attach              Attach to the container's console; Ctrl+] detaches;\n"
		"                            exit with the container's status\n"
		"  -t, --tty                 Give the container a terminal\n"
		"  -i, --interactive         Pass input to the container\n"
		"  --name NAME               Guest name (default: spore-XXXXXXXX)\n"
		"  -e, --env KEY[=VALUE]     Set an environment variable (repeatable)\n"
		"  --env-file FILE           Read KEY=VALUE lines from FILE\n"
		"  -w, --workdir DIR         Working directory in the container\n"
		"  -u, --user USER[:GROUP]   User (name or uid) to run as\n"
		"  --entrypoint CMD          Replace the image's entrypoint\n"
		"  -m, --memory MIB          Guest memory (default 256)\n"
		"  --vcpus N                 Virtual CPUs (default 1)\n"
		"  --kernel FILE             Guest kernel (default: $SPORE_KERNEL, spore's kernel)\n"
		"  --rm                      Remove the record when the container exits\n"
		"  --network MODE            'default' (a NAT network through sporenet: eth0 with\n"
		"                            a private IPv4 and IPv6 address) or 'none'\n"
		"  -p, --publish [HOSTIP:]HOSTPORT:GUESTPORT[/udp]\n"
		"                            Publish a guest port on dom0 (repeatable)\n"
		"  --allow-dom0              Let the guest reach dom0's own addresses\n"
		"  --insecure-registry HOST  Allow plain HTTP to HOST[:PORT]\n"
		"  -h, --help                Show this help\n"
		"\n"
		"Without --attach, prints the guest's UUID and returns at once.\n"
		"Exit status with --attach: the container's; 125 if spore failed; 128+N if the\n"
		"container was killed by signal N.\n");
}

struct launch {
	/* options */
	bool attach, tty, interactive, rm;
	const char *name, *workdir, *user, *entrypoint, *kernel, *image;
	bool entrypoint_set;
	uint64_t memory_mib;
	uint32_t vcpus;
	const char *env[MAX_ENV_ARGS];
	size_t nenv;
	const char *env_file;
	char **cmd;
	int ncmd;
	const char *insecure[16];
	size_t ninsecure;
	bool network, allow_dom0;
	char ports[sizeof(((struct spore_guest *)0)->ports)];
	size_t nports;
	/* state */
	struct spore_xc *xc;
	struct spore_xs *xs;
	struct spore_guest rec;
	bool rec_written;
	struct pv_build build;
	struct spore_net_plan plan;
	uint8_t *initrd; /* in memory: no file for a crash to leave behind */
	size_t initrd_len;
	char *env_file_buf;
};

static int parse_args(struct launch *l, int argc, char **argv, struct spore_err *err)
{
	enum { O_NAME = 256, O_ENVFILE, O_ENTRY, O_VCPUS, O_KERNEL, O_RM, O_INSECURE, O_NETWORK,
	       O_ALLOW_DOM0 };
	static const struct option opts[] = {
		{"attach", no_argument, 0, 'a'},         {"tty", no_argument, 0, 't'},
		{"interactive", no_argument, 0, 'i'},    {"name", required_argument, 0, O_NAME},
		{"env", required_argument, 0, 'e'},      {"env-file", required_argument, 0, O_ENVFILE},
		{"workdir", required_argument, 0, 'w'},  {"user", required_argument, 0, 'u'},
		{"entrypoint", required_argument, 0, O_ENTRY},
		{"memory", required_argument, 0, 'm'},   {"vcpus", required_argument, 0, O_VCPUS},
		{"kernel", required_argument, 0, O_KERNEL}, {"rm", no_argument, 0, O_RM},
		{"insecure-registry", required_argument, 0, O_INSECURE},
		{"network", required_argument, 0, O_NETWORK}, {"publish", required_argument, 0, 'p'},
		{"allow-dom0", no_argument, 0, O_ALLOW_DOM0},
		{"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
	};
	uint64_t v;
	int c;

	struct net_fwd fwd;
	char one[64];

	l->memory_mib = 256;
	l->vcpus = 1;
	l->network = true;
	optind = 1;
	/* '+': options end at IMAGE; what follows is the container's. */
	while ((c = getopt_long(argc, argv, "+atie:w:u:m:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': l->attach = true; break;
		case 't': l->tty = true; break;
		case 'i': l->interactive = true; break;
		case O_NAME: l->name = optarg; break;
		case 'e':
			if (l->nenv == MAX_ENV_ARGS)
				return spore_err_setx(err, E2BIG, "launch: at most %d -e options", MAX_ENV_ARGS);
			l->env[l->nenv++] = optarg;
			break;
		case O_ENVFILE: l->env_file = optarg; break;
		case 'w': l->workdir = optarg; break;
		case 'u': l->user = optarg; break;
		case O_ENTRY: l->entrypoint = optarg; l->entrypoint_set = true; break;
		case 'm':
			if (cli_parse_u64(optarg, 32, 1 << 20, &v) < 0)
				return spore_err_setx(err, EINVAL, "launch: --memory '%s' is not 32..1048576 MiB", optarg);
			l->memory_mib = v;
			break;
		case O_VCPUS:
			if (cli_parse_u64(optarg, 1, 64, &v) < 0)
				return spore_err_setx(err, EINVAL, "launch: --vcpus '%s' is not 1..64", optarg);
			l->vcpus = (uint32_t)v;
			break;
		case O_KERNEL: l->kernel = optarg; break;
		case O_RM: l->rm = true; break;
		case O_INSECURE:
			if (l->ninsecure == 16)
				return spore_err_setx(err, E2BIG, "launch: at most 16 --insecure-registry options");
			l->insecure[l->ninsecure++] = optarg;
			break;
		case O_NETWORK:
			if (strcmp(optarg, "none") && strcmp(optarg, "default"))
				return spore_err_setx(err, EINVAL, "launch: --network '%s' is not 'default' or 'none'",
						      optarg);
			l->network = !strcmp(optarg, "default");
			break;
		case 'p':
			/* Kept in the record as sporenet's own format. */
			if (net_fwd_parse(optarg, &fwd, err) < 0)
				return spore_err_wrap(err, "launch: --publish");
			if (l->nports == NET_MAX_FWD)
				return spore_err_setx(err, E2BIG, "launch: at most %d --publish options",
						      NET_MAX_FWD);
			net_fwd_format(&fwd, one, sizeof(one));
			snprintf(l->ports + strlen(l->ports), sizeof(l->ports) - strlen(l->ports), "%s%s",
				 l->nports++ ? " " : "", one);
			break;
		case O_ALLOW_DOM0: l->allow_dom0 = true; break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return spore_err_setx(err, EINVAL, "launch: bad usage");
		}
	}
	if (!l->network && (l->nports || l->allow_dom0))
		return spore_err_setx(err, EINVAL, "launch: --publish and --allow-dom0 need a network (not --network none)");
	if (optind >= argc) {
		usage(stderr);
		return spore_err_setx(err, EINVAL, "launch: no IMAGE given");
	}
	l->image = argv[optind];
	l->cmd = argv + optind + 1;
	l->ncmd = argc - optind - 1;
	return 0;
}

/* KEY=VALUE stays; a bare KEY takes the value from sporectl's environment
 * (and is dropped if unset), as docker does. */
static int add_env(struct spore_bundle *b, const char *kv, struct spore_err *err)
{
	if (!strchr(kv, '=')) {
		const char *v = getenv(kv);
		if (!v)
			return 0;
		char *s;
		if (asprintf(&s, "%s=%s", kv, v) < 0)
			return spore_err_set(err, ENOMEM, "env");
		kv = s; /* lives until exit: launch is a one-shot process */
	}
	size_t klen = strchr(kv, '=') - kv;
	if (klen == 0)
		return spore_err_setx(err, EINVAL, "launch: bad environment entry '%s'", kv);
	/* Later entries replace earlier ones with the same key. */
	for (unsigned i = 0; i < b->envc; i++) {
		if (!strncmp(b->envp[i], kv, klen) && b->envp[i][klen] == '=') {
			b->envp[i] = kv;
			return 0;
		}
	}
	if (b->envc >= SPORE_BUNDLE_MAX_ENV)
		return spore_err_setx(err, E2BIG, "launch: more than %d environment entries",
				      SPORE_BUNDLE_MAX_ENV);
	b->envp[b->envc++] = kv;
	b->envp[b->envc] = NULL;
	return 0;
}

static int read_env_file(struct launch *l, struct spore_bundle *b, struct spore_err *err)
{
	FILE *f = fopen(l->env_file, "re");
	if (!f)
		return spore_err_set(err, errno, "launch: --env-file %s", l->env_file);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;
	while (r >= 0 && (n = getline(&line, &cap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		r = add_env(b, strdup(line), err);
	}
	free(line);
	fclose(f);
	return r;
}

/* The bundle goes in the guest's initrd, as one more cpio archive after
 * sporeinit's (file SPORE_BUNDLE_INITRD_FILE): no block device of its own,
 * so the guest's kernel has one backend fewer to wait for. */
static int make_bundle(struct launch *l, const struct spore_image_config *ic, const char *initrd,
		       struct spore_err *err)
{
	struct spore_bundle *b = calloc(1, sizeof(*b));
	uint8_t *buf = NULL, *rd = NULL;
	size_t len = 0, rdlen = 0;
	const char *why = NULL;
	int r = 0;

	if (!b)
		return spore_err_set(err, ENOMEM, "launch bundle");
	spore_bundle_init(b);
	/* docker's rules: --entrypoint replaces Entrypoint (and drops Cmd);
	 * CLI args replace Cmd. */
	if (l->entrypoint_set) {
		if (*l->entrypoint)
			b->argv[b->argc++] = l->entrypoint;
	} else {
		for (size_t i = 0; i < ic->n_entrypoint && b->argc < SPORE_BUNDLE_MAX_ARGS; i++)
			b->argv[b->argc++] = ic->entrypoint[i];
	}
	if (l->ncmd > 0) {
		for (int i = 0; i < l->ncmd && b->argc < SPORE_BUNDLE_MAX_ARGS; i++)
			b->argv[b->argc++] = l->cmd[i];
	} else if (!l->entrypoint_set) {
		for (size_t i = 0; i < ic->n_cmd && b->argc < SPORE_BUNDLE_MAX_ARGS; i++)
			b->argv[b->argc++] = ic->cmd[i];
	}
	b->argv[b->argc] = NULL;
	if (b->argc == 0) {
		r = spore_err_setx(err, EINVAL, "launch: %s has no command; give one after the image",
				   l->image);
		goto out;
	}
	for (size_t i = 0; i < ic->n_env && r >= 0; i++)
		r = add_env(b, ic->env[i], err);
	if (r >= 0 && l->env_file)
		r = read_env_file(l, b, err);
	for (size_t i = 0; i < l->nenv && r >= 0; i++)
		r = add_env(b, l->env[i], err);
	if (r < 0)
		goto out;
	b->user = l->user ? l->user : (ic->user && *ic->user ? ic->user : NULL);
	b->workdir = l->workdir ? l->workdir : (ic->working_dir && *ic->working_dir ? ic->working_dir : NULL);
	b->hostname = l->rec.name;
	b->image_dev = SPORE_BUNDLE_IMAGE_DEV;
	b->tty = l->tty;
	b->stdin_open = l->interactive;
	if (l->network)
		spore_net_plan_bundle(&l->plan, b);
	if (spore_bundle_encode(b, &buf, &len, &why) < 0) {
		r = spore_err_setx(err, EINVAL, "launch: cannot encode the launch bundle: %s",
				   why ? why : "invalid");
		goto out;
	}
	/* sporeinit's initrd: at most 64 MiB (it is a small static binary). */
	if ((r = spore_read_file(initrd, 64 << 20, &rd, &rdlen, err)) < 0) {
		spore_err_wrap(err, "launch: sporeinit's initrd");
		goto out;
	}
	if ((r = spore_cpio_append_file(&rd, &rdlen, SPORE_BUNDLE_INITRD_FILE, 0400, buf, len, err)) < 0)
		goto out;
	l->initrd = rd;
	l->initrd_len = rdlen;
	rd = NULL;
out:
	free(rd);
	free(buf);
	free(b);
	return r;
}

/* Frees everything the launch made, through the teardown the reaper and
 * `destroy` share (it keeps the exit status sporeinit left and finds the
 * domain by its UUID). A failed launch leaves no record; --rm removes it. */
static void teardown(struct launch *l, bool failed)
{
	struct spore_err e = {0};

	if (!l->rec_written) {
		pv_build_abort(&l->build);
		return;
	}
	if (spore_guest_teardown(l->xc, l->xs, &l->rec, &e) < 0)
		log_warn("cleaning up guest %s: %s", l->rec.name, e.msg);
	l->build.created = false; /* destroyed above */
	struct spore_guest now;
	if (spore_guest_read(l->xs, l->rec.uuid, &now, &e) >= 0)
		l->rec = now;
	if (failed || l->rm)
		spore_guest_remove(l->xs, l->rec.uuid, &e);
}

/* "exited N" -> N, "signaled N" -> 128+N; -1 if not reported. */
static int exit_code_of(const char *status)
{
	int n;
	if (sscanf(status, "exited %d", &n) == 1 && n >= 0 && n <= 255)
		return n;
	if (sscanf(status, "signaled %d", &n) == 1 && n > 0 && n < 128)
		return 128 + n;
	return -1;
}

static int write_nodes_tx(struct spore_xs *xs, uint32_t tx, void *arg, struct spore_err *err)
{
	return spore_xs_write_nodes(xs, tx, arg, err);
}

/* The disk's and the vif's nodes in one transaction: each backend sees its
 * device whole, for one round of xenstore trips instead of two. */
static int add_devices(struct launch *l, const struct spore_vbd *vbd, const struct spore_vif *vif,
		       struct spore_err *err)
{
	struct xs_node_list nodes = {0};
	int r = l->network ? spore_vif_backend_check(err) : 0;

	if (r >= 0)
		r = spore_vbd_nodes(&nodes, vbd, err);
	if (r >= 0 && l->network)
		r = spore_vif_nodes(&nodes, vif, err);
	if (r >= 0)
		r = spore_xs_transact(l->xs, write_nodes_tx, &nodes, err);
	xs_node_list_free(&nodes);
	return r;
}

/* Opens the console (with --attach) and sets netback's interface up (with
 * the network), whichever comes first: one loop over two xenstore watches,
 * no polling. */
static int wait_console_and_vif(struct launch *l, const struct spore_vif *vif, int *pty,
				struct spore_err *err)
{
	enum { CONSOLE_TIMEOUT_MS = 10000 };
	char tty_path[80], vif_path[128];
	bool want_tty = l->attach, want_vif = l->network, tty_watched = false, vif_watched = false;
	struct timespec t0;
	int r = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	console_tty_path(vif->domid, tty_path, sizeof(tty_path));
	spore_vif_state_path(vif, vif_path, sizeof(vif_path));
	/* Each watch fires once at once, then on each change. */
	if (want_tty && (r = spore_xs_watch(l->xs, tty_path, "launch-tty", err)) >= 0)
		tty_watched = true;
	if (r >= 0 && want_vif && (r = spore_xs_watch(l->xs, vif_path, "launch-vif", err)) >= 0)
		vif_watched = true;
	while (r >= 0 && (want_tty || want_vif)) {
		struct spore_xs_event *ev = NULL;
		struct timespec now;

		if (want_tty) {
			r = console_try_open_pty(l->xs, vif->domid, err);
			if (r >= 0) {
				*pty = r;
				want_tty = false;
			} else if (r != -EAGAIN) {
				break;
			}
		}
		if (want_vif) {
			if ((r = spore_vif_check_up(l->xs, vif, err)) < 0)
				break;
			want_vif = r == 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		int waited = (int)((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (want_tty && waited >= CONSOLE_TIMEOUT_MS) {
			r = console_timeout(err, vif->domid, CONSOLE_TIMEOUT_MS);
			break;
		}
		if (want_vif && waited >= SPORE_VIF_TIMEOUT_MS) {
			r = spore_vif_timeout(err, vif, SPORE_VIF_TIMEOUT_MS);
			break;
		}
		if (!want_tty && !want_vif) {
			log_debug("launch: console and vif ready %d ms after the unpause", waited);
			r = 0;
			break;
		}
		int left = (want_tty ? CONSOLE_TIMEOUT_MS : SPORE_VIF_TIMEOUT_MS) - waited;
		if (want_vif && SPORE_VIF_TIMEOUT_MS - waited < left)
			left = SPORE_VIF_TIMEOUT_MS - waited;
		r = spore_xs_read_watch(l->xs, &ev, left, err);
		free(ev);
		if (r == -EAGAIN)
			r = 0;
	}
	struct spore_err e2 = {0};
	if (tty_watched)
		spore_xs_unwatch(l->xs, tty_path, "launch-tty", &e2);
	if (vif_watched)
		spore_xs_unwatch(l->xs, vif_path, "launch-vif", &e2);
	return r < 0 ? r : 0;
}

static int launch(int argc, char **argv, struct spore_err *err)
{
	struct launch *l = calloc(1, sizeof(*l));
	struct spore_store store = {.lock_fd = -1};
	struct spore_image_config ic = {0};
	char rootfs[PATH_MAX], kernel[PATH_MAX], initrd[PATH_MAX], status[64] = "";
	bool store_open = false;
	uint8_t uuid[16];
	int r, pty = -1;

	if (!l)
		return spore_err_set(err, ENOMEM, "launch");
	if ((r = parse_args(l, argc, argv, err)) != 0) {
		r = r > 0 ? 0 : r;
		goto out_free;
	}
	if (l->kernel)
		snprintf(kernel, sizeof(kernel), "%s", l->kernel);
	else if (spore_asset_kernel(kernel, sizeof(kernel)) < 0) {
		r = spore_err_setx(err, ENOENT, "launch: no guest kernel found (build it with kernel/build.sh, or give --kernel or $SPORE_KERNEL)");
		goto out_free;
	}
	if (spore_asset_initrd(initrd, sizeof(initrd)) < 0) {
		r = spore_err_setx(err, ENOENT, "launch: sporeinit's initrd not found (set $SPORE_INITRD)");
		goto out_free;
	}

	/* The image first: nothing Xen-side exists if it cannot be had. */
	struct spore_pull_opts po = {.registry = {.insecure = l->insecure, .n_insecure = l->ninsecure},
				     .quiet = !isatty(STDERR_FILENO)};
	if ((r = spore_store_open(&store, NULL, false, err)) < 0)
		goto out_free;
	store_open = true;
	spore_step("image");
	if ((r = spore_image_open(&store, l->image, true, &po, rootfs, sizeof(rootfs), &ic, err)) < 0)
		goto out;

	if ((r = spore_xc_open(&l->xc, err)) < 0 || (r = spore_xs_open(&l->xs, err)) < 0)
		goto out;
	if ((r = spore_uuid_generate(uuid, err)) < 0 ||
	    (r = guest_name_pick(l->xs, l->name, l->rec.name, sizeof(l->rec.name), err)) < 0)
		goto out;
	spore_uuid_format(uuid, l->rec.uuid);
	snprintf(l->rec.image, sizeof(l->rec.image), "%s", l->image);
	if ((size_t)snprintf(l->rec.kernel, sizeof(l->rec.kernel), "%s", kernel) >= sizeof(l->rec.kernel))
		l->rec.kernel[0] = '\0'; /* informational only */
	snprintf(l->rec.state, sizeof(l->rec.state), "building");
	l->rec.domid = -1;
	l->rec.created = time(NULL);
	l->rec.memory_mib = l->memory_mib;
	l->rec.vcpus = l->vcpus;
	l->rec.owner_pid = getpid();
	/* Recorded before anything is allocated, so a sporectl killed at any
	 * later point leaves a record the reaper can clean up from: it names
	 * the owner (gone), the UUID (the domain's handle, the loops' tag). */
	if (l->network) {
		snprintf(l->rec.ports, sizeof(l->rec.ports), "%s", l->ports);
		l->rec.allow_dom0 = l->allow_dom0;
	}
	spore_step("record");
	/* With the network, the planned addresses go in this first write: the
	 * record's claims make them unique. */
	if ((r = spore_guest_record_new(l->xs, &l->rec, uuid, l->network ? &l->plan : NULL, err)) < 0)
		goto out;
	l->rec_written = true;

	spore_step("bundle");
	if ((r = make_bundle(l, &ic, initrd, err)) < 0)
		goto fail;

	/* Tagged with the UUID: the teardown finds it by the tag, whether or
	 * not the record got to list it. */
	struct spore_loop img_loop;
	char tag[64];
	snprintf(tag, sizeof(tag), SPORE_LOOP_TAG_FMT, l->rec.uuid);
	spore_step("loop-image");
	if ((r = spore_loop_attach(rootfs, tag, &img_loop, err)) < 0)
		goto fail;
	/* Recorded with the rest once the guest runs (the teardown goes by
	 * the tag): a round trip less before the unpause. */
	snprintf(l->rec.loops, sizeof(l->rec.loops), "%s", img_loop.path);

	struct pv_build_config cfg = {
		.kernel = kernel, .initrd = l->initrd, .initrd_len = l->initrd_len, .initrd_name = initrd, .name = l->rec.name,
		/* spore.nowait_devices: spore's kernel lets sporeinit run while
		 * its devices connect (kernel/patches; others ignore it). */
		.cmdline = "console=hvc0 quiet spore.nowait_devices", .memory_mib = l->memory_mib, .vcpus = l->vcpus,
		.kernel_cache = spore_kernel_cache_dir(), .uuid = uuid,
	};
	if ((r = pv_build_run(&l->build, l->xc, l->xs, &cfg, err)) < 0)
		goto fail;
	struct spore_vbd vbd = {.domid = l->build.domid, .index = 0, .rdev = img_loop.rdev,
				.params = img_loop.path, .readonly = true};
	struct spore_vif vif = {.domid = l->build.domid, .mac = l->rec.mac, .mtu = l->rec.mtu};
	spore_step("vbd");
	spore_step("vif");
	if ((r = add_devices(l, &vbd, &vif, err)) < 0)
		goto fail;
	/* The guest runs first, and the console and netback are waited for
	 * while it boots: its netfront waits for netback by itself (and
	 * sporeinit for netfront's carrier), and
	 * xenconsoled keeps the pty's other end open, so the pty buffers the
	 * guest's first output until the relay reads it. */
	spore_step("unpause");
	if ((r = pv_build_unpause(&l->build, err)) < 0)
		goto fail;
	log_unpaused(l->build.domid);
	spore_step("console");
	spore_step("vif-up");
	if ((r = wait_console_and_vif(l, &vif, &pty, err)) < 0)
		goto fail;
	/* "running" only once the guest runs: a launch killed before this
	 * leaves a "building" record, which the reaper removes with all it
	 * finds (a paused or just unpaused domain included). While attached,
	 * this process owns the guest (the reaper leaves it alone until we
	 * exit); detached, the reaper frees it when it stops. The vif key
	 * comes in the same write, once the interface is up: sporenet
	 * attaches when it sees it. */
	l->rec.domid = l->build.domid;
	snprintf(l->rec.state, sizeof(l->rec.state), "running");
	l->rec.owner_pid = l->attach ? getpid() : 0;
	if (l->network)
		spore_vif_ifname(&vif, l->rec.vif);
	spore_step("record-running");
	if ((r = spore_guest_write(l->xs, &l->rec, err)) < 0)
		goto fail;

	if (!l->attach) {
		printf("%s\n", l->rec.uuid);
		r = 0;
		goto out; /* the reaper frees it when it stops */
	}
	unsigned reason = 0;
	char reported[sizeof(l->rec.exit_status)];
	/* The guest's exit status must be read before the domain (and its
	 * xenstore directory) goes: console_attach takes it when written. */
	r = console_attach(l->xc, l->xs, l->build.domid, pty, false, &reason, reported,
			   sizeof(reported), err);
	if (r == ATTACH_DETACHED) {
		fprintf(stderr, "\r\nsporectl: detached from %s; it keeps running (sporectl console %s)\n",
			l->rec.name, l->rec.name);
		r = 0;
		goto out;
	}
	if (r < 0)
		goto fail;
	teardown(l, false);
	/* The record's status, or (a destroy from elsewhere removed the
	 * record) what the guest reported. */
	snprintf(status, sizeof(status), "%s",
		 l->rec.exit_status[0] ? l->rec.exit_status
		 : reported[0]	       ? reported
		 : (r == ATTACH_SHUTDOWN && reason == SHUTDOWN_crash ? "crash" : "poweroff"));
	int code = exit_code_of(status);
	if (code < 0) {
		r = spore_err_setx(err, EIO, "launch: guest %s stopped (%s) without reporting the container's exit status",
				   l->rec.name, status);
	} else {
		r = code;
	}
	goto out;
fail:
	teardown(l, true);
out:
	if (pty >= 0)
		close(pty);
	free(l->initrd);
	pv_build_free(&l->build);
	spore_image_config_free(&ic);
	if (store_open)
		spore_store_close(&store);
	spore_xs_close(l->xs);
	spore_xc_close(l->xc);
out_free:
	free(l);
	return r;
}

int cmd_launch(int argc, char **argv, struct spore_err *err)
{
	int r = launch(argc, argv, err);
	if (r >= 0)
		return r;
	/* docker's convention: 125 when the launcher itself failed, so it is
	 * told apart from the container's own statuses. */
	fprintf(stderr, "sporectl: %s\n", err->msg[0] ? err->msg : "launch failed");
	return 125;
}

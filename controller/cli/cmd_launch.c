/* sporectl launch: run an OCI image as a PV guest.
 *
 * The verb's part: its options, the image (cached squashfs, pulled if
 * missing) and the payload, a launch bundle (docker's rules for argv, env
 * and user, the network plan) appended to sporeinit's initrd. The rest is
 * the launch pipeline (launch/pipeline.h) with the image as xvda. Exit codes
 * follow docker: 125 when spore itself failed (the verb's fail and usage
 * status in sporectl.c), otherwise the container's status (128+N when
 * killed by signal N). */
#include "anon_volumes.h"
#include "cpio.h"
#include "docker_rules.h"
#include "file_read.h"
#include "guest_status.h"
#include "host_snapshot.h"
#include "image_pull.h"
#include "launch_config.h"
#include "launch_report.h"
#include "pipeline.h"
#include "pv_builder.h"
#include "restart_policy.h"
#include "rootfs_disk.h"
#include "size.h"
#include "step_hook.h"
#include "volume_fsck.h"
#include "volume_store.h"
#include "volume_users.h"
#include <spore/bundle.h>
#include <spore/log.h>
#include <spore/port_spec.h>
#include <spore/vif_backend.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "assets.h"
#include "cli_util.h"
#include "commands.h"

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
		"  -d, --detach              Print the guest's UUID and return (the default)\n"
		"  -t, --tty                 Give the container a terminal\n"
		"  -i, --interactive         Pass input to the container\n"
		"  --name NAME               Guest name (default: spore-XXXXXXXX)\n"
		"  -e, --env KEY[=VALUE]     Set an environment variable (repeatable)\n"
		"  --env-file FILE           Read KEY=VALUE lines from FILE\n"
		"  -w, --workdir DIR         Working directory in the container\n"
		"  -u, --user USER[:GROUP]   User (name or uid) to run as\n"
		"  --entrypoint CMD          Replace the image's entrypoint\n"
		"  -m, --memory SIZE         Guest memory: 512m, 1g; a bare number is MiB\n"
		"                            (default 256m)\n"
		"  --cpus N                  CPU time as docker counts it: 1.5 is one and a half\n"
		"                            CPUs (vCPUs rounded up, the rest a scheduler cap)\n"
		"  --vcpus N                 Virtual CPUs (default 1, or what --cpus needs)\n"
		"  --kernel FILE             Guest kernel (default: $SPORE_KERNEL, spore's kernel)\n"
		"  --rm                      Remove the record when the container exits\n"
		"  --restart POLICY          Restart the container when it exits (spored does):\n"
		"                            no, on-failure[:N], always, unless-stopped\n"
		"                            (default no; a stop or destroy is never undone)\n"
		"  --network MODE            'default' (a NAT network through sporenet: eth0 with\n"
		"                            a private IPv4 and IPv6 address) or 'none'\n"
		"  --net-backend KIND        Who serves eth0 in dom0: 'kernel' (xen-netback and\n"
		"                            sporenet on vif<domid>.0) or 'userspace' (sporenet\n"
		"                            itself, no netback) (default: $SPORE_NET_BACKEND,\n"
		"                            else kernel)\n"
		"  -p, --publish [HOSTIP:]HOSTPORT:GUESTPORT[/udp]\n"
		"                            Publish a guest port on dom0 (repeatable)\n"
		"  --allow-dom0              Let the guest reach dom0's own addresses\n"
		"  -v, --volume NAME:/PATH[:ro]\n"
		"                            Mount managed volume NAME (created, 1 GiB, if\n"
		"                            missing) on PATH; one running guest at a time\n"
		"                            (repeatable)\n"
		"  -v, --volume /HOST/PATH:/PATH:ro\n"
		"                            Mount a read-only snapshot of a host directory\n"
		"                            or file, taken at launch (repeatable)\n"
		"  --tmpfs PATH[:OPTS]       Mount a tmpfs on PATH; OPTS: size=SIZE, mode=OCTAL,\n"
		"                            ro, [no]exec, [no]suid, [no]dev (default: mode 1777,\n"
		"                            noexec,nosuid,nodev, no size limit) (repeatable)\n"
		"  --read-only               Mount the container's root read-only (volumes and\n"
		"                            --tmpfs mounts stay writable)\n"
		"  --stop-signal SIGNAL      Signal a stop request (destroy) sends the container\n"
		"                            (default: the image's StopSignal, else SIGTERM)\n"
		"  --stop-timeout S          Seconds from that signal to SIGKILL (default 10)\n"
		"  --rootfs-size SIZE        Disk for the root's writes, sparse (default 10g;\n"
		"                            0: in guest RAM, a tmpfs)\n"
		"  --insecure-registry HOST  Allow plain HTTP to HOST[:PORT]\n"
		"  -h, --help                Show this help\n"
		"\n"
		"The image's VOLUMEs that no -v or --tmpfs mounts get anonymous volumes,\n"
		"removed with --rm or with the guest's record (rm, destroy).\n"
		"Without --attach, prints the guest's UUID and returns at once.\n"
		"Exit status with --attach: the container's; 125 if spore failed; 128+N if the\n"
		"container was killed by signal N.\n");
}

struct launch_args {
	bool attach, detach, tty, interactive, rm;
	const char *name, *workdir, *user, *entrypoint, *kernel, *image;
	bool entrypoint_set;
	uint64_t memory_mib;
	uint32_t vcpus;
	bool vcpus_set;
	uint16_t cpu_cap;
	const char *env[MAX_ENV_ARGS];
	size_t nenv;
	const char *env_file;
	char **cmd;
	size_t ncmd;
	const char *insecure[16];
	size_t ninsecure;
	bool network, allow_dom0;
	const char *net_backend; /* as given, or NULL */
	char ports[sizeof(((struct spore_guest *)0)->ports)];
	size_t nports;
	/* -v in order: named volumes and host paths (host[0]) */
	struct spore_volume_mount volumes[SPORE_LAUNCH_MAX_VOLUMES];
	size_t nvolumes, nhosts;
	struct spore_tmpfs_mount tmpfs[SPORE_BUNDLE_MAX_TMPFS];
	size_t ntmpfs;
	bool read_only;
	uint32_t stop_signal; /* 0: the image's StopSignal, else SIGTERM */
	int64_t stop_timeout; /* -1: sporeinit's default */
	uint64_t rootfs_size; /* 0: the root's writes go to a tmpfs */
	const char *restart;  /* --restart as given, or NULL */
	/* The options `start` launches the guest again with (launch_config.h):
	 * every option but -a, -d, --rm, --name, -e and --env-file, which
	 * follow resolved, then "--", IMAGE and the command. Strings owned. */
	char **cfg;
	size_t ncfg;
	/* start: the exited guest launched again (pipeline.h's again). */
	const struct spore_guest *again;
	bool by_policy;
};

static int cfg_push(struct launch_args *l, const char *s, struct spore_err *err)
{
	char **grown = realloc(l->cfg, (l->ncfg + 1) * sizeof(*l->cfg));
	if (!grown)
		return spore_err_set(err, ENOMEM, "launch");
	l->cfg = grown;
	if (!(l->cfg[l->ncfg] = strdup(s)))
		return spore_err_set(err, ENOMEM, "launch");
	l->ncfg++;
	return 0;
}

static void cfg_free(struct launch_args *l)
{
	for (size_t i = 0; i < l->ncfg; i++)
		free(l->cfg[i]);
	free(l->cfg);
	l->cfg = NULL;
	l->ncfg = 0;
}

/* Option c's entry (every short option has a long one). */
static const struct option *long_opt(const struct option *o, int c)
{
	for (; o->name; o++)
		if (o->val == c)
			return o;
	return NULL;
}

static int parse_args(struct launch_args *l, int argc, char **argv, struct spore_err *err)
{
	enum { O_NAME = 256, O_ENVFILE, O_ENTRY, O_VCPUS, O_KERNEL, O_RM, O_INSECURE, O_NETWORK,
	       O_ALLOW_DOM0, O_CPUS, O_TMPFS, O_READ_ONLY, O_STOP_SIGNAL, O_STOP_TIMEOUT, O_ROOTFS_SIZE, O_NET_BACKEND, O_RESTART };
	static const struct option opts[] = {
		{"attach", no_argument, 0, 'a'},         {"detach", no_argument, 0, 'd'},
		{"tty", no_argument, 0, 't'},
		{"interactive", no_argument, 0, 'i'},    {"name", required_argument, 0, O_NAME},
		{"env", required_argument, 0, 'e'},      {"env-file", required_argument, 0, O_ENVFILE},
		{"workdir", required_argument, 0, 'w'},  {"user", required_argument, 0, 'u'},
		{"entrypoint", required_argument, 0, O_ENTRY},
		{"memory", required_argument, 0, 'm'},   {"vcpus", required_argument, 0, O_VCPUS},
		{"cpus", required_argument, 0, O_CPUS},
		{"kernel", required_argument, 0, O_KERNEL}, {"rm", no_argument, 0, O_RM},
		{"insecure-registry", required_argument, 0, O_INSECURE},
		{"network", required_argument, 0, O_NETWORK}, {"publish", required_argument, 0, 'p'},
		{"allow-dom0", no_argument, 0, O_ALLOW_DOM0},
		{"net-backend", required_argument, 0, O_NET_BACKEND},
		{"volume", required_argument, 0, 'v'},
		{"tmpfs", required_argument, 0, O_TMPFS}, {"read-only", no_argument, 0, O_READ_ONLY},
		{"stop-signal", required_argument, 0, O_STOP_SIGNAL},
		{"stop-timeout", required_argument, 0, O_STOP_TIMEOUT},
		{"rootfs-size", required_argument, 0, O_ROOTFS_SIZE},
		{"restart", required_argument, 0, O_RESTART},
		{"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
	};
	uint64_t v;
	uint32_t cpus_vcpus = 0;
	int c;

	struct net_fwd fwd;
	char one[64];

	l->memory_mib = 256;
	l->stop_timeout = -1;
	l->vcpus = 1;
	l->rootfs_size = SPORE_ROOTFS_DEFAULT_SIZE;
	l->network = true;
	optind = 1;
	/* '+': options end at IMAGE; what follows is the container's. */
	while ((c = getopt_long(argc, argv, "+adtie:w:u:m:p:v:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': l->attach = true; break;
		case 'd': l->detach = true; break;
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
			if (cli_parse_memory("launch", optarg, &v, err) < 0)
				return -EINVAL;
			l->memory_mib = v;
			break;
		case O_VCPUS:
			if (cli_parse_u64(optarg, 1, 64, &v) < 0)
				return spore_err_setx(err, EINVAL, "launch: --vcpus '%s' is not 1..64", optarg);
			l->vcpus = (uint32_t)v;
			l->vcpus_set = true;
			break;
		case O_CPUS:
			if (docker_cpus_parse(optarg, &cpus_vcpus, &l->cpu_cap) < 0)
				return spore_err_setx(err, EINVAL,
						      "launch: --cpus '%s' is not a number of CPUs above 0, at most 64",
						      optarg);
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
		case O_NET_BACKEND: l->net_backend = optarg; break;
		case 'v':
			if (l->nvolumes == SPORE_LAUNCH_MAX_VOLUMES)
				return spore_err_setx(err, E2BIG, "launch: at most %d --volume options",
						      SPORE_LAUNCH_MAX_VOLUMES);
			if (spore_volume_mount_parse(optarg, &l->volumes[l->nvolumes++], err) < 0 ||
			    spore_volume_mount_check(l->volumes, l->nvolumes, err) < 0)
				return spore_err_wrap(err, "launch");
			/* A host path's snapshot is a disk after the image. */
			if (l->volumes[l->nvolumes - 1].host[0] &&
			    ++l->nhosts > SPORE_LAUNCH_MAX_DISKS - 1)
				return spore_err_setx(err, E2BIG, "launch: at most %d host paths",
						      SPORE_LAUNCH_MAX_DISKS - 1);
			break;
		case O_TMPFS:
			if (l->ntmpfs == SPORE_BUNDLE_MAX_TMPFS)
				return spore_err_setx(err, E2BIG, "launch: at most %d --tmpfs options",
						      SPORE_BUNDLE_MAX_TMPFS);
			if (spore_tmpfs_parse(optarg, &l->tmpfs[l->ntmpfs++], err) < 0)
				return spore_err_wrap(err, "launch");
			break;
		case O_READ_ONLY: l->read_only = true; break;
		case O_STOP_SIGNAL:
			if (docker_signal_parse(optarg, &l->stop_signal) < 0)
				return spore_err_setx(err, EINVAL,
						      "launch: --stop-signal '%s' is not a signal (a name such as "
						      "SIGUSR1, or 1..64)", optarg);
			break;
		case O_STOP_TIMEOUT:
			if (cli_parse_u64(optarg, 0, 86400, &v) < 0)
				return spore_err_setx(err, EINVAL,
						      "launch: --stop-timeout '%s' is not 0..86400 seconds", optarg);
			l->stop_timeout = (int64_t)v;
			break;
		case O_ROOTFS_SIZE:
			if (spore_size_parse(optarg, 0, &v) < 0 ||
			    (v && (v < SPORE_VOLUME_MIN_SIZE || v > SPORE_VOLUME_MAX_SIZE)))
				return spore_err_setx(err, EINVAL, "launch: --rootfs-size '%s' is not 0 or 16m..16t",
						      optarg);
			l->rootfs_size = v;
			break;
		case O_RESTART: {
			struct spore_restart_policy pol;
			if (spore_restart_policy_parse(optarg, &pol) < 0)
				return spore_err_setx(err, EINVAL,
						      "launch: --restart '%s' is not no, on-failure[:N], always or unless-stopped",
						      optarg);
			l->restart = optarg;
			break;
		}
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return cli_usage(err, "launch: bad usage");
		}
		/* Kept for start; -a, -d, --rm and --name are start's own
		 * business, the environment is kept resolved (launch). */
		if (c != 'a' && c != 'd' && c != O_RM && c != O_NAME && c != 'e' && c != O_ENVFILE) {
			const struct option *o = long_opt(opts, c);
			char opt[48];
			snprintf(opt, sizeof(opt), "--%s", o ? o->name : "?");
			if (cfg_push(l, opt, err) < 0 ||
			    (o && o->has_arg && cfg_push(l, optarg, err) < 0))
				return -ENOMEM;
		}
	}
	if (l->restart && l->rm)
		return cli_usage(err, "launch: --restart and --rm exclude each other (docker's rule)");
	if (l->attach && l->detach)
		return spore_err_setx(err, EINVAL, "launch: --attach and --detach exclude each other");
	if (cpus_vcpus && !l->vcpus_set)
		l->vcpus = cpus_vcpus;
	if (cpus_vcpus > l->vcpus)
		return spore_err_setx(err, EINVAL, "launch: --cpus needs at least %u vCPUs, not --vcpus %u",
				      cpus_vcpus, l->vcpus);
	if (spore_mount_targets_check(l->volumes, l->nvolumes, l->tmpfs, l->ntmpfs, err) < 0)
		return spore_err_wrap(err, "launch");
	if (!l->network && (l->nports || l->allow_dom0 || l->net_backend))
		return spore_err_setx(err, EINVAL, "launch: --publish, --allow-dom0 and --net-backend need a network (not --network none)");
	if (!l->net_backend && getenv(SPORE_NET_BACKEND_ENV) && *getenv(SPORE_NET_BACKEND_ENV)) {
		l->net_backend = getenv(SPORE_NET_BACKEND_ENV);
		/* start (spored's too) sees what this launch saw. */
		if (cfg_push(l, "--net-backend", err) < 0 || cfg_push(l, l->net_backend, err) < 0)
			return -ENOMEM;
	}
	if (l->net_backend && strcmp(l->net_backend, SPORE_NET_BACKEND_KERNEL) &&
	    strcmp(l->net_backend, SPORE_NET_BACKEND_USERSPACE))
		return spore_err_setx(err, EINVAL, "launch: --net-backend '%s' is not 'kernel' or 'userspace'",
				      l->net_backend);
	if (optind >= argc) {
		usage(stderr);
		return cli_usage(err, "launch: no IMAGE given");
	}
	l->image = argv[optind];
	l->cmd = argv + optind + 1;
	l->ncmd = (size_t)(argc - optind - 1);
	return 0;
}

/* --env-file's text, whole (a pipe such as /dev/stdin too). */
static int read_env_file(const char *path, char **out, struct spore_err *err)
{
	FILE *f = fopen(path, "re");
	size_t cap = 0;
	int r = 0;

	*out = NULL;
	if (!f)
		return spore_err_set(err, errno, "launch: --env-file %s", path);
	errno = 0;
	if (getdelim(out, &cap, '\0', f) < 0 && (ferror(f) || errno)) {
		r = spore_err_set(err, errno ? errno : EIO, "launch: --env-file %s", path);
		free(*out);
		*out = NULL;
	}
	fclose(f);
	return r;
}

static const char *host_env(const char *key, void *ctx)
{
	(void)ctx;
	return getenv(key);
}

/* One environment entry for the kept configuration: KEY=VALUE as given, a
 * bare KEY with sporectl's value now (dropped without one), as
 * docker_rules does: a start sees what this launch saw. */
static int cfg_env(struct launch_args *a, const char *kv, struct spore_err *err)
{
	char *joined = NULL;
	int r = 0;

	if (!strchr(kv, '=') && *kv) {
		const char *v = getenv(kv);
		if (!v)
			return 0;
		if (asprintf(&joined, "%s=%s", kv, v) < 0)
			return spore_err_set(err, ENOMEM, "launch");
		kv = joined;
	}
	if (cfg_push(a, "--env", err) < 0 || cfg_push(a, kv, err) < 0)
		r = -ENOMEM;
	free(joined);
	return r;
}

/* The configuration start needs, in the record's form (launch_config.h):
 * the options parse_args kept, the kernel, the environment resolved (--env-file's lines
 * first, as docker_rules reads them, then -e), "--", IMAGE and the
 * command. A configuration too long for the record leaves it empty (the
 * guest cannot be started again), refused only with --restart, which
 * needs it. */
static int make_config(struct launch_args *a, const char *kernel, const char *env_file, char *out,
		       size_t n, struct spore_err *err)
{
	char *text = env_file ? strdup(env_file) : NULL, *line = text;
	int r = 0;

	/* The kernel this launch found ($SPORE_KERNEL's, spore's): a start
	 * by spored, without sporectl's environment, boots the same. */
	if (!a->kernel && (cfg_push(a, "--kernel", err) < 0 || cfg_push(a, kernel, err) < 0))
		r = -ENOMEM;
	if (env_file && !text)
		return spore_err_set(err, ENOMEM, "launch");
	while (r >= 0 && line && *line) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		size_t len = strlen(line);
		while (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len > 0 && line[0] != '#')
			r = cfg_env(a, line, err);
		line = next;
	}
	free(text);
	for (size_t i = 0; i < a->nenv && r >= 0; i++)
		r = cfg_env(a, a->env[i], err);
	if (r >= 0 && (r = cfg_push(a, "--", err)) >= 0)
		r = cfg_push(a, a->image, err);
	for (size_t i = 0; i < a->ncmd && r >= 0; i++)
		r = cfg_push(a, a->cmd[i], err);
	if (r < 0)
		return r;
	if (spore_launch_config_encode((const char *const *)a->cfg, a->ncfg, out, n) < 0) {
		if (a->restart)
			return spore_err_setx(err, E2BIG, "launch: the options are too long for the guest's record, which --restart needs (at most %zu bytes)",
					      n - 1);
		log_warn("launch: the options are too long for the guest's record: sporectl start cannot start it again");
	}
	return 0;
}

/* The payload: what launch_initrd needs once the record exists. */
struct payload {
	const struct launch_args *a;
	const struct spore_image_config *ic;
	char *env_file;     /* --env-file's text */
	const char *initrd; /* sporeinit's initrd file */
	const struct spore_launch_spec *spec; /* for the volumes' device names */
	struct spore_volume_store *volumes;   /* open until the record lists them */
	const struct spore_host_snapshot *snaps; /* the host paths', in -v order */
	bool upper;         /* the root's upper layer on a disk */
};

/* The bundle goes in the guest's initrd, as one more cpio archive after
 * sporeinit's (file SPORE_BUNDLE_INITRD_FILE): no block device of its own,
 * so the guest's kernel has one backend fewer to wait for. In memory, not a
 * file: a sporectl killed at any point leaves no file behind. */
static int launch_initrd(void *arg, const struct spore_guest *rec,
			 const struct spore_net_plan *plan, uint8_t **out, size_t *outlen,
			 struct spore_err *err)
{
	const struct payload *p = arg;
	const struct launch_args *a = p->a;
	const struct spore_image_config *ic = p->ic;
	struct docker_image_conf img = {
		.entrypoint = ic->entrypoint, .n_entrypoint = ic->n_entrypoint,
		.cmd = ic->cmd, .n_cmd = ic->n_cmd, .env = ic->env, .n_env = ic->n_env,
		.user = ic->user, .working_dir = ic->working_dir,
	};
	struct docker_run_args run = {
		.entrypoint_set = a->entrypoint_set, .entrypoint = a->entrypoint,
		.cmd = a->cmd, .ncmd = a->ncmd, .env_file = p->env_file,
		.env = a->env, .nenv = a->nenv, .user = a->user, .workdir = a->workdir,
		.lookup = host_env,
	};
	struct docker_strings st = {0};
	struct spore_bundle *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return spore_err_set(err, ENOMEM, "launch bundle");
	spore_bundle_init(b);
	if ((r = docker_rules_apply(&img, &run, b, &st, err)) < 0) {
		spore_err_wrap(err, "launch: %s", a->image);
		goto out;
	}
	b->hostname = rec->name;
	b->image_dev = SPORE_BUNDLE_IMAGE_DEV;
	b->tty = a->tty;
	b->stdin_open = a->interactive;
	if (plan)
		spore_net_plan_bundle(plan, b);
	/* Host paths' snapshots are the disks after the image (xvdb, ...);
	 * the named volumes come after the disks. */
	char devs[SPORE_LAUNCH_MAX_VOLUMES][8];
	for (size_t i = 0, nhost = 0, nnamed = 0; i < a->nvolumes; i++) {
		const struct spore_volume_mount *m = &a->volumes[i];
		if (m->host[0])
			snprintf(devs[i], sizeof(devs[i]), "xvd%c", (char)('b' + nhost++));
		else
			spore_launch_volume_dev(p->spec, nnamed++, devs[i], sizeof(devs[i]));
		b->volumes[b->nvolumes++] = (struct spore_bundle_volume){
			.device = devs[i], .target = m->target,
			.fstype = m->host[0] ? "squashfs" : "ext4", .ro = m->ro,
			.file = m->host[0] && p->snaps[nhost - 1].file};
	}
	for (size_t i = 0; i < a->ntmpfs; i++)
		b->tmpfs[b->ntmpfs++] = (struct spore_bundle_tmpfs){
			.target = a->tmpfs[i].target, .size = a->tmpfs[i].size,
			.mode = a->tmpfs[i].mode, .flags = a->tmpfs[i].flags};
	b->read_only = a->read_only;
	/* docker's rule: --stop-signal, else the image's StopSignal, else
	 * SIGTERM; sporeinit sends it on a stop request (destroy). */
	if (a->stop_signal) {
		b->stop_signal = a->stop_signal;
	} else if (ic->stop_signal && ic->stop_signal[0] &&
		   docker_signal_parse(ic->stop_signal, &b->stop_signal) < 0) {
		char shown[64];
		r = spore_err_setx(err, EINVAL, "launch: %s: the image's StopSignal '%s' is not a signal",
				   a->image, spore_volume_printable(ic->stop_signal, shown, sizeof(shown)));
		goto out;
	}
	if (a->stop_timeout >= 0)
		b->stop_timeout = (uint32_t)a->stop_timeout;
	char upper[8];
	if (p->upper) { /* the last of the pipeline's volumes */
		spore_launch_volume_dev(p->spec, p->spec->nvolumes - 1, upper, sizeof(upper));
		b->upper_dev = upper;
	}
	if ((r = spore_initrd_with_bundle(p->initrd, b, out, outlen, err)) < 0)
		spore_err_wrap(err, "launch");
out:
	free(b);
	docker_strings_free(&st);
	return r;
}


/* Once the record lists the volumes, `volume rm` sees them in use: the
 * store's lock, which kept rm out between the lookup and that write, can
 * go (held longer, an attached launch would hold up every rm). A volume
 * its last guest left dirty (destroyed with no grace) is checked now,
 * before its loop device exists, and the outcome reported (volume_fsck.h). */
static int volumes_recorded(void *arg, struct spore_err *err)
{
	struct payload *p = arg;
	char outcome[128];
	int r = 0;

	spore_volume_store_close(p->volumes);
	/* Claimed now: no other launch can attach them while e2fsck runs. */
	for (size_t i = 0; i < p->spec->nvolumes && r >= 0; i++) {
		const struct spore_launch_volume *v = &p->spec->volumes[i];
		if (!v->name)
			continue; /* the root's disk, made just now */
		r = spore_volume_fsck(v->file, outcome, sizeof(outcome), err);
		if (r < 0)
			spore_err_wrap(err, "launch: volume '%s' was not unmounted cleanly", v->name);
		else if (r > 0)
			log_warn("volume '%s' was not unmounted cleanly (its guest was stopped without a grace): %s",
				 v->name, outcome);
	}
	return r < 0 ? r : 0;
}

/* -EBUSY, as the record's claim would say, if a guest that has not exited
 * lists one of the volumes that exist: a launch refused for a volume in use
 * should not create the others first. Only a courtesy: the claim in the
 * record's first write is what two racing launches cannot both pass. */
static int volumes_free(const struct launch_args *a, const bool *exists, struct spore_err *err)
{
	struct spore_xs *xs = NULL;
	struct spore_guest *g = NULL;
	size_t n = 0;
	int r;

	if ((r = spore_xs_open(&xs, err)) < 0 || (r = spore_guest_list(xs, &g, &n, err)) < 0)
		goto out;
	for (size_t i = 0; i < a->nvolumes && r >= 0; i++) {
		int u = exists[i] && a->volumes[i].name[0] ? spore_volume_find_user(g, n, a->volumes[i].name) : -1;
		if (u >= 0)
			r = spore_err_setx(err, EBUSY, "volume '%s' is in use by guest '%s'",
					   a->volumes[i].name, g[u].name);
	}
out:
	free(g);
	spore_xs_close(xs);
	return r;
}

/* Each -v's volume, made (default size) if it does not exist yet. The
 * store stays locked (shared) until the record lists them. */
static int open_volumes(const struct launch_args *a, struct spore_volume_store *vs,
			struct spore_volume *vols, struct spore_err *err)
{
	bool exists[SPORE_LAUNCH_MAX_VOLUMES] = {0};
	int r;

	if ((r = spore_volume_store_open(vs, NULL, false, err)) < 0)
		return spore_err_wrap(err, "launch");
	for (size_t i = 0; i < a->nvolumes; i++) {
		if (!a->volumes[i].name[0])
			continue; /* a host path */
		r = spore_volume_get(vs, a->volumes[i].name, &vols[i], err);
		if (r < 0 && r != -ENOENT)
			return spore_err_wrap(err, "launch: volume '%s'", a->volumes[i].name);
		exists[i] = r >= 0;
		spore_err_clear(err);
	}
	if ((r = volumes_free(a, exists, err)) < 0)
		return r;
	for (size_t i = 0; i < a->nvolumes; i++) {
		const char *name = a->volumes[i].name;
		if (exists[i] || !name[0])
			continue;
		log_info("launch: creating volume %s", name);
		r = spore_volume_create(vs, name, SPORE_VOLUME_DEFAULT_SIZE, NULL, &vols[i], err);
		if (r == -EEXIST) { /* made by a concurrent launch meanwhile */
			spore_err_clear(err);
			r = spore_volume_get(vs, name, &vols[i], err);
		}
		if (r < 0)
			return spore_err_wrap(err, "launch: volume '%s'", name);
	}
	return 0;
}

/* The anonymous volume g had on m's target, if any, in place of m's fresh
 * name: g's mounts list (TYPE\tSOURCE\tTARGET\tro|rw lines) says which
 * volume was on which path, its anonymous list which were anonymous. */
static void anon_reuse(const struct spore_guest *g, struct spore_volume_mount *m)
{
	char mounts[sizeof(g->mounts)], *save = NULL;

	snprintf(mounts, sizeof(mounts), "%s", g->mounts);
	for (char *e = strtok_r(mounts, "\n", &save); e; e = strtok_r(NULL, "\n", &save)) {
		char *type = e, *src = strchr(type, '\t'), *target = src ? strchr(src + 1, '\t') : NULL;
		char *end = target ? strchr(target + 1, '\t') : NULL;
		if (!end)
			continue;
		*src++ = *target++ = *end = '\0';
		if (strcmp(type, "volume") || strcmp(target, m->target) ||
		    strlen(src) >= sizeof(m->name))
			continue;
		/* A whole word of the anonymous list. */
		size_t len = strlen(src);
		for (const char *p = strstr(g->anonymous, src); p; p = strstr(p + 1, src))
			if ((p == g->anonymous || p[-1] == ' ') && (p[len] == ' ' || !p[len])) {
				snprintf(m->name, sizeof(m->name), "%s", src);
				return;
			}
	}
}

/* Docker's rule for the image's VOLUMEs: each path no -v or --tmpfs mounts
 * gets an anonymous volume (a fresh one, made with the others; README
 * "Volumes"), listed in anon (space-separated) for their removal. */
static int add_image_volumes(struct launch_args *a, const struct spore_image_config *ic,
			     char *anon, size_t n, struct spore_err *err)
{
	for (size_t k = 0; k < ic->n_volumes; k++) {
		struct spore_volume_mount m;
		uint8_t rnd[32];
		bool taken = false;

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return spore_err_set(err, errno, "launch: naming an anonymous volume");
		if (spore_volume_image_mount(ic->volumes[k], rnd, &m, err) < 0)
			return spore_err_wrap(err, "launch: %s", a->image);
		/* start: the anonymous volume the guest had there, as docker's. */
		if (a->again)
			anon_reuse(a->again, &m);
		for (size_t i = 0; i < a->nvolumes && !taken; i++)
			taken = !strcmp(a->volumes[i].target, m.target);
		for (size_t i = 0; i < a->ntmpfs && !taken; i++)
			taken = !strcmp(a->tmpfs[i].target, m.target);
		if (taken)
			continue;
		if (a->nvolumes == SPORE_LAUNCH_MAX_VOLUMES)
			return spore_err_setx(err, E2BIG, "launch: at most %d volumes, the image's VOLUMEs included",
					      SPORE_LAUNCH_MAX_VOLUMES);
		a->volumes[a->nvolumes++] = m;
		size_t at = strlen(anon);
		snprintf(anon + at, n - at, "%s%s", at ? " " : "", m.name);
	}
	return 0;
}

/* The record's list of mounts, for list: what does not fit is left out
 * (it is informational; the bundle has them all). */
static void record_mounts(const struct launch_args *a, bool disk, char *out, size_t n)
{
	spore_mounts_append(out, n, "root", disk ? "disk" : "tmpfs", "/", a->read_only);
	for (size_t i = 0; i < a->nvolumes; i++) {
		const struct spore_volume_mount *m = &a->volumes[i];
		spore_mounts_append(out, n, m->host[0] ? "bind" : "volume",
				    m->host[0] ? m->host : m->name, m->target, m->ro);
	}
	for (size_t i = 0; i < a->ntmpfs; i++)
		spore_mounts_append(out, n, "tmpfs", "tmpfs", a->tmpfs[i].target,
				    a->tmpfs[i].flags & SPORE_TMPFS_RO);
}

static int launch(struct launch_args *a, struct spore_err *err)
{
	struct spore_store store = {.lock_fd = -1};
	struct spore_image_config ic = {0};
	char rootfs[PATH_MAX], kernel[PATH_MAX], initrd[PATH_MAX];
	struct payload p = {.a = a, .ic = &ic, .initrd = initrd};
	struct spore_launch_result res;
	struct spore_volume_store vs = {.lock_fd = -1};
	struct spore_volume vols[SPORE_LAUNCH_MAX_VOLUMES] = {0};
	struct spore_host_snapshot snaps[SPORE_LAUNCH_MAX_DISKS];
	size_t nsnaps = 0;
	struct spore_rootfs_disk rootfs_disk = {.u.fd = -1};
	char anon[sizeof(((struct spore_guest *)0)->anonymous)] = "";
	/* unless the guest keeps them (its record stays); a start's are the
	 * guest's, whatever happens */
	bool rm_anon = !a->again;
	char config[sizeof(((struct spore_guest *)0)->config)] = "";
	bool store_open = false;
	int r;

	if (a->kernel)
		snprintf(kernel, sizeof(kernel), "%s", a->kernel);
	else if (spore_asset_kernel(kernel, sizeof(kernel)) < 0)
		return spore_err_setx(err, ENOENT, "launch: no guest kernel found (build it with kernel/build.sh, or give --kernel or $SPORE_KERNEL)");
	if (spore_asset_initrd(initrd, sizeof(initrd)) < 0)
		return spore_err_setx(err, ENOENT, "launch: sporeinit's initrd not found (set $SPORE_INITRD)");
	if (a->env_file && (r = read_env_file(a->env_file, &p.env_file, err)) < 0)
		return r;

	/* The image first: nothing Xen-side exists if it cannot be had. */
	struct spore_pull_opts po = {.registry = {.insecure = a->insecure, .n_insecure = a->ninsecure},
				     .quiet = !isatty(STDERR_FILENO)};
	if ((r = spore_store_open(&store, NULL, false, err)) < 0)
		goto out;
	store_open = true;
	spore_step("image");
	if ((r = spore_image_open(&store, a->image, true, &po, rootfs, sizeof(rootfs), &ic, err)) < 0)
		goto out;

	if ((r = add_image_volumes(a, &ic, anon, sizeof(anon), err)) < 0 ||
	    (r = make_config(a, kernel, p.env_file, config, sizeof(config), err)) < 0)
		goto out;
	if (a->nvolumes > a->nhosts && (r = open_volumes(a, &vs, vols, err)) < 0)
		goto out;
	/* Host paths: snapshots now, before anything Xen-side exists. */
	for (size_t i = 0; i < a->nvolumes; i++) {
		if (!a->volumes[i].host[0])
			continue;
		if ((r = spore_host_snapshot(a->volumes[i].host, &snaps[nsnaps], err)) < 0) {
			spore_err_wrap(err, "launch: -v");
			goto out;
		}
		nsnaps++;
	}
	/* --read-only writes nothing there worth a disk. */
	if (!a->read_only && a->rootfs_size &&
	    (r = spore_rootfs_disk_make(a->rootfs_size, &rootfs_disk, err)) < 0) {
		spore_err_wrap(err, "launch");
		goto out;
	}

	struct spore_launch_spec spec = {
		.name = a->name, .kernel = kernel, .image = a->image,
		/* spore.nowait_devices: spore's kernel lets sporeinit run while
		 * its devices connect (kernel/patches; others ignore it). */
		.cmdline = "console=hvc0 quiet spore.nowait_devices",
		.memory_mib = a->memory_mib, .vcpus = a->vcpus, .cpu_cap = a->cpu_cap,
		.disks = {rootfs}, .ndisks = 1, .loop_step = "loop-image",
		.network = a->network, .ports = a->ports, .allow_dom0 = a->allow_dom0,
		.net_userspace = a->net_backend && !strcmp(a->net_backend, SPORE_NET_BACKEND_USERSPACE),
		.initrd_name = initrd, .make_initrd = launch_initrd, .arg = &p,
		.attach = a->attach, .rm = a->rm,
		.recorded = volumes_recorded,
		.config = config, .restart = a->restart,
		.again = a->again, .by_policy = a->by_policy,
	};
	for (size_t i = 0; i < nsnaps; i++)
		spec.disks[spec.ndisks++] = snaps[i].path;
	for (size_t i = 0; i < a->nvolumes; i++)
		if (a->volumes[i].name[0])
			spec.volumes[spec.nvolumes++] = (struct spore_launch_volume){
				.name = vols[i].name, .file = vols[i].path, .ro = a->volumes[i].ro};
	if (rootfs_disk.u.fd >= 0) {
		if (spec.nvolumes == SPORE_LAUNCH_MAX_VOLUMES) {
			r = spore_err_setx(err, E2BIG, "launch: %d volumes leave no device for the root's disk (--rootfs-size 0 keeps it in RAM)",
					   SPORE_LAUNCH_MAX_VOLUMES);
			goto out;
		}
		spec.volumes[spec.nvolumes++] = (struct spore_launch_volume){.file = rootfs_disk.path};
		p.upper = true;
	}
	char mounts[sizeof(((struct spore_guest *)0)->mounts)] = "";
	record_mounts(a, rootfs_disk.u.fd >= 0, mounts, sizeof(mounts));
	spec.mounts = mounts;
	spec.anonymous = anon;
	p.spec = &spec;
	p.snaps = snaps;
	p.volumes = &vs;
	if ((r = spore_launch_run(&spec, &res, err)) < 0)
		goto out;
	/* The record stays (and its anonymous volumes with it) unless --rm
	 * saw the guest stop. */
	rm_anon = res.end == SPORE_LAUNCH_STOPPED && a->rm;
	switch (res.end) {
	case SPORE_LAUNCH_STARTED:
		if (!a->again) /* start prints the ID it was given */
			printf("%s\n", res.uuid); /* the reaper frees it when it stops */
		break;
	case SPORE_LAUNCH_DETACHED:
		fprintf(stderr, "\r\nsporectl: detached from %s; it keeps running (sporectl console %s)\n",
			res.name, res.name);
		break;
	case SPORE_LAUNCH_STOPPED:
		r = spore_exit_code(res.exit_status);
		if (r < 0)
			r = spore_err_setx(err, EIO, "launch: guest %s stopped (%s) without reporting the container's exit status",
					   res.name, res.exit_status[0] ? res.exit_status
					   : res.crashed ? "crash" : "poweroff");
		break;
	}
out:
	/* A launch that failed before the pipeline (the image, a volume):
	 * counted as failed from its first step (the pipeline reports its own). */
	if (r < 0)
		spore_launch_report(true);
	/* The loop devices keep the snapshots' files as long as they need them. */
	for (size_t i = 0; i < nsnaps; i++)
		spore_host_snapshot_close(&snaps[i]);
	spore_rootfs_disk_close(&rootfs_disk);
	spore_volume_store_close(&vs); /* before the removal takes it exclusive */
	if (rm_anon)
		spore_anon_volumes_remove(anon);
	for (size_t i = 0; i < a->nvolumes; i++)
		spore_volume_free(&vols[i]);
	spore_image_config_free(&ic);
	if (store_open)
		spore_store_close(&store);
	free(p.env_file);
	return r;
}

int cmd_launch(int argc, char **argv, struct spore_err *err)
{
	struct launch_args *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return spore_err_set(err, ENOMEM, "launch");
	r = parse_args(a, argc, argv, err);
	if (r == 0)
		r = launch(a, err);
	else if (r > 0)
		r = 0; /* --help */
	cfg_free(a);
	free(a);
	return r;
}

int cli_launch_again(const struct spore_guest *g, bool attach, bool by_policy,
		     struct spore_err *err)
{
	struct launch_args *a = NULL;
	char **cfg = NULL, **argv = NULL;
	size_t n = 0;
	int r;

	if (!g->config[0])
		return spore_err_setx(err, ENOTSUP, "guest '%s' keeps no launch configuration (made by boot, spore-runc or with options too long): it cannot be started again",
				      g->name);
	if ((r = spore_launch_config_decode(g->config, &cfg, &n)) < 0)
		return spore_err_set(err, -r, "guest '%s': its record's launch configuration", g->name);
	/* launch's parsing, as if typed again: "launch [-a] OPTIONS -- IMAGE CMD". */
	if (!(argv = calloc(n + 3, sizeof(*argv))) || !(a = calloc(1, sizeof(*a)))) {
		r = spore_err_set(err, ENOMEM, "start");
		goto out;
	}
	size_t argc = 0;
	argv[argc++] = "launch";
	if (attach)
		argv[argc++] = "--attach";
	for (size_t i = 0; i < n; i++)
		argv[argc++] = cfg[i];
	a->again = g;
	a->by_policy = by_policy;
	r = parse_args(a, (int)argc, argv, err);
	if (r > 0) /* --help in a record: not what launch kept */
		r = spore_err_setx(err, EINVAL, "guest '%s': its record's launch configuration is not launch's", g->name);
	if (r == 0)
		r = launch(a, err);
out:
	if (a)
		cfg_free(a);
	free(a);
	free(argv);
	free(cfg);
	return r;
}

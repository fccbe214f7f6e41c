/* spore-runc: an OCI runtime command line (runc's) whose containers are
 * spore guests, for containerd's runc v2 shim, ctr --runc-binary and
 * podman/conmon (README, "spore-runc"). main parses the global options,
 * runs one verb and prints its error once: one line on stderr (conmon
 * shows it) and one in the --log file (containerd shows that). */
#include "runc_cli.h"
#include "runc_state.h"

#include <spore/log.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifndef SPORE_VERSION
#define SPORE_VERSION "0"
#endif

bool runc_usage_error;

int runc_usage(struct spore_err *err, const char *fmt, ...)
{
	va_list ap;

	runc_usage_error = true;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->code = EINVAL;
	return -EINVAL;
}

bool runc_help(int argc, char **argv, const char *text)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(text, stdout);
			return true;
		}
	return false;
}

static const char usage[] =
	"Usage: spore-runc [GLOBAL OPTIONS] COMMAND [OPTIONS] ID [ARGS]\n"
	"\n"
	"An OCI runtime (runc's command line) whose containers are spore guests.\n"
	"\n"
	"Commands:\n"
	"  create --bundle DIR --pid-file FILE ID\n"
	"                            Build the container's guest; its process waits for start\n"
	"  start ID                  Start the container's process\n"
	"  kill [--all] ID [SIGNAL]  SIGKILL: destroy the guest; TERM/INT/HUP/QUIT: stop it\n"
	"  state ID                  Print the container's OCI state (JSON)\n"
	"  delete [--force] ID       Remove the container (--force: even if it runs)\n"
	"  ps [--format json] ID     The container's host process\n"
	"\n"
	"Global options:\n"
	"  --root DIR                State directory (default " SPORE_RUNC_DEF_ROOT ")\n"
	"  --log FILE                Append errors to FILE\n"
	"  --log-format text|json    Format of the --log lines (default text)\n"
	"  -v, --version             Print the version\n"
	"  -h, --help                This help\n"
	"Accepted and ignored (runc's): --debug, --systemd-cgroup, --criu PATH,\n"
	"--rootless BOOL, --cgroup-manager NAME.\n";

struct verb {
	const char *name;
	int (*fn)(const struct runc_ctx *c, int argc, char **argv, struct spore_err *err);
};

static const struct verb verbs[] = {
	{"create", cmd_create},
	{"start", cmd_start},
	{"kill", cmd_kill},
	{"state", cmd_state},
	{"delete", cmd_delete},
	{"ps", cmd_ps},
};

/* runc's other verbs: known, so they fail with a clear line. */
static const char *const unsupported[] = {
	"checkpoint", "events", "exec", "features", "init", "list", "pause", "restore",
	"resume", "run", "spec", "update",
};

enum { O_LOG_FORMAT = 256, O_DEBUG, O_SYSTEMD, O_CRIU, O_ROOTLESS, O_CGROUP_MANAGER };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, 0, 'r'},
		{"log", required_argument, 0, 'l'},
		{"log-format", required_argument, 0, O_LOG_FORMAT},
		{"debug", no_argument, 0, O_DEBUG},
		{"systemd-cgroup", no_argument, 0, O_SYSTEMD},
		{"criu", required_argument, 0, O_CRIU},
		{"rootless", required_argument, 0, O_ROOTLESS},
		{"cgroup-manager", required_argument, 0, O_CGROUP_MANAGER},
		{"version", no_argument, 0, 'v'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct runc_ctx c = {.root = SPORE_RUNC_DEF_ROOT};
	struct spore_err err = {0};
	const struct verb *v = NULL;
	int o, r = 0;

	spore_log_init("spore-runc");
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (o) {
		case 'r':
			c.root = optarg;
			break;
		case 'l':
			c.log = optarg;
			break;
		case O_LOG_FORMAT:
			if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
				r = runc_usage(&err, "--log-format '%s': not text or json", optarg);
				goto out;
			}
			c.log_json = !strcmp(optarg, "json");
			break;
		case O_DEBUG: case O_SYSTEMD: case O_CRIU: case O_ROOTLESS: case O_CGROUP_MANAGER:
			break; /* runc's, meaningless for a guest */
		case 'v':
			printf("spore-runc version %s\nspec: %s\n", SPORE_VERSION, SPORE_RUNC_OCI_VERSION);
			goto out;
		case 'h':
			fputs(usage, stdout);
			goto out;
		default:
			r = runc_usage(&err, "unknown or incomplete global option '%s' (spore-runc --help)",
				       argv[optind - 1]);
			goto out;
		}
	}
	if (optind >= argc) {
		r = runc_usage(&err, "no command (spore-runc --help)");
		goto out;
	}
	if (!*c.root) {
		r = runc_usage(&err, "--root: empty");
		goto out;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[optind], verbs[i].name))
			v = &verbs[i];
	if (v) {
		/* Each verb parses from its own name, getopt anew. */
		argv += optind;
		argc -= optind;
		optind = 0;
		r = v->fn(&c, argc, argv, &err);
		goto out;
	}
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (!strcmp(argv[optind], unsupported[i])) {
			r = spore_err_setx(&err, ENOTSUP, "%s: not supported by spore-runc", argv[optind]);
			goto out;
		}
	r = runc_usage(&err, "unknown command '%.64s' (spore-runc --help)", argv[optind]);
out:
	if (r < 0) {
		spore_err_print("spore-runc", err.msg);
		runc_log_line(&c, "error", err.msg);
	}
	return r < 0 ? (runc_usage_error ? 2 : 1) : 0;
}

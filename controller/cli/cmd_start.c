/* sporectl start and restart: launch stopped guests again, as they were
 * launched (the record's configuration, cmd_launch.c), as a new Xen domain
 * under the same UUID and name. */
#include "guest_reap.h"
#include "guest_teardown.h"
#include <spore/log.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anon_volumes.h"
#include "cli_util.h"
#include "commands.h"

static void usage(FILE *out, bool restart)
{
	if (restart)
		fprintf(out, "Usage: sporectl restart [OPTIONS] ID...\n"
			     "\n"
			     "Stop guests as 'stop' does (a stopped one stays so), then start them\n"
			     "again as 'start' does. ID is a UUID, a unique UUID prefix, a name or a\n"
			     "domid.\n"
			     "\n"
			     "Options:\n"
			     "  -t, --time S    Grace period in seconds (default 10; 0: no wait)\n"
			     "  -h, --help      Show this help\n");
	else
		fprintf(out, "Usage: sporectl start [OPTIONS] ID...\n"
			     "\n"
			     "Start exited guests again: the same image and configuration as their\n"
			     "launch (command, environment, volumes, ports, mounts) in a new Xen\n"
			     "domain under the same name and UUID. A guest that runs is left alone.\n"
			     "The restart count starts again from 0. ID is a UUID, a unique UUID\n"
			     "prefix, a name or a domid.\n"
			     "\n"
			     "Options:\n"
			     "  -a, --attach    Attach to the console (one guest); exit with the\n"
			     "                  container's status, as 'launch --attach'\n"
			     "  -h, --help      Show this help\n");
}

static int run(int argc, char **argv, bool restart, struct spore_err *err)
{
	static const struct option opts[] = {
		{"attach", no_argument, 0, 'a'},
		{"time", required_argument, 0, 't'},
		/* spored's restart policy: counts one more restart (not in --help) */
		{"by-policy", no_argument, 0, 'P'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *verb = restart ? "restart" : "start";
	struct spore_xc *xc = NULL;
	struct spore_xs *xs = NULL;
	struct spore_guest *v = NULL;
	bool attach = false, by_policy = false;
	long grace = 10;
	size_t n = 0;
	int c, r;

	spore_reap_removed = spore_anon_volumes_removed;
	optind = 1;
	while ((c = getopt_long(argc, argv, restart ? "t:h" : "ah", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (restart) {
				usage(stderr, restart);
				return cli_usage(err, NULL);
			}
			attach = true;
			break;
		case 'P':
			by_policy = !restart;
			break;
		case 't': {
			char *end;
			errno = 0;
			grace = strtol(optarg, &end, 10);
			if (!restart || errno || end == optarg || *end || grace < 0 || grace > 3600)
				return cli_usage(err, "%s: --time '%s' is not 0..3600 seconds", verb, optarg);
			break;
		}
		case 'h': usage(stdout, restart); return 0;
		default: usage(stderr, restart); return cli_usage(err, NULL);
		}
	}
	if (optind >= argc) {
		usage(stderr, restart);
		return cli_usage(err, "%s: no ID given", verb);
	}
	/* launch's parsing (cli_launch_again) moves getopt's optind. */
	char **ids = argv + optind;
	n = (size_t)(argc - optind);
	if (attach && n > 1)
		return cli_usage(err, "start: --attach takes one guest (docker's rule)");
	if ((r = spore_xc_open(&xc, err)) < 0 || (r = spore_xs_open(&xs, err)) < 0)
		goto out;
	struct spore_err e = {0};
	if (spore_reap_pass(xc, xs, NULL, NULL, &e) < 0)
		log_warn("%s: cleaning up: %s", verb, e.msg);
	/* Resolve every id before touching anything: a typo stops it all. */
	if (!(v = calloc(n, sizeof(*v)))) {
		r = spore_err_set(err, ENOMEM, "%s", verb);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((r = spore_guest_resolve(xs, ids[i], &v[i], err)) < 0) {
			spore_err_wrap(err, "%s", verb);
			goto out;
		}
	}
	if (restart && (r = cli_stop_guests(xc, xs, v, n, (int)grace, err)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct spore_guest now;
		/* As it is now (a stop, a reap changed it). */
		if ((r = spore_guest_read(xs, v[i].uuid, &now, err)) < 0) {
			spore_err_wrap(err, "%s: guest '%s'", verb, ids[i]);
			goto out;
		}
		if (strcmp(now.state, "exited")) {
			/* docker's: starting a running container does nothing. */
			if (!by_policy)
				printf("%s\n", ids[i]);
			continue;
		}
		if ((r = cli_launch_again(&now, attach, by_policy, err)) < 0) {
			spore_err_wrap(err, "%s", verb);
			goto out;
		}
		if (!attach)
			printf("%s\n", ids[i]);
	}
out:
	free(v);
	spore_xs_close(xs);
	spore_xc_close(xc);
	return r;
}

int cmd_start(int argc, char **argv, struct spore_err *err)
{
	return run(argc, argv, false, err);
}

int cmd_restart(int argc, char **argv, struct spore_err *err)
{
	return run(argc, argv, true, err);
}

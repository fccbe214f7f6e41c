/* sporectl console: re-attach the terminal to a running guest's console. */
#include "guest_teardown.h"
#include <spore/log.h>

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xen/sched.h>

#include "cli_util.h"
#include "commands.h"
#include "console_attach.h"

#define CONSOLE_HISTORY (64 * 1024)

static void usage(FILE *out)
{
	fprintf(out, "Usage: sporectl console [--no-history] ID\n"
		     "\n"
		     "Attach to a running guest's console, served by spored: its recent output\n"
		     "first (the last 64 KiB), then live. Ctrl+] detaches (the guest runs on);\n"
		     "returns when the guest shuts down. ID is a UUID, a unique UUID prefix, a\n"
		     "name or a domid.\n"
		     "\n"
		     "Options:\n"
		     "  --no-history   Only what the guest writes from now on\n"
		     "  -h, --help     Show this help\n");
}

int cmd_console(int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {{"help", no_argument, 0, 'h'},
					     {"no-history", no_argument, 0, 'H'},
					     {0, 0, 0, 0}};
	uint32_t history = CONSOLE_HISTORY;
	struct spore_xc *xc = NULL;
	struct spore_xs *xs = NULL;
	struct spore_guest g;
	struct spore_dominfo info;
	int c, r, svc = -1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'H') {
			history = 0;
			continue;
		}
		usage(stderr);
		return cli_usage(err, NULL);
	}
	if (optind != argc - 1) {
		usage(stderr);
		return cli_usage(err, NULL);
	}
	const char *id = argv[optind];
	if ((r = spore_xc_open(&xc, err)) < 0 || (r = spore_xs_open(&xs, err)) < 0)
		goto out;
	if ((r = cli_running_guest(xc, xs, "console", id, &g, &info, err)) < 0)
		goto out;
	if ((svc = console_connect(g.uuid, history, err)) < 0) {
		r = svc;
		spore_err_wrap(err, "console: guest '%s'", id);
		goto out;
	}
	unsigned reason = 0;
	r = console_attach(xc, xs, info.domid, g.uuid, &svc, false, &reason, NULL, 0, err);
	if (r < 0) {
		spore_err_wrap(err, "console: guest '%s'", id);
	} else if (r == ATTACH_DETACHED) {
		fprintf(stderr, "\r\nsporectl: detached from %s; it keeps running\n", g.name);
		r = 0;
	} else {
		/* The guest is done: free it now (the reaper may race us; both
		 * are harmless). */
		struct spore_err e = {0};
		if (spore_guest_teardown(xc, xs, &g, &e) < 0)
			log_warn("console: %s", e.msg);
		r = 0;
		if (reason == SHUTDOWN_crash)
			r = spore_err_setx(err, EIO, "console: guest '%s' crashed", id);
	}
out:
	if (svc >= 0)
		close(svc);
	spore_xs_close(xs);
	spore_xc_close(xc);
	return r;
}

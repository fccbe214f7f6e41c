/* sporectl destroy, stop and rm: stop guests (gracefully first) and free
 * them, keeping their records (stop) or not (destroy), or remove the
 * records of exited ones (rm). */
#include "guest_reap.h"
#include "guest_teardown.h"
#include <spore/clock.h>
#include <spore/log.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anon_volumes.h"
#include "cli_util.h"
#include "commands.h"

enum mode { DESTROY, RM, STOP };

static void usage(FILE *out, enum mode mode)
{
	if (mode == STOP)
		fprintf(out, "Usage: sporectl stop [OPTIONS] ID...\n"
			     "\n"
			     "Stop running guests, keeping their records: each is sent its stop signal\n"
			     "(--stop-signal, else the image's StopSignal, else SIGTERM) and destroyed\n"
			     "when it has not stopped within the grace period. Its record stays, exited\n"
			     "(list -a), for start, logs and inspect; its restart policy does not start\n"
			     "it again. Stopping an exited guest does nothing (but cancel a pending\n"
			     "restart). ID is a UUID, a unique UUID prefix, a name or a domid.\n"
			     "\n"
			     "Options:\n"
			     "  -t, --time S    Grace period in seconds (default 10; 0: no wait)\n"
			     "  -h, --help      Show this help\n");
	else if (mode == RM)
		fprintf(out, "Usage: sporectl rm [--all] ID...\n"
			     "\n"
			     "Remove the records of exited guests (and anything left of them).\n"
			     "ID is a UUID, a unique UUID prefix, a name or a domid.\n"
			     "\n"
			     "Options:\n"
			     "  --all        Every exited guest\n"
			     "  -h, --help   Show this help\n");
	else
		fprintf(out, "Usage: sporectl destroy [OPTIONS] ID...\n"
			     "\n"
			     "Stop guests and free everything they hold, then remove their records.\n"
			     "A running guest is asked to power off first and destroyed when it has\n"
			     "not within the grace period. ID is a UUID, a unique UUID prefix, a name\n"
			     "or a domid.\n"
			     "\n"
			     "Options:\n"
			     "  --all           Every guest\n"
			     "  -t, --time S    Grace period in seconds (default 10; 0: no wait)\n"
			     "  -h, --help      Show this help\n");
}

/* 1 if the guest's domain exists and neither shut down nor dying. */
static int is_up(struct spore_xc *xc, const struct spore_guest *g, struct spore_err *err)
{
	struct spore_dominfo info;
	int r = spore_guest_find_domain(xc, g, &info, err);
	if (r <= 0)
		return r;
	return !spore_dominfo_shutdown(&info) && !spore_dominfo_dying(&info);
}

struct stopping {
	struct spore_xc *xc;
	const struct spore_guest *v;
	bool *up; /* asked to power off, not down yet */
	size_t n, waiting;
};

/* Done once every guest asked to power off is down. */
static int all_down(struct spore_xs *xs, void *arg, struct spore_err *err)
{
	struct stopping *s = arg;

	(void)xs;
	(void)err;
	for (size_t i = 0; i < s->n; i++) {
		struct spore_err e = {0};
		if (s->up[i] && is_up(s->xc, &s->v[i], &e) == 0) {
			s->up[i] = false;
			s->waiting--;
		}
	}
	return s->waiting == 0;
}

/* Asks every running guest in v to power off, then waits (on @releaseDomain,
 * which fires whenever any domain shuts down) until all are down or grace_ms
 * passed. Guests still up are destroyed by the teardown that follows. */
static int stop_gracefully(struct spore_xc *xc, struct spore_xs *xs, struct spore_guest *v,
			   size_t n, int grace_ms, struct spore_err *err)
{
	bool *up = calloc(n ? n : 1, sizeof(*up));
	size_t waiting = 0;
	int r = 0;

	if (!up)
		return spore_err_set(err, ENOMEM, "destroy");
	for (size_t i = 0; i < n; i++) {
		struct spore_dominfo info;
		struct spore_err e = {0};
		if (spore_guest_find_domain(xc, &v[i], &info, &e) <= 0 ||
		    spore_dominfo_shutdown(&info) || spore_dominfo_dying(&info))
			continue;
		char path[96];
		snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/control/shutdown",
			 info.domid);
		if (grace_ms > 0 && spore_xs_write_str(xs, 0, path, "poweroff", &e) < 0) {
			log_warn("guest %s: asking it to power off: %s", v[i].name, e.msg);
			continue;
		}
		up[i] = grace_ms > 0;
		waiting += up[i];
	}
	if (waiting) {
		struct stopping s = {.xc = xc, .v = v, .up = up, .n = n, .waiting = waiting};
		r = spore_xs_wait(xs, "@releaseDomain", grace_ms, all_down, &s, err);
		if (r == -ETIMEDOUT) {
			spore_err_clear(err);
			r = 0;
		}
	}
	for (size_t i = 0; i < n && r == 0; i++)
		if (up[i])
			log_info("guest %s did not power off within %d s: destroying it",
				 v[i].name, grace_ms / 1000);
	free(up);
	return r;
}

/* Marks each record stopped (spored's restart policy leaves it alone from
 * now on) before anything stops it. */
static void mark_stopped(struct spore_xs *xs, const struct spore_guest *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct spore_err e = {0};
		int r = spore_guest_set(xs, v[i].uuid, SPORE_REC_STOPPED, "1", &e);
		if (r < 0 && r != -ENOENT) /* removed meanwhile: nothing to stop */
			log_warn("guest %s: marking it stopped: %s", v[i].name, e.msg);
	}
}

/* Waits (bounded) until no guest in v is building: a launch (a policy's
 * restart, say) finishes first, then it is stopped like any other. Refreshes
 * v's records. */
static int wait_built(struct spore_xs *xs, struct spore_guest *v, size_t n, struct spore_err *err)
{
	enum { WAIT_MS = 300 * 1000, STEP_MS = 200 };
	bool building = true;
	int r = 0;

	for (int waited = 0; building && r >= 0; waited += STEP_MS) {
		building = false;
		for (size_t i = 0; i < n && r >= 0; i++) {
			if (strcmp(v[i].state, "building"))
				continue;
			if ((r = spore_guest_read(xs, v[i].uuid, &v[i], err)) == -ENOENT) {
				/* Its launch failed and removed it: nothing to stop. */
				spore_err_clear(err);
				snprintf(v[i].state, sizeof(v[i].state), "exited");
				r = 0;
			}
			building |= !strcmp(v[i].state, "building");
		}
		if (building && waited >= WAIT_MS)
			return spore_err_setx(err, ETIMEDOUT, "stop: a guest is still being launched after %d s",
					      WAIT_MS / 1000);
		if (building)
			usleep(STEP_MS * 1000);
	}
	return r;
}

int cli_stop_guests(struct spore_xc *xc, struct spore_xs *xs, struct spore_guest *v, size_t n,
		    int grace_s, struct spore_err *err)
{
	int r;

	/* Marked first: a restart that is due does not begin meanwhile. */
	mark_stopped(xs, v, n);
	if ((r = wait_built(xs, v, n, err)) < 0)
		return r;
	/* Again: a launch's last record write knew nothing of the first. */
	mark_stopped(xs, v, n);
	if ((r = stop_gracefully(xc, xs, v, n, grace_s * 1000, err)) < 0)
		return spore_err_wrap(err, "stop");
	for (size_t i = 0; i < n; i++) {
		struct spore_err e = {0};
		if (strcmp(v[i].state, "exited") && (r = spore_guest_teardown(xc, xs, &v[i], &e)) < 0) {
			*err = e;
			return spore_err_wrap(err, "stop: guest '%s'", v[i].name);
		}
	}
	return 0;
}

static int run(int argc, char **argv, enum mode mode, struct spore_err *err)
{
	bool rm = mode == RM;
	static const struct option opts[] = {
		{"all", no_argument, 0, 'A'},
		{"time", required_argument, 0, 't'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *verb = rm ? "rm" : mode == STOP ? "stop" : "destroy";
	struct spore_xc *xc = NULL;
	struct spore_xs *xs = NULL;
	struct spore_guest *v = NULL;
	size_t n = 0;
	bool all = false;
	long grace = 10;
	int c, r;

	/* A launch that died may have left anonymous volumes. */
	spore_reap_removed = spore_anon_volumes_removed;
	optind = 1;
	while ((c = getopt_long(argc, argv, rm ? "h" : "t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'A':
			if (mode == STOP) {
				usage(stderr, mode);
				return cli_usage(err, NULL);
			}
			all = true;
			break;
		case 't': {
			char *end;
			errno = 0;
			grace = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || grace < 0 || grace > 3600)
				return spore_err_setx(err, EINVAL,
						      "%s: --time '%s' is not 0..3600 seconds",
						      verb, optarg);
			break;
		}
		case 'h': usage(stdout, mode); return 0;
		default: usage(stderr, mode); return cli_usage(err, NULL);
		}
	}
	if (all == (optind < argc)) {
		usage(stderr, mode);
		return cli_usage(err, NULL);
	}
	if ((r = spore_xc_open(&xc, err)) < 0 || (r = spore_xs_open(&xs, err)) < 0)
		goto out;
	/* Half-built guests of dead launches go first, as the reaper would. */
	struct spore_err e = {0};
	if (spore_reap_pass(xc, xs, NULL, NULL, &e) < 0)
		log_warn("%s: cleaning up: %s", verb, e.msg);

	if (all) {
		if ((r = spore_guest_list(xs, &v, &n, err)) < 0) {
			spore_err_wrap(err, "%s", verb);
			goto out;
		}
		if (rm) {
			size_t k = 0;
			for (size_t i = 0; i < n; i++)
				if (!strcmp(v[i].state, "exited"))
					v[k++] = v[i];
			n = k;
		}
	} else {
		/* Resolve every id before touching anything: a typo stops it all. */
		n = (size_t)(argc - optind);
		if (!(v = calloc(n, sizeof(*v)))) {
			r = spore_err_set(err, ENOMEM, "%s", verb);
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if ((r = spore_guest_resolve(xs, argv[optind + i], &v[i], err)) < 0) {
				spore_err_wrap(err, "%s", verb);
				goto out;
			}
			if (rm && strcmp(v[i].state, "exited")) {
				r = spore_err_setx(err, EBUSY,
						   "rm: guest '%s' is %s (use sporectl destroy)",
						   argv[optind + i], v[i].state);
				goto out;
			}
		}
	}
	if (mode == STOP) {
		if ((r = cli_stop_guests(xc, xs, v, n, (int)grace, err)) == 0)
			for (size_t i = 0; i < n; i++)
				printf("%s\n", argv[optind + i]);
		goto out;
	}
	/* A destroy is never undone by a restart policy, even half-way. */
	if (!rm)
		mark_stopped(xs, v, n);
	if (!rm && (r = stop_gracefully(xc, xs, v, n, (int)grace * 1000, err)) < 0) {
		spore_err_wrap(err, "destroy");
		goto out;
	}
	r = 0;
	for (size_t i = 0; i < n; i++) {
		const char *id = all ? v[i].name : argv[optind + i];
		int t = spore_guest_teardown(xc, xs, &v[i], &e);
		if (t >= 0)
			t = spore_guest_remove(xs, v[i].uuid, &e);
		if (t >= 0) /* docker's rm -v: they were the container's */
			spore_anon_volumes_remove(v[i].anonymous);
		if (t < 0) {
			/* Report the first failure; go on with the others. */
			if (r == 0) {
				*err = e;
				spore_err_wrap(err, "%s", verb);
				r = t;
			} else {
				log_error("%s: %s", verb, e.msg);
			}
			continue;
		}
		printf("%s\n", id);
	}
out:
	free(v);
	spore_xs_close(xs);
	spore_xc_close(xc);
	return r;
}

int cmd_destroy(int argc, char **argv, struct spore_err *err)
{
	return run(argc, argv, DESTROY, err);
}

int cmd_rm(int argc, char **argv, struct spore_err *err)
{
	return run(argc, argv, RM, err);
}

int cmd_stop(int argc, char **argv, struct spore_err *err)
{
	return run(argc, argv, STOP, err);
}

/* sporectl reaper: one dom0 service for all guests that frees every guest
 * whose domain shuts down, and every half-built guest whose launch died.
 *
 * It holds no state that matters: a startup pass over every record catches
 * up on whatever happened meanwhile, so it can be restarted at any time.
 * After that, each wake-up looks only at the guests it concerns, so its work
 * per launch does not grow with the number of guests:
 *  - a change under /spore/guests names its record: that record is read;
 *  - @releaseDomain (xenstored fires it when any domain shuts down or dies)
 *    names nothing: one getdomaininfolist, compared with the one before,
 *    gives the domains gone or shut down since, whose handles are their
 *    guests' UUIDs;
 *  - the exit of a launch building a guest, or of an attached sporectl (a
 *    pidfd per owner: a SIGKILLed sporectl sends no event of its own),
 *    names that owner's guest.
 * A slow timer runs a full pass, only as a safety net. */
#include "guest_reap.h"
#include "guest_teardown.h"
#include <spore/log.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "anon_volumes.h"
#include "cli_util.h"
#include "commands.h"

#define SAFETY_NET_MS (60 * 1000)
/* Owners watched at once; beyond that, a full pass every second. */
#define MAX_OWNERS 256

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: sporectl reaper [--once]\n"
		     "\n"
		     "Run the dom0 service that frees guests that shut down (within a second or\n"
		     "two, whether or not a sporectl is attached) and the remains of launches\n"
		     "that died half-way. One process serves all guests; see README.\n"
		     "\n"
		     "Options:\n"
		     "  --once       One pass, then exit\n"
		     "  -h, --help   Show this help\n");
}

static int pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* The guests whose owner (a launch, or an attached sporectl) the reaper
 * waits for: one pidfd each. */
struct owners {
	char uuid[MAX_OWNERS][37];
	int fd[MAX_OWNERS];
	size_t n;
	bool rescan; /* a full pass within a second: some owner is not watched, or a look failed */
};

static void owners_drop(struct owners *o, const struct spore_uuid_set *which)
{
	for (size_t i = 0; i < o->n;) {
		if (which && !spore_uuid_set_has(which, o->uuid[i])) {
			i++;
			continue;
		}
		close(o->fd[i]);
		o->n--;
		memcpy(o->uuid[i], o->uuid[o->n], 37);
		o->fd[i] = o->fd[o->n];
	}
	if (!which)
		o->rescan = false;
}

static void owners_add(struct owners *o, const char *uuid, pid_t pid)
{
	if (o->n == MAX_OWNERS) {
		o->rescan = true;
		return;
	}
	int fd = pidfd_open(pid);
	if (fd < 0) {
		/* Gone already (or no pidfds): look again soon. */
		o->rescan = true;
		return;
	}
	memcpy(o->uuid[o->n], uuid, 37);
	o->fd[o->n++] = fd;
}

/* Takes every queued watch event without waiting: the records they name go
 * into todo; *all if any record may have changed, *release on
 * @releaseDomain. */
static int drain(struct spore_xs *xs, struct spore_uuid_set *todo, bool *all, bool *release,
		 struct spore_err *err)
{
	for (;;) {
		struct spore_xs_event *ev = NULL;
		char uuid[37];
		int r = spore_xs_read_watch(xs, &ev, 0, err);
		if (r == -EAGAIN) {
			spore_err_clear(err);
			return 0;
		}
		if (r < 0)
			return r;
		if (!strcmp(ev->token, "release")) {
			*release = true;
		} else if (!strcmp(ev->token, "records")) {
			int k = spore_reap_event_uuid(ev->path, uuid);
			if (k == 0)
				*all = true;
			else if (k > 0 && spore_uuid_set_add(todo, uuid) < 0)
				*all = true; /* out of memory: the full pass copes */
		}
		free(ev);
	}
}

/* One wake-up's work: the guests in todo (all of them if all), and those
 * whose domain is gone since *prev (which becomes this look's snapshot) or
 * is shut down. */
static void reap(struct spore_xc *xc, struct spore_xs *xs, struct spore_uuid_set *todo, bool all,
		 struct spore_dominfo **prev, size_t *nprev, struct owners *o)
{
	struct spore_dominfo *doms = NULL;
	size_t ndoms = 0;
	pid_t *pids = NULL;
	struct spore_err e = {0};
	bool retry = false; /* something failed: a full pass soon */

	if (spore_domain_snapshot(xc, &doms, &ndoms, &e) < 0) {
		log_warn("reaper: %s", e.msg);
		o->rescan = true;
		return;
	}
	if (all && spore_reap_all_uuids(xs, todo, &e) < 0) {
		log_warn("reaper: %s", e.msg);
		retry = true;
	}
	/* On every look, not only on a release: a look for another reason
	 * may already see a domain gone whose @releaseDomain is still on its
	 * way, and the next look would then find nothing gone. */
	if (spore_reap_released(*prev, *nprev, doms, ndoms, todo) < 0) {
		log_warn("reaper: out of memory");
		retry = true;
	}
	if (todo->n && !(pids = calloc(todo->n, sizeof(*pids)))) {
		log_warn("reaper: out of memory");
		retry = true;
	} else if (todo->n && spore_reap_guests(xc, xs, todo, doms, ndoms, pids, &e) < 0) {
		log_warn("reaper: %s", e.msg);
		retry = true;
		free(pids);
		pids = NULL;
	}
	/* The owners of the guests just looked at are now known afresh. */
	if (pids) {
		owners_drop(o, all ? NULL : todo);
		for (size_t i = 0; i < todo->n; i++)
			if (pids[i] > 0)
				owners_add(o, todo->v[i], pids[i]);
	} else if (all && !todo->n) {
		owners_drop(o, NULL); /* no records at all */
	}
	if (retry)
		o->rescan = true;
	free(pids);
	free(*prev);
	*prev = doms;
	*nprev = ndoms;
}

int cmd_reaper(int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {
		{"once", no_argument, 0, 'o'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct spore_xc *xc = NULL;
	struct spore_xs *xs = NULL;
	static struct owners o;
	static struct pollfd pfd[1 + MAX_OWNERS];
	struct spore_uuid_set todo = {0};
	struct spore_dominfo *prev = NULL;
	size_t nprev = 0;
	bool once = false, all = true, release = false;
	int c, r;

	/* A launch that died may have left anonymous volumes. */
	spore_reap_removed = spore_anon_volumes_removed;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': once = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return cli_usage(err, NULL);
		}
	}
	if (optind != argc) {
		usage(stderr);
		return cli_usage(err, NULL);
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((r = spore_xc_open(&xc, err)) < 0 || (r = spore_xs_open(&xs, err)) < 0)
		goto out;
	/* Watches first, then the startup pass: nothing falls in between. */
	if (!once && ((r = spore_xs_watch(xs, "@releaseDomain", "release", err)) < 0 ||
		      (r = spore_xs_watch(xs, SPORE_XS_GUESTS, "records", err)) < 0)) {
		spore_err_wrap(err, "reaper");
		goto out;
	}
	log_info("reaper: watching @releaseDomain and " SPORE_XS_GUESTS);
	while (!stop) {
		/* Events queued so far are covered by the work that follows;
		 * later ones wake the poll below. */
		if (!once && (r = drain(xs, &todo, &all, &release, err)) < 0)
			break;
		if (all || release || todo.n) {
			reap(xc, xs, &todo, all, &prev, &nprev, &o);
			todo.n = 0;
			all = release = false;
		}
		if (once) {
			r = 0;
			break;
		}
		pfd[0] = (struct pollfd){.fd = spore_xs_watch_fd(xs), .events = POLLIN};
		for (size_t i = 0; i < o.n; i++)
			pfd[1 + i] = (struct pollfd){.fd = o.fd[i], .events = POLLIN};
		int n = poll(pfd, 1 + o.n, o.rescan ? 1000 : SAFETY_NET_MS);
		if (n < 0 && errno != EINTR) {
			r = spore_err_set(err, errno, "reaper: poll");
			break;
		}
		if (n == 0)
			all = true;
		for (size_t i = 0; n > 0 && i < o.n; i++)
			if (pfd[1 + i].revents && spore_uuid_set_add(&todo, o.uuid[i]) < 0)
				all = true;
		r = 0;
	}
	owners_drop(&o, NULL);
out:
	free(prev);
	spore_uuid_set_free(&todo);
	spore_xs_close(xs);
	spore_xc_close(xc);
	return r;
}

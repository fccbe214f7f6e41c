/* spored's reaper; see reaper.h. (It was `sporectl reaper` until spored.) */
#include "reaper.h"

#include "guest_reap.h"
#include "guest_teardown.h"
#include <spore/log.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#define SAFETY_NET_MS (60 * 1000)
/* Owners watched at once; beyond that, a full pass every second. */
#define MAX_OWNERS 256
#define ERROR_WATCH "/local/domain/0/error"

struct reaper {
	struct spore_xc *xc;
	struct spore_xs *xs;
	/* The guests whose owner (a launch, or an attached sporectl) it waits
	 * for: one pidfd each. */
	char uuid[MAX_OWNERS][37];
	int fd[MAX_OWNERS];
	size_t n;
	bool rescan; /* a full pass within a second: some owner is not watched, or a look failed */
	struct spore_uuid_set todo;
	bool all, release;
	bool errors; /* dom0's error/backend changed (or the start): prune stale ones */
	struct spore_dominfo *prev;
	size_t nprev;
};

static void owners_drop(struct reaper *o, const struct spore_uuid_set *which)
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

static void owners_add(struct reaper *o, const char *uuid, pid_t pid)
{
	if (o->n == MAX_OWNERS) {
		o->rescan = true;
		return;
	}
	int fd = pidfd_open(pid, 0);
	if (fd < 0) {
		/* Gone already (or no pidfds): look again soon. */
		o->rescan = true;
		return;
	}
	memcpy(o->uuid[o->n], uuid, 37);
	o->fd[o->n++] = fd;
}

int reaper_new(struct reaper **rp, struct spore_xc *xc, struct spore_xs *xs,
	       struct spore_err *err)
{
	struct reaper *r = calloc(1, sizeof(*r));
	if (!r)
		return spore_err_set(err, ENOMEM, "reaper");
	r->xc = xc;
	r->xs = xs;
	r->all = true; /* the startup pass */
	r->errors = true;
	*rp = r;
	return 0;
}

void reaper_free(struct reaper *r)
{
	if (!r)
		return;
	owners_drop(r, NULL);
	free(r->prev);
	spore_uuid_set_free(&r->todo);
	free(r);
}

int reaper_watch(struct reaper *r, struct spore_err *err)
{
	int e;
	/* A backend driver may report a frontend's error after the guest's
	 * teardown removed its error directory (an event for the device was
	 * still queued in dom0's xenwatch thread): such late ones are pruned
	 * as they come, not left for every launch. */
	if ((e = spore_xs_watch(r->xs, "@releaseDomain", "release", err)) < 0 ||
	    (e = spore_xs_watch(r->xs, SPORE_XS_GUESTS, "records", err)) < 0 ||
	    (e = spore_xs_watch(r->xs, ERROR_WATCH, "errors", err)) < 0)
		return spore_err_wrap(err, "reaper");
	log_info("reaper: watching @releaseDomain, " SPORE_XS_GUESTS " and " ERROR_WATCH);
	return 0;
}

bool reaper_event(struct reaper *r, const struct spore_xs_event *ev)
{
	char uuid[37];
	if (!strcmp(ev->token, "release")) {
		r->release = true;
		return true;
	}
	if (!strcmp(ev->token, "errors")) {
		r->errors = true;
		return true;
	}
	if (strcmp(ev->token, "records"))
		return false;
	int k = spore_reap_event_uuid(ev->path, uuid);
	if (k == 0)
		r->all = true;
	else if (k > 0 && spore_uuid_set_add(&r->todo, uuid) < 0)
		r->all = true; /* out of memory: the full pass copes */
	return true;
}

void reaper_run(struct reaper *r)
{
	struct spore_dominfo *doms = NULL;
	size_t ndoms = 0;
	pid_t *pids = NULL;
	struct spore_err e = {0};
	bool retry = false; /* something failed: a full pass soon */
	bool all = r->all;

	if (r->errors || r->release || r->all) {
		/* Our own removals fire the watch again: that pass finds none. */
		r->errors = false;
		int n = spore_guest_prune_errors(r->xc, r->xs, &e);
		if (n < 0) {
			log_warn("reaper: %s", e.msg);
			spore_err_clear(&e);
			r->rescan = true;
		} else if (n > 0) {
			log_info("reaper: removed %d stale error director%s of gone guests", n,
				 n == 1 ? "y" : "ies");
		}
	}
	if (!(r->all || r->release || r->todo.n))
		return;
	if (spore_domain_snapshot(r->xc, &doms, &ndoms, &e) < 0) {
		log_warn("reaper: %s", e.msg);
		r->rescan = true;
		return;
	}
	r->all = r->release = false;
	if (all && spore_reap_all_uuids(r->xs, &r->todo, &e) < 0) {
		log_warn("reaper: %s", e.msg);
		retry = true;
	}
	/* On every look, not only on a release: a look for another reason
	 * may already see a domain gone whose @releaseDomain is still on its
	 * way, and the next look would then find nothing gone. */
	if (spore_reap_released(r->prev, r->nprev, doms, ndoms, &r->todo) < 0) {
		log_warn("reaper: out of memory");
		retry = true;
	}
	if (r->todo.n && !(pids = calloc(r->todo.n, sizeof(*pids)))) {
		log_warn("reaper: out of memory");
		retry = true;
	} else if (r->todo.n &&
		   spore_reap_guests(r->xc, r->xs, &r->todo, doms, ndoms, pids, &e) < 0) {
		log_warn("reaper: %s", e.msg);
		retry = true;
		free(pids);
		pids = NULL;
	}
	/* The owners of the guests just looked at are now known afresh. */
	if (pids) {
		owners_drop(r, all ? NULL : &r->todo);
		for (size_t i = 0; i < r->todo.n; i++)
			if (pids[i] > 0)
				owners_add(r, r->todo.v[i], pids[i]);
	} else if (all && !r->todo.n) {
		owners_drop(r, NULL); /* no records at all */
	}
	if (retry)
		r->rescan = true;
	free(pids);
	free(r->prev);
	r->prev = doms;
	r->nprev = ndoms;
	r->todo.n = 0;
}

size_t reaper_pollfds(struct reaper *r, struct pollfd *p, size_t max, int *timeout_ms)
{
	size_t n = r->n < max ? r->n : max;
	for (size_t i = 0; i < n; i++)
		p[i] = (struct pollfd){.fd = r->fd[i], .events = POLLIN};
	int t = r->rescan || n < r->n ? 1000 : SAFETY_NET_MS;
	if (*timeout_ms < 0 || t < *timeout_ms)
		*timeout_ms = t;
	return n;
}

void reaper_polled(struct reaper *r, const struct pollfd *p, size_t n, bool timed_out)
{
	if (timed_out)
		r->all = true;
	for (size_t i = 0; i < n; i++)
		if (p[i].revents && spore_uuid_set_add(&r->todo, r->uuid[i]) < 0)
			r->all = true;
}

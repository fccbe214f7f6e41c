/* Reaping: deciding which guest records need a teardown and doing it, for
 * the guests an event names (the reaper service, see cmd_reaper.c) or in one
 * pass over all records (the reaper's startup and safety net, and the CLI
 * verbs that list or destroy, so a guest is cleaned up even while no reaper
 * runs). */
#ifndef SPORE_GUEST_REAP_H
#define SPORE_GUEST_REAP_H

#include "domctl.h"
#include <spore/err.h>
#include <spore/guest_record.h>
#include <spore/xenstore.h>

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum spore_reap_action {
	SPORE_REAP_NONE,
	SPORE_REAP_TEARDOWN,        /* free it, keep the record (exited) */
	SPORE_REAP_TEARDOWN_REMOVE, /* a launch that died half-way: no record either */
};

/* Pure. dom is the guest's domain or NULL if it has none; owner_alive says
 * whether the record's owner-pid still runs: the launch of a "building"
 * guest, or the attached sporectl of a "running" one, which tears its guest
 * down itself. */
enum spore_reap_action spore_reap_decide(const struct spore_guest *g,
					 const struct spore_dominfo *dom, bool owner_alive);

/* Whether the process that wrote a "building" record still runs: pid exists
 * and did not start after the record was created (a reused pid). */
bool spore_owner_alive(pid_t pid, int64_t created);

/* A set of guest UUIDs (36 characters each), without repeats. */
struct spore_uuid_set {
	char (*v)[37];
	size_t n, cap;
};
/* Adds uuid unless present (anything not 36 characters long is ignored);
 * -ENOMEM. */
int spore_uuid_set_add(struct spore_uuid_set *s, const char *uuid);
bool spore_uuid_set_has(const struct spore_uuid_set *s, const char *uuid);
void spore_uuid_set_free(struct spore_uuid_set *s);

/* Pure. What a watch event's path under SPORE_XS_GUESTS names: 1 and its
 * record's uuid for a path in one record, 0 for SPORE_XS_GUESTS itself
 * (any record may have changed), -1 for anything else. */
int spore_reap_event_uuid(const char *path, char uuid[37]);

/* Pure. The guests (domain handles) a @releaseDomain can concern, given the
 * domains seen before it (prev) and now: those gone since, and those now
 * shut down or dying. Added to out; -ENOMEM. */
int spore_reap_released(const struct spore_dominfo *prev, size_t nprev,
			const struct spore_dominfo *now, size_t nnow, struct spore_uuid_set *out);

/* Tears down those of the guests named in which that need it (records that
 * do not exist are skipped), judged against doms, a snapshot of every
 * domain: one batch of reads however many, so the reaper's work per event
 * does not grow with the number of guests. owners (which->n entries, or
 * NULL) gets each guest's owner pid if that still runs, else 0. Returns how
 * many were torn down; failures on one guest are logged and the rest go on. */
int spore_reap_guests(struct spore_xc *xc, struct spore_xs *xs, const struct spore_uuid_set *which,
		      const struct spore_dominfo *doms, size_t ndoms, pid_t *owners,
		      struct spore_err *err);

/* Every record's uuid, added to out. */
int spore_reap_all_uuids(struct spore_xs *xs, struct spore_uuid_set *out, struct spore_err *err);

/* Called with each record the reap removes (a launch that died), when set:
 * spored's reaper and sporectl's list and destroy set it to remove what the guest
 * owned outside Xen (its anonymous volumes), which this part may not link.
 * Not set where the volume store is locked already (volume rm, prune). */
extern void (*spore_reap_removed)(const struct spore_guest *g);

/* One pass over every record: tears down each that needs it. *building gets the
 * pids of owners that still run (malloc'd; NULL to skip), for callers that
 * want to wake when they end. Returns how many guests
 * were torn down; failures on one guest are logged and the pass goes on. */
int spore_reap_pass(struct spore_xc *xc, struct spore_xs *xs, pid_t **building, size_t *nbuilding,
		    struct spore_err *err);

#endif

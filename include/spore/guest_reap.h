/* Reaping: deciding which guest records need a teardown and doing it, in one
 * pass over all records. Run by the reaper service on every @releaseDomain
 * and by the CLI verbs that list or destroy, so a guest is cleaned up even
 * while no reaper runs. */
#ifndef SPORE_GUEST_REAP_H
#define SPORE_GUEST_REAP_H

#include <spore/domctl.h>
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

/* One pass: tears down every record that needs it. *building gets the
 * pids of owners that still run (malloc'd; NULL to skip), for callers that
 * want to wake when they end. Returns how many guests
 * were torn down; failures on one guest are logged and the pass goes on. */
int spore_reap_pass(struct spore_xc *xc, struct spore_xs *xs, pid_t **building, size_t *nbuilding,
		    struct spore_err *err);

#endif

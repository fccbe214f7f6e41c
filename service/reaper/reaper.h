/* spored's reaper: frees every guest whose domain shuts down, and every
 * half-built guest whose launch died (the judgement and teardown are
 * controller/guest's, shared with the CLI).
 *
 * It holds no state that matters: a startup pass over every record catches
 * up on whatever happened meanwhile, so spored can be restarted at any time.
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
#ifndef SPORED_REAPER_H
#define SPORED_REAPER_H

#include "domctl.h"
#include <spore/err.h>
#include <spore/xenstore.h>

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

struct reaper;

int reaper_new(struct reaper **rp, struct spore_xc *xc, struct spore_xs *xs,
	       struct spore_err *err);
void reaper_free(struct reaper *r);
/* The watches it needs, set before the startup pass: nothing falls in between. */
int reaper_watch(struct reaper *r, struct spore_err *err);
/* Takes one watch event (returns true if it was the reaper's). */
bool reaper_event(struct reaper *r, const struct spore_xs_event *ev);
/* Does what the events since the last call ask for (the first call: a full pass). */
void reaper_run(struct reaper *r);
/* Owner pidfds to poll (up to max); the timeout for the safety net. */
size_t reaper_pollfds(struct reaper *r, struct pollfd *p, size_t max, int *timeout_ms);
/* After poll: the n pollfds it gave, and whether poll timed out. */
void reaper_polled(struct reaper *r, const struct pollfd *p, size_t n, bool timed_out);

#endif

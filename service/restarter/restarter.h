/* spored's restarter: enforces the guests' restart policies (docker's
 * --restart, controller/guest/restart_policy.h). It judges every record
 * that changes (the reaper's watch on /spore/guests names it; the first run
 * judges them all), and for an exited guest its policy wants back it waits
 * the back-off, then runs `sporectl start --by-policy UUID` as a child: the
 * privileged launch never blocks spored's loop, and a child outlives a
 * spored killed meanwhile.
 *
 * Nothing a restart loses: when a restart is due (unix ms) and the delay it
 * waits are written into the record (restart-at, backoff-ms) as it is
 * scheduled, so a spored restarted meanwhile (kill -9 included) keeps the
 * schedule; a start clears restart-at. A `stop` or `destroy` marks the
 * record stopped first, which the policy never undoes. */
#ifndef SPORED_RESTARTER_H
#define SPORED_RESTARTER_H

#include <spore/err.h>
#include <spore/xenstore.h>

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

struct restarter;

/* sporectl: the program run as `sporectl start --by-policy UUID` (a path,
 * or a name searched in PATH). */
int restarter_new(struct restarter **rp, struct spore_xs *xs, const char *sporectl,
		  struct spore_err *err);
void restarter_free(struct restarter *r);
/* Takes one watch event (the reaper's watch on SPORE_XS_GUESTS, token
 * "records"); true if it named records. */
bool restarter_event(struct restarter *r, const struct spore_xs_event *ev);
/* Judges the records events named (the first call: all), starts the
 * restarts that are due. */
void restarter_run(struct restarter *r);
/* The children's pidfds (up to max), and the timeout until the next restart
 * is due (lowered, never raised). */
size_t restarter_pollfds(struct restarter *r, struct pollfd *p, size_t max, int *timeout_ms);
/* After poll: the n pollfds it gave. */
void restarter_polled(struct restarter *r, const struct pollfd *p, size_t n);

#endif

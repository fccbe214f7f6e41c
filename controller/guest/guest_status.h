/* How `sporectl list` words a guest's state, as docker does: pure functions
 * over a record and the current time, so they are unit-tested. */
#ifndef SPORE_GUEST_STATUS_H
#define SPORE_GUEST_STATUS_H

#include <spore/guest_record.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "Less than a second", "1 second", "5 seconds", "About a minute",
 * "3 minutes", "About an hour", "5 hours", "3 days", "2 weeks", "4 months",
 * "2 years" (the thresholds of docker's HumanDuration). Negative durations
 * (clock skew) count as 0. */
void spore_human_duration(int64_t seconds, char *buf, size_t n);

/* The one parser of the exit statuses sporeinit reports (container/main.c,
 * say.c), strict because the guest writes them (data/ is its own): "exited
 * N" (N in 0..255) is N, "signaled N" (N in 1..SPORE_SIGNAL_MAX) is 128+N,
 * N in plain decimal as "%d" writes it (no sign, space or leading zero).
 * -1 for anything else: "error" (sporeinit failed), Xen's shutdown reasons
 * ("poweroff", "crash", ...), empty, and whatever else a guest wrote. */
int spore_exit_code(const char *exit_status);
#define SPORE_SIGNAL_MAX 64 /* Linux's _NSIG - 1 */

/* Whether a guest's data/spore/exit-status is one sporeinit writes: a
 * status spore_exit_code takes, or "error". */
bool spore_exit_status_reported(const char *exit_status);

/* What a guest's exit status becomes when it is none of those, before it is
 * stored or used: guest bytes never reach a record or a terminal. */
#define SPORE_EXIT_STATUS_INVALID "invalid"

/* Whether a record's exit-status is one spore writes: empty, reported (see
 * above), SPORE_EXIT_STATUS_INVALID, or a shutdown reason word
 * (spore_shutdown_reason_name). A record written by an older spore may
 * hold a guest's bytes unchecked. */
bool spore_exit_status_valid(const char *exit_status);
/* exit_status if valid, else SPORE_EXIT_STATUS_INVALID: what may be shown. */
const char *spore_exit_status_shown(const char *exit_status);

/* The code `list` shows for a record's exit-status: spore_exit_code, and 0
 * for "poweroff" (a guest that stopped cleanly without a report). */
int spore_guest_exit_code(const char *exit_status);

/* "Up 5 seconds", "Exited (3) 2 seconds ago", "Exited (crash) 1 minute
 * ago", "Created" (still building). */
void spore_guest_status(const struct spore_guest *g, int64_t now, char *buf, size_t n);

#endif

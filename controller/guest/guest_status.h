/* How `sporectl list` words a guest's state, as docker does: pure functions
 * over a record and the current time, so they are unit-tested. */
#ifndef SPORE_GUEST_STATUS_H
#define SPORE_GUEST_STATUS_H

#include <spore/guest_record.h>

#include <stddef.h>
#include <stdint.h>

/* "Less than a second", "1 second", "5 seconds", "About a minute",
 * "3 minutes", "About an hour", "5 hours", "3 days", "2 weeks", "4 months",
 * "2 years" (the thresholds of docker's HumanDuration). Negative durations
 * (clock skew) count as 0. */
void spore_human_duration(int64_t seconds, char *buf, size_t n);

/* The exit code docker would show for a record's exit-status: "exited N" is
 * N, "signaled N" is 128+N, "poweroff" is 0. -1 when there is no number
 * ("crash", "reboot", empty). */
int spore_exit_code(const char *exit_status);

/* "Up 5 seconds", "Exited (3) 2 seconds ago", "Exited (crash) 1 minute
 * ago", "Created" (still building). */
void spore_guest_status(const struct spore_guest *g, int64_t now, char *buf, size_t n);

#endif

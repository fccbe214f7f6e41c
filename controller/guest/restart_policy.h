/* docker's restart policies (--restart) and spored's back-off: pure. The
 * policy is kept in the guest's record (SPORE_REC_RESTART); spored judges
 * each guest it sees exited with spore_restart_wanted and waits
 * spore_restart_backoff before it starts the guest again. */
#ifndef SPORE_RESTART_POLICY_H
#define SPORE_RESTART_POLICY_H

#include <spore/guest_record.h>

#include <stdbool.h>
#include <stdint.h>

enum spore_restart_kind {
	SPORE_RESTART_NO,
	SPORE_RESTART_ON_FAILURE,
	SPORE_RESTART_ALWAYS,
	SPORE_RESTART_UNLESS_STOPPED,
};

struct spore_restart_policy {
	enum spore_restart_kind kind;
	uint32_t max; /* on-failure:N's N; 0: no limit */
};

/* "no", "on-failure", "on-failure:N" (N 1..65535; docker's ":0" is no
 * limit too), "always", "unless-stopped"; "" is "no". -EINVAL otherwise
 * (only on-failure takes a count). */
int spore_restart_policy_parse(const char *s, struct spore_restart_policy *p);

#define SPORE_RESTART_BACKOFF_MIN_MS 100
#define SPORE_RESTART_BACKOFF_MAX_MS 60000
/* A guest that ran this long before it exited starts its back-off afresh. */
#define SPORE_RESTART_RESET_S 10

/* Whether the policy starts the exited guest g again: never once `stop` or
 * `destroy` asked it to stop, nor for a policy that cannot be parsed;
 * on-failure only for a non-zero exit code (a crash counts as one), and
 * fewer than N restarts so far. */
bool spore_restart_wanted(const struct spore_guest *g);

/* The delay before that restart: docker's, 100 ms doubling on each
 * restart up to a minute, back at 100 ms when the guest had run
 * SPORE_RESTART_RESET_S or longer (started to exited). prev_ms is the
 * delay before the last restart (0: none yet). */
uint32_t spore_restart_backoff(uint32_t prev_ms, int64_t started, int64_t exited);

#endif

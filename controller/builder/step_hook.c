/* The SPORE_STOP_AT test hook and the launch's phase times; see step_hook.h. */
#include "step_hook.h"
#include <spore/clock.h>
#include <spore/log.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The phases' times so far: the current one's runs from `since`. */
static struct {
	bool begun;
	int64_t first, since;
	enum spore_launch_phase cur;
	struct spore_svc_launched t;
} times;

static void account(int64_t now)
{
	if (times.begun)
		times.t.ns[times.cur] += (uint64_t)(now - times.since);
	times.since = now;
}

void spore_step(const char *name)
{
	static const char *stop_at;
	static int looked;
	int64_t now = spore_now_ns();

	if (!looked) {
		stop_at = getenv("SPORE_STOP_AT");
		looked = 1;
	}
	account(now);
	if (!times.begun) {
		times.begun = true;
		times.first = now;
	}
	times.cur = spore_launch_phase_of(name);
	times.t.reached |= 1u << times.cur;
	/* Where a launch's time goes, at any number of running guests
	 * (tests/bench/scale.sh reads these). */
	if (spore_log_get_level() <= SPORE_LOG_DEBUG)
		log_debug("step %s at %.1f ms", name, (now - times.first) / 1e6);
	if (!stop_at || strcmp(stop_at, name))
		return;
	log_info("stopping at step %s (SPORE_STOP_AT), pid %d", name, (int)getpid());
	/* The test sees state T in /proc/PID/stat and kills us there; a
	 * SIGCONT instead lets the launch go on. */
	raise(SIGSTOP);
	/* The stop is the test's, not the launch's. */
	times.since = spore_now_ns();
}

bool spore_step_timings(struct spore_svc_launched *t)
{
	if (!times.begun)
		return false;
	int64_t now = spore_now_ns();
	account(now);
	*t = times.t;
	t->total_ns = 0;
	for (int i = 0; i < SPORE_LAUNCH_NPHASES; i++)
		t->total_ns += t->ns[i];
	return true;
}

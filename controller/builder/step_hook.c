/* The SPORE_STOP_AT test hook; see step_hook.h. */
#include "step_hook.h"
#include <spore/clock.h>
#include <spore/log.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void spore_step(const char *name)
{
	static const char *stop_at;
	static int looked;

	static int64_t first;

	if (!looked) {
		stop_at = getenv("SPORE_STOP_AT");
		looked = 1;
		first = spore_now_ns();
	}
	/* Where a launch's time goes, at any number of running guests
	 * (tests/bench/scale.sh reads these). */
	if (spore_log_get_level() <= SPORE_LOG_DEBUG)
		log_debug("step %s at %.1f ms", name, (spore_now_ns() - first) / 1e6);
	if (!stop_at || strcmp(stop_at, name))
		return;
	log_info("stopping at step %s (SPORE_STOP_AT), pid %d", name, (int)getpid());
	/* The test sees state T in /proc/PID/stat and kills us there; a
	 * SIGCONT instead lets the launch go on. */
	raise(SIGSTOP);
}

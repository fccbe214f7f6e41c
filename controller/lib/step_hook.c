/* The SPORE_STOP_AT test hook; see step_hook.h. */
#include <spore/log.h>
#include <spore/step_hook.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void spore_step(const char *name)
{
	static const char *stop_at;
	static int looked;

	if (!looked) {
		stop_at = getenv("SPORE_STOP_AT");
		looked = 1;
	}
	if (!stop_at || strcmp(stop_at, name))
		return;
	log_info("stopping at step %s (SPORE_STOP_AT), pid %d", name, (int)getpid());
	/* The test sees state T in /proc/PID/stat and kills us there; a
	 * SIGCONT instead lets the launch go on. */
	raise(SIGSTOP);
}

/* spore-runc's create/start split: with the bundle's start gate, the
 * container waits, everything else ready, until dom0 writes
 * SPORE_START_GATE_NODE (under control/, which the guest reads but cannot
 * write). A stop request meanwhile ends the guest without starting it, as
 * SIGTERM would have ended the container. */
#include "init.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

void wait_start_gate(void)
{
	char v[16];
	int xfd = xb_fd();

	if (xfd < 0 || xb_watch(SPORE_START_GATE_NODE, "start") < 0)
		die("start gate: no xenstore access");
	trace("waiting for start");
	/* Read after every wake-up: a write before the watch, or one whose
	 * event a request consumed, is seen by the next read. */
	while (xb_read(SPORE_START_GATE_NODE, v, sizeof(v)) < 0 || !v[0]) {
		struct pollfd p = {.fd = xfd, .events = POLLIN};

		if (xb_events() >= 2) {
			report("signaled 15");
			power_off();
		}
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			die("start gate: poll: %s", strerror(errno));
		if ((p.revents & (POLLERR | POLLHUP | POLLNVAL)) || ((p.revents & POLLIN) && xb_pump() < 0))
			die("start gate: xenstore connection lost");
	}
	trace("start");
}

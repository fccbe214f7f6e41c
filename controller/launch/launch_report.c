/* The launch's times to spored; see launch_report.h. */
#include "launch_report.h"
#include "step_hook.h"
#include <spore/log.h>
#include <spore/svc_proto.h>

#include <string.h>
#include <unistd.h>

void spore_launch_report(bool failed)
{
	static bool sent;
	struct spore_svc_launched t;
	struct spore_err e = {0};

	if (sent || !spore_step_timings(&t))
		return;
	sent = true;
	t.failed = failed;
	int fd = spore_svc_connect(NULL, &e);
	if (fd < 0) {
		log_debug("launch times not reported: %s", e.msg);
		return;
	}
	/* Non-blocking: a fresh connection's queue has room for one packet,
	 * and the launch never waits for spored. */
	int r = spore_svc_send(fd, SPORE_SVC_LAUNCHED, &t, sizeof(t), 1);
	if (r < 0)
		log_debug("launch times not reported: %s", strerror(-r));
	close(fd);
}

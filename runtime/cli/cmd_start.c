/* spore-runc start ID: releases the created container's workload (the
 * gate sporeinit waits at). */
#include "runc_cli.h"
#include "runc_guest.h"
#include "runc_state.h"

#include <errno.h>

int cmd_start(const struct runc_ctx *c, int argc, char **argv, struct spore_err *err)
{
	struct spore_runc_state st;
	enum spore_runc_status live;
	int r;

	if (runc_help(argc, argv, "Usage: spore-runc start ID\n\nStart the created container's process.\n"))
		return 0;
	if (argc != 2 || argv[1][0] == '-')
		return runc_usage(err, "start: usage: spore-runc start ID");
	if ((r = spore_runc_state_read(c->root, argv[1], &st, err)) < 0)
		return r;
	live = spore_runc_status_live(st.status, spore_runc_pid_alive(st.pid, st.pid_start));
	if (live != SPORE_RUNC_CREATED) {
		r = spore_err_setx(err, EINVAL, "cannot start a container that is %s",
				   spore_runc_status_name(live));
		goto out;
	}
	if (!st.no_guest && (r = runc_guest_release(st.uuid, err)) < 0) {
		spore_err_wrap(err, "start %s", argv[1]);
		goto out;
	}
	st.status = SPORE_RUNC_RUNNING;
	r = spore_runc_state_write(c->root, &st, err);
out:
	spore_runc_state_free(&st);
	return r;
}

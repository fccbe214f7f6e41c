/* spore-runc delete [--force] ID: idempotent as containerd needs (it calls
 * delete, then delete --force): a missing container is an error only
 * without --force. A created or stopped container goes without --force, a
 * running or paused one only with it. */
#include "runc_cli.h"
#include "runc_guest.h"
#include "runc_state.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

int cmd_delete(const struct runc_ctx *c, int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {{"force", no_argument, 0, 'f'}, {0, 0, 0, 0}};
	struct spore_runc_state st;
	enum spore_runc_status live;
	bool force = false, alive;
	const char *id;
	int o, r;

	if (runc_help(argc, argv, "Usage: spore-runc delete [--force] ID\n\n"
				  "Remove the container: its guest and its state. --force: even a running one;\n"
				  "and no error if there is none.\n"))
		return 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		if (o != 'f')
			return runc_usage(err, "delete: usage: spore-runc delete [--force] ID");
		force = true;
	}
	if (optind != argc - 1)
		return runc_usage(err, "delete: usage: spore-runc delete [--force] ID");
	id = argv[optind];
	if ((r = spore_runc_state_read(c->root, id, &st, err)) < 0) {
		if (r != -ENOENT || !force)
			return r;
		spore_err_clear(err);
		/* A create that died before its state was written leaves the directory. */
		return spore_runc_id_ok(id) ? spore_runc_state_remove(c->root, id, err) : 0;
	}
	alive = st.pid > 0 && spore_runc_pid_alive(st.pid, st.pid_start);
	live = spore_runc_status_live(st.status, alive);
	if (!force && (live == SPORE_RUNC_RUNNING || live == SPORE_RUNC_PAUSED)) {
		r = spore_err_setx(err, EBUSY, "cannot delete container %s that is not stopped: %s", id,
				   spore_runc_status_name(live));
		goto out;
	}
	/* The guest first (the host process then sees it gone), then the
	 * host process; a guest that stopped was freed by its host process,
	 * and the destroy finds nothing. */
	if (st.uuid[0] && (r = runc_guest_destroy(st.uuid, err)) < 0) {
		spore_err_wrap(err, "delete %s", id);
		goto out;
	}
	if (alive && kill(st.pid, SIGKILL) < 0 && errno != ESRCH) {
		r = spore_err_set(err, errno, "delete %s: kill %d", id, (int)st.pid);
		goto out;
	}
	if (st.image[0] && !st.image_shared && unlink(st.image) < 0 && errno != ENOENT) {
		r = spore_err_set(err, errno, "delete %s: %s", id, st.image);
		goto out;
	}
	r = spore_runc_state_remove(c->root, id, err);
out:
	spore_runc_state_free(&st);
	return r;
}

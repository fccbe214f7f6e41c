/* spore-runc state ID: the OCI state JSON, its status from the record and
 * whether the container's host process still runs. */
#include "runc_cli.h"
#include "runc_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int cmd_state(const struct runc_ctx *c, int argc, char **argv, struct spore_err *err)
{
	struct spore_runc_state st;
	enum spore_runc_status live;
	char *out = NULL;
	int r;

	if (runc_help(argc, argv, "Usage: spore-runc state ID\n\nPrint the container's OCI state as JSON.\n"))
		return 0;
	if (argc != 2 || argv[1][0] == '-')
		return runc_usage(err, "state: usage: spore-runc state ID");
	if ((r = spore_runc_state_read(c->root, argv[1], &st, err)) < 0)
		return r;
	live = spore_runc_status_live(st.status, spore_runc_pid_alive(st.pid, st.pid_start));
	if ((r = spore_runc_state_oci(&st, live, &out)) < 0)
		spore_err_set(err, -r, "state %s", argv[1]);
	else
		printf("%s\n", out);
	free(out);
	spore_runc_state_free(&st);
	return r;
}

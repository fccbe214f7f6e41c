/* spore-runc ps [--format table|json] ID: the container's processes as the
 * host sees them, which is its one host process (the guest's own are
 * inside the VM). */
#include "runc_cli.h"
#include "runc_state.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cmd_ps(const struct runc_ctx *c, int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {{"format", required_argument, 0, 'f'}, {0, 0, 0, 0}};
	struct spore_runc_state st;
	bool json = false, alive;
	int o, r;

	if (runc_help(argc, argv, "Usage: spore-runc ps [--format table|json] ID\n\n"
				  "Print the container's host process (the pid its caller waits for).\n"))
		return 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (o != 'f' || (strcmp(optarg, "json") && strcmp(optarg, "table")))
			return runc_usage(err, "ps: usage: spore-runc ps [--format table|json] ID");
		json = !strcmp(optarg, "json");
	}
	if (optind != argc - 1)
		return runc_usage(err, "ps: usage: spore-runc ps [--format table|json] ID");
	if ((r = spore_runc_state_read(c->root, argv[optind], &st, err)) < 0)
		return r;
	alive = st.pid > 0 && spore_runc_pid_alive(st.pid, st.pid_start);
	if (json)
		alive ? printf("[%d]\n", (int)st.pid) : printf("[]\n");
	else
		alive ? printf("PID\n%d\n", (int)st.pid) : printf("PID\n");
	spore_runc_state_free(&st);
	return 0;
}

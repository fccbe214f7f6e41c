/* spore-runc kill [--all] ID [SIGNAL]: SIGKILL destroys the guest (the host
 * process then exits 137); SIGTERM, SIGINT, SIGHUP and SIGQUIT are a stop
 * request (sporeinit sends the container SIGTERM, SIGKILL after the grace
 * period: 143 or 137). A created container, its workload not started,
 * goes whatever the signal. A sandbox container (no guest) gets the signal
 * itself. Other signals are refused for now: delivering
 * any signal needs the guest's control channel. */
#include "runc_cli.h"
#include "runc_guest.h"
#include "runc_state.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A signal as runc takes it: a number, NAME or SIGNAME. 0 if unknown. */
static int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {{"KILL", SIGKILL}, {"TERM", SIGTERM}, {"INT", SIGINT}, {"HUP", SIGHUP},
		     {"QUIT", SIGQUIT}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"STOP", SIGSTOP},
		     {"CONT", SIGCONT}, {"WINCH", SIGWINCH}};
	char *end;
	long v = strtol(s, &end, 10);

	if (*s >= '0' && *s <= '9')
		return *end || v < 1 || v > 64 ? 0 : (int)v;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i].name))
			return names[i].sig;
	return 0;
}

int cmd_kill(const struct runc_ctx *c, int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {{"all", no_argument, 0, 'a'}, {0, 0, 0, 0}};
	struct spore_runc_state st;
	enum spore_runc_status live;
	int o, r, sig = SIGTERM;
	const char *id;

	if (runc_help(argc, argv, "Usage: spore-runc kill [--all] ID [SIGNAL]\n\n"
				  "SIGKILL destroys the container's guest; SIGTERM, SIGINT, SIGHUP, SIGQUIT\n"
				  "ask it to stop (SIGTERM, then SIGKILL after the grace period).\n"))
		return 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+a", opts, NULL)) != -1)
		if (o != 'a')
			return runc_usage(err, "kill: usage: spore-runc kill [--all] ID [SIGNAL]");
	if (optind != argc - 1 && optind != argc - 2)
		return runc_usage(err, "kill: usage: spore-runc kill [--all] ID [SIGNAL]");
	id = argv[optind];
	if (optind == argc - 2 && !(sig = parse_signal(argv[optind + 1])))
		return runc_usage(err, "kill: unknown signal '%.32s'", argv[optind + 1]);
	if ((r = spore_runc_state_read(c->root, id, &st, err)) < 0)
		return r;
	live = spore_runc_status_live(st.status, spore_runc_pid_alive(st.pid, st.pid_start));
	if (live == SPORE_RUNC_STOPPED) {
		r = spore_err_setx(err, ESRCH, "container not running");
	} else if (st.no_guest) {
		/* A sandbox container's process is the host process itself. */
		if (kill(st.pid, sig) < 0 && errno != ESRCH)
			r = spore_err_set(err, errno, "kill %s: pid %d", id, (int)st.pid);
	} else if (sig == SIGKILL || live == SPORE_RUNC_CREATED) {
		r = runc_guest_destroy(st.uuid, err);
	} else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT) {
		/* No record: the guest stopped and its host process is tearing
		 * it down; as far as the caller knows, it no longer runs. */
		if ((r = runc_guest_stop(st.uuid, err)) == -ENOENT)
			r = spore_err_setx(err, ESRCH, "container not running");
	} else {
		r = spore_err_setx(err, ENOTSUP, "kill: signal %d: only stop signals and SIGKILL reach a spore guest yet",
				   sig);
	}
	if (r < 0 && strncmp(err->msg, "kill", 4) && strcmp(err->msg, "container not running"))
		spore_err_wrap(err, "kill %s", id);
	spore_runc_state_free(&st);
	return r;
}

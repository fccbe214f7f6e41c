#include "guest_status.h"
#include "restart_policy.h"

#include <errno.h>
#include <string.h>

#include "tap.h"

static int parse(const char *s, int *kind, unsigned *max)
{
	struct spore_restart_policy p;
	int r = spore_restart_policy_parse(s, &p);
	*kind = (int)p.kind;
	*max = p.max;
	return r;
}

/* Whether spored restarts an exited guest with this policy and status. */
static int wanted(const char *policy, const char *status, uint32_t count, uint32_t stopped)
{
	struct spore_guest g;
	memset(&g, 0, sizeof(g));
	strcpy(g.state, "exited");
	strcpy(g.restart, policy);
	strcpy(g.exit_status, status);
	g.restart_count = count;
	g.stopped = stopped;
	return spore_restart_wanted(&g);
}

int main(void)
{
	int k;
	unsigned m;

	ok(parse("", &k, &m) == 0 && k == SPORE_RESTART_NO, "'' is no");
	ok(parse("no", &k, &m) == 0 && k == SPORE_RESTART_NO, "no");
	ok(parse("always", &k, &m) == 0 && k == SPORE_RESTART_ALWAYS, "always");
	ok(parse("unless-stopped", &k, &m) == 0 && k == SPORE_RESTART_UNLESS_STOPPED,
	   "unless-stopped");
	ok(parse("on-failure", &k, &m) == 0 && k == SPORE_RESTART_ON_FAILURE && m == 0,
	   "on-failure: no limit");
	ok(parse("on-failure:2", &k, &m) == 0 && k == SPORE_RESTART_ON_FAILURE && m == 2,
	   "on-failure:2");
	ok(parse("on-failure:0", &k, &m) == 0 && m == 0, "on-failure:0 is no limit (docker's)");
	ok(parse("on-failure:65535", &k, &m) == 0 && m == 65535, "on-failure:65535");
	is_int(parse("on-failure:65536", &k, &m), -EINVAL, "on-failure:65536 is refused");
	is_int(parse("on-failure:", &k, &m), -EINVAL, "on-failure: without N is refused");
	is_int(parse("on-failure:-1", &k, &m), -EINVAL, "a sign is refused");
	is_int(parse("on-failure: 1", &k, &m), -EINVAL, "a space is refused");
	is_int(parse("on-failure:1x", &k, &m), -EINVAL, "trailing bytes are refused");
	is_int(parse("on-failurex", &k, &m), -EINVAL, "on-failurex is refused");
	is_int(parse("always:3", &k, &m), -EINVAL, "only on-failure takes a count");
	is_int(parse("Always", &k, &m), -EINVAL, "case matters, as docker's");

	ok(!wanted("", "exited 3", 0, 0), "no policy: never");
	ok(!wanted("no", "exited 3", 0, 0), "no: never");
	ok(wanted("on-failure", "exited 3", 0, 0), "on-failure: status 3");
	ok(!wanted("on-failure", "exited 0", 0, 0), "on-failure: not status 0");
	ok(!wanted("on-failure", "poweroff", 0, 0), "on-failure: not a clean poweroff");
	ok(wanted("on-failure", "crash", 0, 0), "on-failure: a crash");
	ok(wanted("on-failure", "signaled 9", 5, 0), "on-failure: killed by a signal, no limit");
	ok(wanted("on-failure:2", "exited 3", 1, 0), "on-failure:2 after 1 restart");
	ok(!wanted("on-failure:2", "exited 3", 2, 0), "on-failure:2 not after 2 restarts");
	ok(wanted("always", "exited 0", 100, 0), "always: status 0 too");
	ok(wanted("unless-stopped", "exited 0", 0, 0), "unless-stopped: status 0 too");
	ok(!wanted("always", "exited 0", 0, 1), "always: never once stopped");
	ok(!wanted("unless-stopped", "exited 1", 0, 1), "unless-stopped: never once stopped");
	ok(!wanted("on-failure", "exited 1", 0, 1), "on-failure: never once stopped");
	ok(!wanted("sometimes", "exited 1", 0, 0), "a policy that does not parse: never");

	is_int(spore_restart_backoff(0, 100, 100), 100, "the first back-off: 100 ms");
	is_int(spore_restart_backoff(100, 100, 101), 200, "doubling");
	is_int(spore_restart_backoff(25600, 100, 101), 51200, "doubling on");
	is_int(spore_restart_backoff(51200, 100, 101), 60000, "capped at a minute");
	is_int(spore_restart_backoff(60000, 100, 101), 60000, "and stays there");
	is_int(spore_restart_backoff(60000, 100, 109), 60000, "9 s of running is not enough");
	is_int(spore_restart_backoff(60000, 100, 110), 100, "10 s of running starts afresh");

	char b[128];
	struct spore_guest g;
	memset(&g, 0, sizeof(g));
	strcpy(g.state, "exited");
	strcpy(g.exit_status, "exited 3");
	strcpy(g.restart, "on-failure:2");
	g.exited = 100;
	g.restart_count = 1;
	spore_guest_status(&g, 101, b, sizeof(b));
	is_str(b, "Restarting (3) 1 second ago (1 restart)", "list: a restart pending");
	g.restart_count = 2;
	spore_guest_status(&g, 101, b, sizeof(b));
	is_str(b, "Exited (3) 1 second ago (2 restarts)", "list: the policy gave up");
	strcpy(g.state, "running");
	g.created = 10;
	g.started = 95;
	spore_guest_status(&g, 101, b, sizeof(b));
	is_str(b, "Up 6 seconds (2 restarts)", "list: up since the last start");
	return tap_done();
}

#include <spore/guest_reap.h>
#include <spore/guest_teardown.h>

#include <string.h>
#include <unistd.h>

#include <xen/sched.h>

#include "tap.h"

static struct spore_guest rec(const char *state, int64_t domid, const char *loops)
{
	struct spore_guest g;
	memset(&g, 0, sizeof(g));
	strcpy(g.uuid, "0badcafe-0000-4000-8000-000000000001");
	strcpy(g.name, "g");
	strcpy(g.state, state);
	strcpy(g.loops, loops);
	g.domid = domid;
	return g;
}

static struct spore_dominfo dom(uint32_t flags)
{
	struct spore_dominfo d;
	memset(&d, 0, sizeof(d));
	d.domid = 3;
	d.flags = flags;
	return d;
}

int main(void)
{
	struct spore_guest g = rec("running", 3, "");
	struct spore_dominfo up = dom(XEN_DOMINF_running);
	struct spore_dominfo off = dom(XEN_DOMINF_shutdown | SHUTDOWN_poweroff << XEN_DOMINF_shutdownshift);
	struct spore_dominfo dying = dom(XEN_DOMINF_dying);

	is_int(spore_reap_decide(&g, &up, false), SPORE_REAP_NONE, "running guest left alone");
	is_int(spore_reap_decide(&g, &off, false), SPORE_REAP_TEARDOWN, "shut down: torn down");
	is_int(spore_reap_decide(&g, &dying, false), SPORE_REAP_TEARDOWN, "dying: torn down");
	is_int(spore_reap_decide(&g, NULL, false), SPORE_REAP_TEARDOWN,
	       "domain gone (xl destroy): torn down");
	is_int(spore_reap_decide(&g, &off, true), SPORE_REAP_NONE,
	       "shut down, but its attached sporectl tears it down itself");
	is_int(spore_reap_decide(&g, NULL, true), SPORE_REAP_NONE,
	       "gone, attached sporectl still running: left to it");

	g = rec("building", -1, "");
	is_int(spore_reap_decide(&g, NULL, true), SPORE_REAP_NONE, "building, owner alive");
	is_int(spore_reap_decide(&g, &up, true), SPORE_REAP_NONE, "building with a domain, owner alive");
	is_int(spore_reap_decide(&g, &up, false), SPORE_REAP_TEARDOWN_REMOVE,
	       "building, owner dead: torn down and removed");
	is_int(spore_reap_decide(&g, NULL, false), SPORE_REAP_TEARDOWN_REMOVE,
	       "owner died before the domain existed");

	g = rec("exited", -1, "");
	is_int(spore_reap_decide(&g, NULL, false), SPORE_REAP_NONE, "exited and clean");
	is_int(spore_reap_decide(&g, &dying, false), SPORE_REAP_NONE, "exited, Xen still freeing");
	g = rec("exited", 4, "");
	is_int(spore_reap_decide(&g, NULL, false), SPORE_REAP_TEARDOWN, "interrupted teardown (domid)");
	g = rec("exited", -1, "/dev/loop3");
	is_int(spore_reap_decide(&g, NULL, false), SPORE_REAP_NONE,
	       "exited with loops listed: they may be another guest's by now");

	/* Domains are matched by handle, never by a possibly reused domid. */
	struct spore_dominfo doms[3] = {dom(0), dom(0), dom(0)};
	doms[0].domid = 0;
	doms[1].domid = 3;
	doms[2].domid = 9;
	const uint8_t h[16] = {0x0b, 0xad, 0xca, 0xfe, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 1};
	memcpy(doms[2].handle, h, 16);
	g = rec("running", 3, "");
	is_int(spore_guest_match_domain(&g, doms, 3), 2, "found by handle, not by recorded domid");
	is_int(spore_guest_match_domain(&g, doms, 2), -1, "no domain with that handle");
	memcpy(doms[0].handle, h, 16);
	is_int(spore_guest_match_domain(&g, doms, 1), -1, "dom0 is never a guest");

	is_str(spore_shutdown_reason_name(SHUTDOWN_poweroff), "poweroff", "poweroff");
	is_str(spore_shutdown_reason_name(SHUTDOWN_crash), "crash", "crash");

	ok(spore_owner_alive(getpid(), 0), "this process is alive");
	ok(!spore_owner_alive(0, 0), "pid 0 is no owner");
	ok(!spore_owner_alive(getpid(), 1000), "a pid that started after the record is not its owner");
	return tap_done();
}

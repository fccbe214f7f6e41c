#include "guest_reap.h"
#include "guest_teardown.h"

#include <stdio.h>
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
	/* A served domain still there: its domid and its handle both. */
	ok(spore_domain_in(doms, 3, 9, h) == &doms[2], "the domain served is found by domid and handle");
	ok(spore_domain_in(doms, 3, 3, h) == NULL, "its handle under another domid is not it");
	ok(spore_domain_in(doms, 2, 9, h) == NULL, "gone from the snapshot: NULL");

	/* A backend's error directory (error/backend/KIND/DOMID) written after
	 * its guest's teardown: stale once the domain is gone or dying. */
	ok(!spore_error_dir_stale("9", doms, 3), "a live guest's error directory stays");
	ok(spore_error_dir_stale("25", doms, 3), "a gone guest's error directory is stale");
	doms[2].flags |= XEN_DOMINF_dying;
	ok(spore_error_dir_stale("9", doms, 3), "a dying guest's error directory is stale");
	ok(!spore_error_dir_stale("0", doms, 3), "dom0's is never pruned");
	ok(!spore_error_dir_stale("9x", doms, 3) && !spore_error_dir_stale("", doms, 3) &&
		   !spore_error_dir_stale("-1", doms, 3) && !spore_error_dir_stale("65535", doms, 3),
	   "a name that is not a guest's domid is left alone");

	is_str(spore_shutdown_reason_name(SHUTDOWN_poweroff), "poweroff", "poweroff");
	is_str(spore_shutdown_reason_name(SHUTDOWN_crash), "crash", "crash");

	/* Watch events name the record they concern. */
	char u[37];
	is_int(spore_reap_event_uuid("/spore/guests/0badcafe-0000-4000-8000-000000000001/state", u), 1,
	       "a key of a record names it");
	is_str(u, "0badcafe-0000-4000-8000-000000000001", "... by its uuid");
	is_int(spore_reap_event_uuid("/spore/guests/0badcafe-0000-4000-8000-000000000002", u), 1,
	       "the record itself names it");
	is_str(u, "0badcafe-0000-4000-8000-000000000002", "... by its uuid");
	is_int(spore_reap_event_uuid("/spore/guests", u), 0, "the records' folder: any may have changed");
	is_int(spore_reap_event_uuid("/spore/guests/short/state", u), -1, "not a uuid: ignored");
	is_int(spore_reap_event_uuid("/spore/guestsx/0badcafe-0000-4000-8000-000000000001", u), -1,
	       "another folder: ignored");
	is_int(spore_reap_event_uuid("@releaseDomain", u), -1, "not a record path");

	/* A @releaseDomain concerns the domains gone or shut down since the
	 * last look, by handle. */
	struct spore_dominfo before[3] = {dom(0), dom(0), dom(0)}, after[3];
	for (int i = 0; i < 3; i++) {
		before[i].domid = (uint32_t)i;
		before[i].handle[15] = (uint8_t)(0x10 + i);
	}
	after[0] = before[0];
	after[1] = before[2];
	after[1].flags = XEN_DOMINF_running;
	struct spore_uuid_set set = {0};
	is_int(spore_reap_released(before, 3, after, 2, &set), 0, "released: no error");
	is_int((int)set.n, 1, "one domain gone, none shut down: one guest");
	is_str(set.n ? set.v[0] : "", "00000000-0000-0000-0000-000000000011", "... the gone one's handle");
	after[1].flags = XEN_DOMINF_shutdown;
	after[2] = before[1];
	after[2].domid = 7; /* the same handle under another domid: a new domain */
	after[2].flags = XEN_DOMINF_dying;
	set.n = 0;
	spore_reap_released(before, 3, after, 3, &set);
	is_int((int)set.n, 2, "gone (by domid and handle) and shut down/dying, without repeats");
	ok(spore_uuid_set_has(&set, "00000000-0000-0000-0000-000000000011") &&
		   spore_uuid_set_has(&set, "00000000-0000-0000-0000-000000000012"),
	   "... both guests named");
	after[0].flags = XEN_DOMINF_shutdown;
	set.n = 0;
	spore_reap_released(NULL, 0, after, 1, &set);
	is_int((int)set.n, 0, "dom0 is never a guest");
	for (int i = 0; i < 40; i++) {
		char id[37];
		snprintf(id, sizeof(id), "00000000-0000-0000-0000-%012d", i % 20);
		spore_uuid_set_add(&set, id);
	}
	is_int((int)set.n, 20, "a uuid set grows and keeps no repeats");
	spore_uuid_set_add(&set, "short");
	is_int((int)set.n, 20, "... and takes only uuids");
	spore_uuid_set_free(&set);

	ok(spore_owner_alive(getpid(), 0), "this process is alive");
	ok(!spore_owner_alive(0, 0), "pid 0 is no owner");
	ok(!spore_owner_alive(getpid(), 1000), "a pid that started after the record is not its owner");
	return tap_done();
}

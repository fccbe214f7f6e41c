#include "vif.h"

#include <errno.h>
#include <string.h>

#include "tap.h"
#include "xs_val.h"

int main(void)
{
	struct xs_node_list l = {0};
	struct spore_err e = {0};
	struct spore_vif v = {.domid = 7, .mac = "02:aa:bb:cc:dd:ee", .mtu = 1500};
	const char *be = "/local/domain/0/backend/vif/7/0", *fe = "/local/domain/7/device/vif/0";
	char p[128], name[IFNAMSIZ];

	spore_vif_ifname(&v, name);
	is_str(name, "vif7.0", "interface name");
	is_int(spore_vif_nodes(&l, &v, &e), 0, "nodes built");
#define BE(k) (snprintf(p, sizeof(p), "%s/%s", be, k), val(&l, p))
#define FE(k) (snprintf(p, sizeof(p), "%s/%s", fe, k), val(&l, p))
	is_str(BE("frontend"), fe, "backend points at the frontend");
	is_str(BE("frontend-id"), "7", "frontend-id");
	is_str(BE("online"), "1", "online");
	is_str(BE("state"), "1", "backend state Initialising");
	is_str(BE("mac"), "02:aa:bb:cc:dd:ee", "backend mac");
	is_str(BE("mtu"), "1500", "backend mtu");
	is_str(BE("handle"), "0", "backend handle");
	is_str(BE("script"), "", "a script key netback's probe reads, empty");
	is_str(BE("hotplug-status"), "connected", "hotplug-status: no script to wait for");
	ok(!BE("bridge"), "no bridge");
	is_str(FE("backend"), be, "frontend points at the backend");
	is_str(FE("backend-id"), "0", "backend-id");
	is_str(FE("state"), "1", "frontend state Initialising");
	is_str(FE("handle"), "0", "frontend handle");
	is_str(FE("mac"), "02:aa:bb:cc:dd:ee", "frontend mac");
	const struct xs_node *fn = xs_node_find(&l, fe), *bn = xs_node_find(&l, be);
	ok(fn && fn->perms[0].domid == 7 && fn->perms[0].perm == 'n' && fn->perms[1].domid == 0 &&
		   fn->perms[1].perm == 'r',
	   "frontend owned by the guest, readable by dom0");
	ok(bn && bn->perms[0].domid == 0 && bn->perms[0].perm == 'n' && bn->perms[1].domid == 7 &&
		   bn->perms[1].perm == 'r',
	   "backend owned by dom0, readable by the guest");
	snprintf(p, sizeof(p), "%s/mtu", fe);
	const struct xs_node *mn = xs_node_find(&l, p);
	ok(mn && mn->perms[0].domid == 0 && mn->perms[1].domid == 7 && mn->perms[1].perm == 'r',
	   "the frontend's mtu is dom0's, read-only to the guest");
	xs_node_list_free(&l);

	/* Served by sporenet: outside backend/ (netback's), InitWait at once
	 * with the features the userspace backend has. */
	v.userspace = true;
	be = "/local/domain/0/spore-net/vif/7/0";
	is_int(spore_vif_nodes(&l, &v, &e), 0, "userspace: nodes built");
	is_str(FE("backend"), be, "userspace: the frontend points at spore-net/vif/7/0");
	ok(!xs_node_find(&l, "/local/domain/0/backend/vif/7/0"), "userspace: nothing under backend/");
	is_str(BE("state"), "2", "userspace: backend state InitWait from the start");
	is_str(BE("feature-rx-copy"), "1", "userspace: feature-rx-copy (netfront needs it)");
	is_str(BE("feature-sg"), "1", "userspace: feature-sg");
	is_str(BE("frontend-id"), "7", "userspace: frontend-id");
	is_str(BE("mac"), "02:aa:bb:cc:dd:ee", "userspace: backend mac (sporenet checks it)");
	ok(!BE("script") && !BE("hotplug-status"), "userspace: no netback keys");
	bn = xs_node_find(&l, be);
	ok(bn && bn->perms[0].domid == 0 && bn->perms[1].domid == 7 && bn->perms[1].perm == 'r',
	   "userspace: backend owned by dom0, readable by the guest");
	char sp[128];
	spore_vif_state_path(&v, sp, sizeof(sp));
	is_str(sp, "/local/domain/0/spore-net/vif/7/0/state", "userspace: state path");
	xs_node_list_free(&l);
	v.userspace = false;

	v.mac = "02:aa";
	is_int(spore_vif_nodes(&l, &v, &e), -EINVAL, "bad mac refused");
	xs_node_list_free(&l);
	v.mac = "02:aa:bb:cc:dd:ee";
	v.mtu = 20;
	is_int(spore_vif_nodes(&l, &v, &e), -EINVAL, "bad mtu refused");
	xs_node_list_free(&l);
	return tap_done();
}

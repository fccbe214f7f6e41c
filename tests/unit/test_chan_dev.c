/* The control channel's xenstore entries (controller/devices/chan.c). */
#include "chan.h"

#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "xs_val.h"

int main(void)
{
	struct xs_node_list l = {0};
	struct spore_err e = {0};
	const char *be = "/local/domain/0/backend/console/9/1", *fe = "/local/domain/9/device/console/1";
	char p[128];

	is_int(spore_chan_nodes(&l, 9, &e), 0, "nodes built");
#define BE(k) (snprintf(p, sizeof(p), "%s/%s", be, k), val(&l, p))
#define FE(k) (snprintf(p, sizeof(p), "%s/%s", fe, k), val(&l, p))
	is_str(BE("frontend"), fe, "backend points at device/console/1");
	is_str(BE("frontend-id"), "9", "frontend-id");
	is_str(BE("online"), "1", "online");
	is_str(BE("state"), "1", "backend state Initialising");
	is_str(BE("type"), "spore", "type spore: xenconsoled leaves it alone");
	is_str(FE("backend"), be, "frontend points at the backend");
	is_str(FE("backend-id"), "0", "backend-id");
	is_str(FE("state"), "1", "frontend state Initialising");
	ok(!FE("ring-ref") && !FE("port"), "ring-ref and port are the guest's to write");
	const struct xs_node *fn = xs_node_find(&l, fe), *bn = xs_node_find(&l, be);
	ok(fn && fn->perms[0].domid == 9 && fn->perms[0].perm == 'n',
	   "frontend owned by the guest (it writes ring-ref, port, state)");
	ok(bn && bn->perms[0].domid == 0 && bn->perms[0].perm == 'n' && bn->perms[1].domid == 9 &&
		   bn->perms[1].perm == 'r',
	   "backend owned by dom0, readable by the guest");
	snprintf(p, sizeof(p), "%s/type", be);
	const struct xs_node *tn = xs_node_find(&l, p);
	ok(tn && tn->perms[0].domid == 0, "the type is dom0's");
	xs_node_list_free(&l);
	return tap_done();
}

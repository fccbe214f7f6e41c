#include "vbd.h"

#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "tap.h"
#include "xs_val.h"

int main(void)
{
	struct xs_node_list l = {0};
	struct spore_err e = {0};
	struct spore_vbd v = {.domid = 9, .index = 1, .rdev = makedev(7, 12),
			      .params = "/dev/loop12", .readonly = true};

	is_int(spore_vbd_devnum(0), 51712, "xvda is 51712");
	is_int(spore_vbd_devnum(1), 51728, "xvdb is 51728");
	is_int(spore_vbd_devnum(16), -EINVAL, "no xvdq");
	is_int(spore_vbd_nodes(&l, &v, &e), 0, "nodes built");
	const char *be = "/local/domain/0/backend/vbd/9/51728";
	char p[128];
	snprintf(p, sizeof(p), "%s/physical-device", be);
	is_str(val(&l, p), "7:c", "physical-device is hex major:minor");
	snprintf(p, sizeof(p), "%s/mode", be);
	is_str(val(&l, p), "r", "read-only mode");
	snprintf(p, sizeof(p), "%s/dev", be);
	is_str(val(&l, p), "xvdb", "dev name");
	is_str(val(&l, "/local/domain/9/device/vbd/51728/backend"), be, "frontend points at backend");
	is_str(val(&l, "/local/domain/9/device/vbd/51728/virtual-device"), "51728", "virtual-device");
	const struct xs_node *fe = xs_node_find(&l, "/local/domain/9/device/vbd/51728");
	ok(fe && fe->perms[0].domid == 9, "frontend owned by the guest");
	const struct xs_node *bn = xs_node_find(&l, be);
	ok(bn && bn->perms[0].domid == 0 && bn->perms[1].domid == 9 && bn->perms[1].perm == 'r',
	   "backend owned by dom0, readable by the guest");
	xs_node_list_free(&l);
	v.index = 20;
	is_int(spore_vbd_nodes(&l, &v, &e), -EINVAL, "too many disks refused");
	xs_node_list_free(&l);
	return tap_done();
}

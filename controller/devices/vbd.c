/* vbd xenstore entries; see vbd.h. */
#include "vbd.h"
#include "dev_pair.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/sysmacros.h>

int spore_vbd_devnum(unsigned index)
{
	return index < 16 ? (202 << 8) | (int)(index << 4) : -EINVAL;
}

int spore_vbd_nodes(struct xs_node_list *l, const struct spore_vbd *v, struct spore_err *err)
{
	int dev = spore_vbd_devnum(v->index);
	const char *params = v->params ? v->params : "";
	struct dev_pair p;

	if (dev < 0)
		return spore_err_setx(err, EINVAL, "at most 16 disks per guest");
	dev_pair_begin(&p, l, "vbd", v->domid, v->backend_domid, (unsigned)dev);
	dev_pair_back(&p, "params", "%s", params);
	dev_pair_back(&p, "type", "phy");
	dev_pair_back(&p, "mode", "%s", v->readonly ? "r" : "w");
	dev_pair_back(&p, "dev", "xvd%c", 'a' + v->index);
	dev_pair_back(&p, "device-type", "disk");
	dev_pair_back(&p, "removable", "0");
	dev_pair_back(&p, "bootable", "1");
	/* What the hotplug script would write: blkback opens the device once
	 * physical-device exists. */
	dev_pair_back(&p, "physical-device", "%x:%x", major(v->rdev), minor(v->rdev));
	dev_pair_back(&p, "physical-device-path", "%s", params);
	dev_pair_front(&p, "virtual-device", "%d", dev);
	dev_pair_front(&p, "device-type", "disk");
	dev_pair_front(&p, "protocol", "x86_64-abi");
	if (l->err)
		return spore_err_set(err, -l->err, "vbd nodes for domain %" PRIu32, v->domid);
	return 0;
}

static int write_tx(struct spore_xs *xs, uint32_t tx, void *arg, struct spore_err *err)
{
	return spore_xs_write_nodes(xs, tx, arg, err);
}

int spore_vbd_add(struct spore_xs *xs, const struct spore_vbd *v, size_t n, struct spore_err *err)
{
	struct xs_node_list l = {0};
	int r = 0;
	for (size_t i = 0; i < n && r >= 0; i++)
		r = spore_vbd_nodes(&l, &v[i], err);
	if (r >= 0)
		r = spore_xs_transact(xs, write_tx, &l, err);
	xs_node_list_free(&l);
	return r;
}

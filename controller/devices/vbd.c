/* vbd xenstore entries; see vbd.h. */
#include "vbd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

int spore_vbd_devnum(unsigned index)
{
	return index < 16 ? (202 << 8) | (int)(index << 4) : -EINVAL;
}

int spore_vbd_nodes(struct xs_node_list *l, const struct spore_vbd *v, struct spore_err *err)
{
	int dev = spore_vbd_devnum(v->index);
	uint32_t n = v->domid, b = v->backend_domid;
	const struct spore_xs_perm ro_front[2] = {{b, 'n'}, {n, 'r'}};
	const struct spore_xs_perm front[2] = {{n, 'n'}, {b, 'r'}};
	char be[96], fe[96], num[32], pd[32], name[8];
	int r = 0;

	if (dev < 0)
		return spore_err_setx(err, EINVAL, "at most 16 disks per guest");
	snprintf(be, sizeof(be), "/local/domain/%" PRIu32 "/backend/vbd/%" PRIu32 "/%d", b, n, dev);
	snprintf(fe, sizeof(fe), "/local/domain/%" PRIu32 "/device/vbd/%d", n, dev);
	snprintf(pd, sizeof(pd), "%x:%x", major(v->rdev), minor(v->rdev));
	snprintf(name, sizeof(name), "xvd%c", 'a' + v->index);

#define ADD(val, perms, ...)                                                                       \
	do {                                                                                        \
		if (r >= 0)                                                                         \
			r = xs_node_add(l, (val), 2, (perms), __VA_ARGS__);                         \
	} while (0)
#define NUM(x) (snprintf(num, sizeof(num), "%" PRIu64, (uint64_t)(x)), num)
	/* Backend: owned by dom0, readable by the guest. */
	ADD("", ro_front, "%s", be);
	ADD(fe, ro_front, "%s/frontend", be);
	ADD(NUM(n), ro_front, "%s/frontend-id", be);
	ADD(v->params ? v->params : "", ro_front, "%s/params", be);
	ADD("phy", ro_front, "%s/type", be);
	ADD(v->readonly ? "r" : "w", ro_front, "%s/mode", be);
	ADD(name, ro_front, "%s/dev", be);
	ADD("disk", ro_front, "%s/device-type", be);
	ADD("1", ro_front, "%s/online", be);
	ADD("0", ro_front, "%s/removable", be);
	ADD("1", ro_front, "%s/bootable", be);
	ADD("1", ro_front, "%s/state", be);
	/* What the hotplug script would write: blkback opens the device once
	 * physical-device exists. */
	ADD(pd, ro_front, "%s/physical-device", be);
	ADD(v->params ? v->params : "", ro_front, "%s/physical-device-path", be);
	/* Frontend: owned by the guest, readable by dom0. */
	ADD("", front, "%s", fe);
	ADD(be, front, "%s/backend", fe);
	ADD(NUM(b), front, "%s/backend-id", fe);
	ADD("1", front, "%s/state", fe);
	ADD(NUM(dev), front, "%s/virtual-device", fe);
	ADD("disk", front, "%s/device-type", fe);
	ADD("x86_64-abi", front, "%s/protocol", fe);
#undef ADD
#undef NUM
	return r < 0 ? spore_err_set(err, -r, "vbd nodes for domain %" PRIu32, n) : 0;
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

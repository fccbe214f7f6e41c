/* The xenstore skeleton of a new PV domain; see xs_skeleton.h. */
#include "xs_skeleton.h"

#include "name_valid.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int uuid_valid(const char *u)
{
	if (!u || strlen(u) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return 0;
		} else if (!((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

int xs_skeleton_build(struct xs_node_list *l, const struct dom_skeleton *d, struct spore_err *err)
{
	uint32_t n = d->domid, b = d->backend_domid;
	/* dom0 owns, guest reads / guest owns (reads and writes) / dom0 only */
	const struct spore_xs_perm ro[2] = {{b, 'n'}, {n, 'r'}};
	const struct spore_xs_perm rw[1] = {{n, 'n'}};
	const struct spore_xs_perm rw_b[2] = {{n, 'n'}, {b, 'r'}};
	char dp[64], vm[64], num[64];

	if (!spore_name_valid(d->name))
		return spore_err_setx(err, EINVAL, "invalid guest name '%s'",
				      d->name ? d->name : "");
	if (!uuid_valid(d->uuid))
		return spore_err_setx(err, EINVAL, "invalid uuid '%s'", d->uuid ? d->uuid : "");
	snprintf(dp, sizeof(dp), "/local/domain/%" PRIu32, n);
	snprintf(vm, sizeof(vm), "/vm/%s", d->uuid);

#define NUM(v) (snprintf(num, sizeof(num), "%" PRIu64, (uint64_t)(v)), num)

	xs_node_add(l, "", 2, ro, "%s", dp);
	xs_node_add(l, "", 2, ro, "%s", vm);
	xs_node_add(l, d->uuid, 2, ro, "%s/uuid", vm);
	xs_node_add(l, d->name, 2, ro, "%s/name", vm);
	xs_node_add(l, vm, 2, ro, "%s/vm", dp);
	xs_node_add(l, d->name, 2, ro, "%s/name", dp);
	xs_node_add(l, NUM(n), 2, ro, "%s/domid", dp);
	xs_node_add(l, "", 2, ro, "%s/cpu", dp);
	for (uint32_t i = 0; i < d->vcpus; i++)
		xs_node_add(l, "online", 2, ro, "%s/cpu/%" PRIu32 "/availability", dp, i);
	xs_node_add(l, "", 2, ro, "%s/memory", dp);
	xs_node_add(l, NUM(d->max_kb), 2, ro, "%s/memory/static-max", dp);
	xs_node_add(l, NUM(d->target_kb), 2, ro, "%s/memory/target", dp);
	xs_node_add(l, "0", 2, ro, "%s/memory/videoram", dp);
	xs_node_add(l, "", 2, ro, "%s/device", dp);
	xs_node_add(l, "", 2, ro, "%s/control", dp);
	/* The guest answers shutdown requests and announces what it supports. */
	xs_node_add(l, "", 1, rw, "%s/control/shutdown", dp);
	xs_node_add(l, "", 1, rw, "%s/control/feature-poweroff", dp);
	xs_node_add(l, "", 1, rw, "%s/control/feature-reboot", dp);
	xs_node_add(l, "", 1, rw, "%s/control/feature-suspend", dp);
	xs_node_add(l, "", 1, rw, "%s/control/sysrq", dp);
	xs_node_add(l, "1", 2, ro, "%s/control/platform-feature-multiprocessor-suspend", dp);
	xs_node_add(l, "1", 2, ro, "%s/control/platform-feature-xs_reset_watches", dp);
	xs_node_add(l, "", 1, rw, "%s/data", dp);
	xs_node_add(l, "", 1, rw, "%s/drivers", dp);
	xs_node_add(l, "", 1, rw, "%s/feature", dp);
	xs_node_add(l, "", 1, rw, "%s/attr", dp);
	xs_node_add(l, "", 1, rw, "%s/error", dp);
	xs_node_add(l, "", 2, ro, "%s/store", dp);
	xs_node_add(l, NUM(d->store_port), 2, ro, "%s/store/port", dp);
	xs_node_add(l, NUM(d->store_mfn), 2, ro, "%s/store/ring-ref", dp);
	/* Console 0, served by spored (service/console/): xenconsoled skips a
	 * console whose type is not "xenconsoled" (tools/console/daemon/io.c,
	 * console_create_ring), so there is one backend for the ring. */
	xs_node_add(l, "", 2, ro, "%s/console", dp);
	xs_node_add(l, "spore", 2, ro, "%s/console/type", dp);
	xs_node_add(l, NUM(d->console_port), 2, ro, "%s/console/port", dp);
	xs_node_add(l, NUM(d->console_mfn), 2, ro, "%s/console/ring-ref", dp);
	xs_node_add(l, NUM(b), 2, rw_b, "%s/console/backend-id", dp);
	if (d->kernel)
		xs_node_add(l, d->kernel, 2, ro, "%s/image/kernel", vm);
	if (d->ramdisk)
		xs_node_add(l, d->ramdisk, 2, ro, "%s/image/ramdisk", vm);
	if (d->cmdline)
		xs_node_add(l, d->cmdline, 2, ro, "%s/image/cmdline", vm);
	xs_node_add(l, "linux", 2, ro, "%s/image/ostype", vm);
#undef NUM
	if (l->err)
		return spore_err_set(err, -l->err, "building the xenstore skeleton of domain %" PRIu32,
				     n);
	return 0;
}

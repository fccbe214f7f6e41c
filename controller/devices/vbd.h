/* Virtual block devices (xen-blkback in dom0, blkfront in the guest)
 * written by spore itself: no hotplug script, so spore also writes the
 * physical-device key blkback waits for. */
#ifndef SPORE_VBD_H
#define SPORE_VBD_H

#include <spore/err.h>
#include <spore/xenstore.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* xvda = 0, xvdb = 1, ...: the Linux "xvd" virtual-device number
 * (202 << 8 | disk << 4), for disks 0..15. */
int spore_vbd_devnum(unsigned index);

struct spore_vbd {
	uint32_t domid;
	uint32_t backend_domid; /* 0 */
	unsigned index;         /* 0 = xvda */
	dev_t rdev;             /* the dom0 block device, e.g. a loop */
	const char *params;     /* its path, informational */
	bool readonly;
};

/* Appends the frontend and backend nodes (pure, unit tested). */
int spore_vbd_nodes(struct xs_node_list *l, const struct spore_vbd *v, struct spore_err *err);
/* Writes the nodes of n devices in one transaction. */
int spore_vbd_add(struct spore_xs *xs, const struct spore_vbd *v, size_t n, struct spore_err *err);

#endif

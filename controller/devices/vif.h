/* Virtual network interfaces (xen-netback in dom0, netfront in the guest)
 * written by spore itself. No hotplug script and no bridge: the backend
 * interface vif<domid>.<handle> is left alone for sporenet, so spore does
 * what the script would (set it UP with the MTU) and writes
 * hotplug-status = "connected", which netback waits for before Connected. */
#ifndef SPORE_VIF_H
#define SPORE_VIF_H

#include <spore/err.h>
#include <spore/xenstore.h>

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct spore_vif {
	uint32_t domid;
	uint32_t backend_domid; /* 0 */
	unsigned handle;        /* 0 = eth0 */
	const char *mac;        /* "02:xx:xx:xx:xx:xx" */
	uint32_t mtu;
	/* Served by sporenet (launch --net-backend userspace): the backend
	 * directory under spore-net/, not backend/ (include/spore/
	 * vif_backend.h), so netback never sees it; no interface in dom0. */
	bool userspace;
};

/* "vif<domid>.<handle>", the interface netback creates. */
void spore_vif_ifname(const struct spore_vif *v, char name[IFNAMSIZ]);
/* Appends the frontend and backend nodes (pure, unit tested). A userspace
 * vif's backend says InitWait (2) at once, with the features sporenet's
 * backend has: netfront connects as soon as it probes, and sporenet maps
 * its rings whenever it comes (before the guest's first frame, normally). */
int spore_vif_nodes(struct xs_node_list *l, const struct spore_vif *v, struct spore_err *err);
/* Writes the nodes in one transaction, after spore_vif_backend_check. */
int spore_vif_add(struct spore_xs *xs, const struct spore_vif *v, struct spore_err *err);
/* -ENODEV with a message naming the fix if dom0 has no netback. */
int spore_vif_backend_check(struct spore_err *err);
/* How long netback may take to create the interface: instant on real
 * hardware, but seconds in a loaded TCG sandbox; xl allows its hotplug
 * scripts 40 s. */
#define SPORE_VIF_TIMEOUT_MS 30000
/* Waits (a xenstore watch on the backend's state, at most timeout_ms) for
 * netback to create the interface, then sets it UP with the MTU. */
int spore_vif_wait_up(struct spore_xs *xs, const struct spore_vif *v, int timeout_ms,
		      struct spore_err *err);
/* The pieces of spore_vif_wait_up, for a caller that waits for other things
 * at the same time: the node to watch (netback's state), one look at it (1
 * once the interface exists and is set UP, 0 not yet, -errno if netback
 * failed), and the error for a timeout. */
void spore_vif_state_path(const struct spore_vif *v, char *buf, size_t n);
int spore_vif_check_up(struct spore_xs *xs, const struct spore_vif *v, struct spore_err *err);
int spore_vif_timeout(struct spore_err *err, const struct spore_vif *v, int timeout_ms);

#endif

/* The control channel's device: the guest's second PV console
 * (device/console/1, /dev/hvc1 with the kernel's HVC_XEN_FRONTEND), served
 * by spored (service/channel/) rather than xenconsoled or a qemu: its
 * backend directory says type "spore", which xenconsoled leaves alone. Its
 * backend directory is under dom0's backend/console/, which the teardown
 * removes with the other devices. */
#ifndef SPORE_CHAN_DEV_H
#define SPORE_CHAN_DEV_H

#include <spore/err.h>
#include <spore/xenstore.h>

#include <stdint.h>

/* The backend's type key: not "xenconsoled", so xenconsoled skips it. */
#define SPORE_CHAN_BACKEND_TYPE "spore"

/* Appends the frontend and backend nodes (pure, unit tested). */
int spore_chan_nodes(struct xs_node_list *l, uint32_t domid, struct spore_err *err);

#endif

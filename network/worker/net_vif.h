/* A worker's userspace vif (launch --net-backend userspace): the guest's
 * netif rings served through network/netback/ (ring protocol) and its
 * device layer (grant copies, the event channel). Packets from the guest
 * are copied in batches into a local buffer and handed on one by one;
 * frames to the guest are queued and copied in batches at each flush.
 *
 * net_vif_open() needs root (the Xen device nodes): call it before the
 * worker enters its sandbox. After that only grant-copy and event-channel
 * ioctls, read and write on the event channel's fd are used. */
#ifndef SPORE_NET_VIF_H
#define SPORE_NET_VIF_H

#include "net_config.h"
#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_vif;

/* Opens the devices for domid, maps the two ring pages and binds the
 * event channel. */
int net_vif_open(struct net_vif **vp, uint32_t domid, const struct net_rings *rings,
		 struct spore_err *err);
/* Unmaps, unbinds, closes (process exit does the same). */
void net_vif_close(struct net_vif *v);
/* Readable when the guest kicked the channel. */
int net_vif_fd(const struct net_vif *v);

/* Called with each good packet from the guest (buf is writable: the
 * checksum may be completed in place); csum_blank: NETTXF_csum_blank. */
typedef void (*net_vif_deliver_fn)(void *opaque, uint8_t *buf, size_t len, bool csum_blank);
/* Takes the pending events and serves the tx ring until it is empty.
 * Returns 0, or -EPROTO once the guest broke the protocol (net_vif_why()
 * says how: disconnect it). */
int net_vif_tx(struct net_vif *v, net_vif_deliver_fn deliver, void *opaque);
/* Queues a frame for the guest; 0, or -EAGAIN (the guest posted no
 * buffer: dropped), -EMSGSIZE (dropped), -EPROTO. */
int net_vif_rx_queue(struct net_vif *v, const void *frame, size_t len);
/* Copies the queued frames into the guest's buffers and answers them. */
int net_vif_rx_flush(struct net_vif *v);
/* Why the guest was found broken (a constant string), or NULL. */
const char *net_vif_why(const struct net_vif *v);

#endif

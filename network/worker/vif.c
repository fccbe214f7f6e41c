/* A userspace vif's data path; see net_vif.h. */
#include "net_vif.h"
#include "net_ring.h"
#include "net_xendev.h"
#include <spore/log.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
/* The Xen headers do not include what their types need. */
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/io/netif.h>
#include <xen/sys/gntdev.h>

/* Packets per batch and the bytes a batch may start past: a batch stops
 * once BATCH_BYTES are used, so the buffer holds one more largest packet. */
#define BATCH 64
#define BATCH_BYTES 65536
#define BUF_BYTES (BATCH_BYTES + NB_MAX_PACKET + 1)
#define MAX_SEGS (BATCH * NB_MAX_SLOTS)

struct net_vif {
	struct nb_xendev x;
	struct nb_ring ring;
	void *tx_page, *rx_page;
	uint64_t tx_index, rx_index;
	const char *why;
	/* tx: one batch of parsed packets and their data. */
	struct nb_tx_pkt tx[BATCH];
	size_t tx_off[BATCH];
	uint8_t *tx_buf;
	/* rx: frames queued since the last flush. */
	struct nb_rx_pkt rx[BATCH];
	unsigned rx_n;
	size_t rx_used;
	uint8_t *rx_buf;
	struct ioctl_gntdev_grant_copy_segment seg[MAX_SEGS];
};

int net_vif_open(struct net_vif **vp, uint32_t domid, const struct net_rings *rings,
		 struct spore_err *err)
{
	struct net_vif *v = calloc(1, sizeof(*v));
	int r;

	*vp = NULL;
	if (!v)
		return spore_err_set(err, ENOMEM, "vif of domain %u", domid);
	v->x.gnt = v->x.evt = -1;
	v->tx_buf = malloc(BUF_BYTES);
	v->rx_buf = malloc(BUF_BYTES);
	if (!v->tx_buf || !v->rx_buf) {
		r = spore_err_set(err, ENOMEM, "vif of domain %u", domid);
		goto fail;
	}
	if ((r = nb_xendev_open(&v->x, domid, err)) < 0 ||
	    (r = nb_xendev_map(&v->x, rings->tx_ref, &v->tx_page, &v->tx_index, err)) < 0 ||
	    (r = nb_xendev_map(&v->x, rings->rx_ref, &v->rx_page, &v->rx_index, err)) < 0 ||
	    (r = nb_xendev_bind(&v->x, rings->evtchn, err)) < 0)
		goto fail;
	nb_ring_init(&v->ring, v->tx_page, v->rx_page, rings->rx_sg);
	/* Requests the guest made before we came: serve them at the first
	 * event, which this kick provokes if the guest waits for one. */
	nb_xendev_notify(&v->x);
	*vp = v;
	return 0;
fail:
	net_vif_close(v);
	return r;
}

void net_vif_close(struct net_vif *v)
{
	if (!v)
		return;
	if (v->x.gnt >= 0) {
		nb_xendev_unmap(&v->x, v->tx_page, v->tx_index);
		nb_xendev_unmap(&v->x, v->rx_page, v->rx_index);
	}
	nb_xendev_close(&v->x);
	free(v->tx_buf);
	free(v->rx_buf);
	free(v);
}

int net_vif_fd(const struct net_vif *v)
{
	return v->x.evt;
}

const char *net_vif_why(const struct net_vif *v)
{
	return v->why ? v->why : v->ring.why;
}

static int broken(struct net_vif *v)
{
	if (!v->why)
		v->why = v->ring.why ? v->ring.why : "protocol error";
	return -EPROTO;
}

/* One batch: parse, copy every segment in one call, deliver, answer.
 * Returns the packets taken, or -EPROTO. */
static int tx_batch(struct net_vif *v, net_vif_deliver_fn deliver, void *opaque)
{
	struct spore_err err = {0};
	unsigned n = 0, nseg = 0;
	size_t used = 0;

	while (n < BATCH && used < BATCH_BYTES) {
		struct nb_tx_pkt *p = &v->tx[n];
		int r = nb_tx_next(&v->ring, p);
		if (r < 0)
			return broken(v);
		if (r == 0)
			break;
		v->tx_off[n] = used;
		size_t at = used;
		for (unsigned k = 0; k < p->nseg; k++) {
			if (p->seg[k].len)
				nb_copy_from_guest(&v->seg[nseg++], v->x.domid, &p->seg[k],
						   v->tx_buf + at);
			at += p->seg[k].len;
		}
		used += p->len;
		n++;
	}
	if (n == 0)
		return 0;
	bool copied = nb_xendev_copy(&v->x, v->seg, nseg, &err) == 0;
	if (!copied)
		log_warn("vif of domain %u: %s", v->x.domid, err.msg);
	nseg = 0;
	for (unsigned i = 0; i < n; i++) {
		struct nb_tx_pkt *p = &v->tx[i];
		bool ok = copied && p->status == NETIF_RSP_OKAY;
		for (unsigned k = 0; k < p->nseg; k++)
			if (p->seg[k].len && v->seg[nseg++].status != GNTST_okay)
				ok = false;
		if (ok)
			deliver(opaque, v->tx_buf + v->tx_off[i], p->len,
				p->flags & NETTXF_csum_blank);
		nb_tx_respond(&v->ring, p, ok ? NETIF_RSP_OKAY : NETIF_RSP_ERROR);
	}
	if (nb_tx_push(&v->ring))
		nb_xendev_notify(&v->x);
	return (int)n;
}

int net_vif_tx(struct net_vif *v, net_vif_deliver_fn deliver, void *opaque)
{
	if (v->why)
		return -EPROTO;
	if (nb_xendev_events(&v->x) < 0)
		log_debug("vif of domain %u: unmasking the channel failed", v->x.domid);
	for (;;) {
		int n = tx_batch(v, deliver, opaque);
		if (n < 0)
			return n;
		/* Empty: ask to be kicked for the next request, unless one
		 * came meanwhile. */
		if (n == 0 && !nb_tx_final_check(&v->ring))
			break;
	}
	return 0;
}

int net_vif_rx_queue(struct net_vif *v, const void *frame, size_t len)
{
	if (v->why)
		return -EPROTO;
	if (len == 0 || len > NB_MAX_PACKET)
		return -EMSGSIZE;
	if (v->rx_n == BATCH || v->rx_used + len > BUF_BYTES)
		net_vif_rx_flush(v);
	struct nb_rx_pkt *p = &v->rx[v->rx_n];
	int r = nb_rx_take(&v->ring, len, p);
	if (r == -EPROTO)
		return broken(v);
	if (r < 0)
		return r;
	memcpy(v->rx_buf + v->rx_used, frame, len);
	v->rx_used += len;
	v->rx_n++;
	return 0;
}

int net_vif_rx_flush(struct net_vif *v)
{
	struct spore_err err = {0};
	unsigned nseg = 0;
	size_t at = 0;

	if (v->rx_n == 0)
		return 0;
	for (unsigned i = 0; i < v->rx_n; i++)
		for (unsigned k = 0; k < v->rx[i].nseg; k++) {
			nb_copy_to_guest(&v->seg[nseg++], v->x.domid, &v->rx[i].seg[k], v->rx_buf + at);
			at += v->rx[i].seg[k].len;
		}
	bool copied = nb_xendev_copy(&v->x, v->seg, nseg, &err) == 0;
	if (!copied)
		log_warn("vif of domain %u: %s", v->x.domid, err.msg);
	nseg = 0;
	for (unsigned i = 0; i < v->rx_n; i++) {
		bool ok = copied;
		for (unsigned k = 0; k < v->rx[i].nseg; k++)
			if (v->seg[nseg++].status != GNTST_okay)
				ok = false;
		nb_rx_respond(&v->ring, &v->rx[i], ok);
	}
	v->rx_n = 0;
	v->rx_used = 0;
	if (nb_rx_push(&v->ring))
		nb_xendev_notify(&v->x);
	return 0;
}

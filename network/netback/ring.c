/* netif's rings, backend side; see net_ring.h. */
#include "net_ring.h"

#include <errno.h>
#include <stdint.h>
/* netif.h does not include what its types need. */
#include <xen/io/netif.h>

_Static_assert(__CONST_RING_SIZE(netif_tx, NB_PAGE_SIZE) == NB_RING_SIZE, "tx ring size");
_Static_assert(__CONST_RING_SIZE(netif_rx, NB_PAGE_SIZE) == NB_RING_SIZE, "rx ring size");
_Static_assert(NB_MAX_SLOTS + NB_MAX_EXTRAS <= 32, "extra_mask is 32 bits");

#define MASK (NB_RING_SIZE - 1)
#define ETH_HLEN 14

/* Entries by address, not through the header's ring[1] (which a bounds
 * sanitizer may take literally). */
static volatile union netif_tx_sring_entry *tx_slot(struct nb_ring *r, uint32_t i)
{
	char *base = (char *)r->tx + offsetof(struct netif_tx_sring, ring);
	return (volatile union netif_tx_sring_entry *)base + (i & MASK);
}

static volatile union netif_rx_sring_entry *rx_slot(struct nb_ring *r, uint32_t i)
{
	char *base = (char *)r->rx + offsetof(struct netif_rx_sring, ring);
	return (volatile union netif_rx_sring_entry *)base + (i & MASK);
}

static int broken(struct nb_ring *r, const char *why)
{
	if (!r->why)
		r->why = why;
	return -EPROTO;
}

void nb_ring_init(struct nb_ring *r, void *tx_page, void *rx_page, bool rx_sg)
{
	struct netif_tx_sring *tx = tx_page;
	struct netif_rx_sring *rx = rx_page;

	*r = (struct nb_ring){.tx = tx_page, .rx = rx_page, .rx_sg = rx_sg};
	r->tx_req_cons = r->tx_rsp_prod = r->tx_rsp_pushed =
		__atomic_load_n(&tx->rsp_prod, __ATOMIC_ACQUIRE);
	r->rx_req_cons = r->rx_rsp_prod = r->rx_rsp_pushed =
		__atomic_load_n(&rx->rsp_prod, __ATOMIC_ACQUIRE);
}

/* Requests the guest has published past *cons, or -1 if its req_prod is
 * impossible: more than a ring ahead of the responses we wrote (it would
 * be overwriting slots we have not answered), or behind what we took. */
static int64_t pending(uint32_t *req_prod, uint32_t cons, uint32_t rsp)
{
	uint32_t prod = __atomic_load_n(req_prod, __ATOMIC_ACQUIRE);
	if (prod - rsp > NB_RING_SIZE || prod - rsp < cons - rsp)
		return -1;
	return prod - cons;
}

/* One slot read once, field by field through volatile: the copy is what we
 * check and use. */
static struct netif_tx_request tx_req(struct nb_ring *r, uint32_t i)
{
	volatile struct netif_tx_request *q = &tx_slot(r, i)->req;
	return (struct netif_tx_request){.gref = q->gref, .offset = q->offset,
					 .flags = q->flags, .id = q->id, .size = q->size};
}

static struct netif_extra_info tx_extra(struct nb_ring *r, uint32_t i)
{
	volatile struct netif_extra_info *q = (volatile void *)&tx_slot(r, i)->req;
	struct netif_extra_info e = {.type = q->type, .flags = q->flags};
	e.u.gso.size = q->u.gso.size;
	e.u.gso.type = q->u.gso.type;
	return e;
}

/* The extra-info slots after the first slot, from slot *i on. */
static int parse_extras(struct nb_ring *r, uint32_t avail, uint32_t *i, struct nb_tx_pkt *p)
{
	unsigned n = 0;
	struct netif_extra_info e;

	do {
		if (*i >= avail)
			return broken(r, "tx: extra info runs past req_prod");
		if (n++ == NB_MAX_EXTRAS)
			return broken(r, "tx: too many extra info slots");
		e = tx_extra(r, r->tx_req_cons + *i);
		p->extra_mask |= 1u << *i;
		p->ids[(*i)++] = 0;
		if (e.type == XEN_NETIF_EXTRA_TYPE_NONE || e.type >= XEN_NETIF_EXTRA_TYPE_MAX)
			return broken(r, "tx: bad extra info type");
		/* A GSO packet is handed on whole (libslirp takes a TCP segment
		 * of any size), so only its sanity matters. Multicast and hash
		 * extras were not negotiated and are ignored. */
		if (e.type == XEN_NETIF_EXTRA_TYPE_GSO) {
			if (e.u.gso.size == 0 || (e.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
						  e.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6))
				p->status = NETIF_RSP_ERROR;
			p->gso_size = e.u.gso.size;
		}
	} while (e.flags & XEN_NETIF_EXTRA_FLAG_MORE);
	return 0;
}

int nb_tx_next(struct nb_ring *r, struct nb_tx_pkt *p)
{
	if (r->why)
		return -EPROTO;
	int64_t avail = pending(&((struct netif_tx_sring *)r->tx)->req_prod, r->tx_req_cons,
				r->tx_rsp_prod);
	if (avail < 0)
		return broken(r, "tx: req_prod out of range");
	if (avail == 0)
		return 0;

	p->nseg = 0;
	p->status = NETIF_RSP_OKAY;
	p->extra_mask = 0;
	p->gso_size = 0;
	p->len = 0;

	struct netif_tx_request first = tx_req(r, r->tx_req_cons);
	uint32_t i = 1, rest = 0;
	uint16_t flags = first.flags;
	p->ids[0] = first.id;
	p->flags = first.flags;
	if (first.flags & NETTXF_extra_info) {
		int e = parse_extras(r, (uint32_t)avail, &i, p);
		if (e < 0)
			return e;
	}
	p->seg[p->nseg++] = (struct nb_seg){.gref = first.gref, .offset = first.offset};
	while (flags & NETTXF_more_data) {
		if (i >= avail)
			return broken(r, "tx: packet runs past req_prod");
		if (p->nseg == NB_MAX_SLOTS)
			return broken(r, "tx: packet spans too many slots");
		struct netif_tx_request t = tx_req(r, r->tx_req_cons + i);
		p->ids[i++] = t.id;
		if ((uint32_t)t.offset + t.size > NB_PAGE_SIZE)
			return broken(r, "tx: slot crosses its page");
		p->seg[p->nseg++] = (struct nb_seg){.gref = t.gref, .offset = t.offset,
						    .len = t.size};
		rest += t.size;
		flags = t.flags;
	}
	/* The first slot's size is the packet's; its own data is what the
	 * other slots leave. */
	if (rest > first.size) {
		p->status = NETIF_RSP_ERROR;
	} else {
		p->seg[0].len = (uint16_t)(first.size - rest);
		if ((uint32_t)first.offset + p->seg[0].len > NB_PAGE_SIZE)
			return broken(r, "tx: slot crosses its page");
		if (first.size < ETH_HLEN)
			p->status = NETIF_RSP_ERROR;
	}
	p->nslots = (uint16_t)i;
	r->tx_req_cons += i;
	if (p->status != NETIF_RSP_OKAY)
		p->nseg = 0;
	else
		p->len = first.size;
	return 1;
}

void nb_tx_respond(struct nb_ring *r, const struct nb_tx_pkt *p, int16_t status)
{
	if (r->why)
		return;
	for (uint32_t k = 0; k < p->nslots; k++) {
		volatile struct netif_tx_response *s = &tx_slot(r, r->tx_rsp_prod + k)->rsp;
		bool extra = p->extra_mask & (1u << k);
		s->id = p->ids[k];
		s->status = extra ? NETIF_RSP_NULL : status;
	}
	r->tx_rsp_prod += p->nslots;
}

/* RING_PUSH_RESPONSES_AND_CHECK_NOTIFY against our own record of the
 * previous push. */
static bool push(uint32_t *rsp_prod, uint32_t *rsp_event, uint32_t *pushed, uint32_t now)
{
	uint32_t old = *pushed;
	__atomic_store_n(rsp_prod, now, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint32_t ev = __atomic_load_n(rsp_event, __ATOMIC_RELAXED);
	*pushed = now;
	return (uint32_t)(now - ev) < (uint32_t)(now - old);
}

bool nb_tx_push(struct nb_ring *r)
{
	struct netif_tx_sring *s = r->tx;
	if (r->why || r->tx_rsp_pushed == r->tx_rsp_prod)
		return false;
	return push(&s->rsp_prod, &s->rsp_event, &r->tx_rsp_pushed, r->tx_rsp_prod);
}

bool nb_tx_final_check(struct nb_ring *r)
{
	struct netif_tx_sring *s = r->tx;
	if (r->why)
		return false;
	if (__atomic_load_n(&s->req_prod, __ATOMIC_ACQUIRE) != r->tx_req_cons)
		return true;
	__atomic_store_n(&s->req_event, r->tx_req_cons + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&s->req_prod, __ATOMIC_ACQUIRE) != r->tx_req_cons;
}

uint32_t nb_rx_pending(struct nb_ring *r)
{
	if (r->why)
		return 0;
	int64_t n = pending(&((struct netif_rx_sring *)r->rx)->req_prod, r->rx_req_cons,
			    r->rx_rsp_prod);
	if (n < 0) {
		broken(r, "rx: req_prod out of range");
		return 0;
	}
	return (uint32_t)n;
}

int nb_rx_take(struct nb_ring *r, size_t len, struct nb_rx_pkt *p)
{
	if (r->why)
		return -EPROTO;
	if (len == 0 || len > NB_MAX_PACKET)
		return -EINVAL;
	uint32_t n = (uint32_t)((len + NB_PAGE_SIZE - 1) / NB_PAGE_SIZE);
	if (n > NB_MAX_SLOTS || (n > 1 && !r->rx_sg))
		return -EMSGSIZE;
	uint32_t avail = nb_rx_pending(r);
	if (r->why)
		return -EPROTO;
	if (avail < n)
		return -EAGAIN;
	size_t left = len;
	for (uint32_t k = 0; k < n; k++) {
		volatile struct netif_rx_request *q = &rx_slot(r, r->rx_req_cons + k)->req;
		uint16_t chunk = (uint16_t)(left < NB_PAGE_SIZE ? left : NB_PAGE_SIZE);
		p->ids[k] = q->id;
		p->seg[k] = (struct nb_seg){.gref = q->gref, .offset = 0, .len = chunk};
		left -= chunk;
	}
	p->nseg = (uint16_t)n;
	p->len = (uint32_t)len;
	r->rx_req_cons += n;
	return 0;
}

void nb_rx_respond(struct nb_ring *r, const struct nb_rx_pkt *p, bool ok)
{
	if (r->why)
		return;
	for (uint32_t k = 0; k < p->nseg; k++) {
		volatile struct netif_rx_response *s = &rx_slot(r, r->rx_rsp_prod + k)->rsp;
		uint16_t flags = k + 1 < p->nseg ? NETRXF_more_data : 0;
		/* libslirp's frames carry complete checksums. */
		if (k == 0)
			flags |= NETRXF_data_validated;
		s->id = p->ids[k];
		s->offset = 0;
		s->flags = flags;
		s->status = ok ? (int16_t)p->seg[k].len : NETIF_RSP_ERROR;
	}
	r->rx_rsp_prod += p->nseg;
}

bool nb_rx_push(struct nb_ring *r)
{
	struct netif_rx_sring *s = r->rx;
	if (r->why || r->rx_rsp_pushed == r->rx_rsp_prod)
		return false;
	return push(&s->rsp_prod, &s->rsp_event, &r->rx_rsp_pushed, r->rx_rsp_prod);
}

/* The backend side of netif's rings (xen/include/public/io/netif.h): pure
 * logic over the two shared ring pages, no Xen device access (the caller
 * maps the pages and moves packet data with grant copies).
 *
 * The ring pages are guest memory that the guest may rewrite at any moment:
 * every value is read once into a local copy (req_prod, each request) and
 * checked before use. A guest that breaks the protocol (an index more than
 * a ring ahead, a slot chain running past req_prod or longer than
 * NB_TX_MAX_SLOTS, a slot crossing its page, a bad extra-info slot) marks
 * the ring broken (nb_ring.why says why); every call then does nothing and
 * the caller disconnects the guest. A malformed packet that keeps the ring
 * in step (a first slot smaller than the rest of the chain, a runt) is
 * answered NETIF_RSP_ERROR, as Linux's netback does. */
#ifndef SPORE_NET_RING_H
#define SPORE_NET_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NB_PAGE_SIZE 4096u
/* Entries per ring: __CONST_RING_SIZE(netif_tx, 4096), same for rx. */
#define NB_RING_SIZE 256u
/* Data slots one packet may span (XEN_NETIF_NR_SLOTS_MIN: what every
 * backend must take; we advertise no more). */
#define NB_MAX_SLOTS 18u
/* Extra-info slots one tx packet may carry: one of each type. */
#define NB_MAX_EXTRAS 4u
/* Largest packet on either ring (XEN_NETIF_MAX_TX_SIZE). */
#define NB_MAX_PACKET 0xffffu

struct nb_ring {
	void *tx, *rx;              /* the shared pages: netif_tx_sring, netif_rx_sring */
	/* Private indices: requests taken, responses written, responses
	 * published (the shared rsp_prod is guest-writable: never read back). */
	uint32_t tx_req_cons, tx_rsp_prod, tx_rsp_pushed;
	uint32_t rx_req_cons, rx_rsp_prod, rx_rsp_pushed;
	bool rx_sg;                 /* the frontend takes multi-slot rx packets (feature-sg) */
	const char *why;            /* set when the guest broke the protocol: disconnect it */
};

/* One piece of a packet in guest memory. */
struct nb_seg {
	uint32_t gref;
	uint16_t offset, len;
};

/* A tx packet (guest to backend) as nb_tx_next() parsed it. */
struct nb_tx_pkt {
	uint16_t nslots;            /* ring slots it used, extras included */
	uint16_t nseg;              /* data segments (0 if status is an error) */
	uint16_t flags;             /* the first slot's NETTXF_* */
	int16_t status;             /* NETIF_RSP_OKAY, or the error to answer */
	uint32_t len;               /* bytes in all segments */
	uint16_t gso_size;          /* from a GSO extra, else 0 */
	uint16_t ids[NB_MAX_SLOTS + NB_MAX_EXTRAS];
	uint32_t extra_mask;        /* bit i: slot i is an extra-info slot */
	struct nb_seg seg[NB_MAX_SLOTS];
};

/* An rx packet (backend to guest) placed by nb_rx_take(). */
struct nb_rx_pkt {
	uint16_t nseg;
	uint32_t len;
	uint16_t ids[NB_MAX_SLOTS];
	struct nb_seg seg[NB_MAX_SLOTS];  /* offset 0, whole pages but the last */
};

/* Starts serving rings the frontend set up. The private indices start from
 * the shared rsp_prod: 0 on a fresh ring, where the last backend stopped on
 * a reconnect (requests it took but did not answer are taken again). */
void nb_ring_init(struct nb_ring *r, void *tx_page, void *rx_page, bool rx_sg);

/* Parses the next tx packet. Returns 1 with *p filled (answer it with
 * nb_tx_respond(), in order), 0 if no request is pending, -EPROTO if the
 * ring is broken (r->why). */
int nb_tx_next(struct nb_ring *r, struct nb_tx_pkt *p);
/* Writes p's responses (status for every data slot, NETIF_RSP_NULL for the
 * extras) after the previous packet's. */
void nb_tx_respond(struct nb_ring *r, const struct nb_tx_pkt *p, int16_t status);
/* Publishes the responses written so far; true if the guest asked to be
 * notified of them (its rsp_event). */
bool nb_tx_push(struct nb_ring *r);
/* Asks the guest to notify at its next request (req_event) and returns true
 * if requests arrived meanwhile (RING_FINAL_CHECK_FOR_REQUESTS). */
bool nb_tx_final_check(struct nb_ring *r);

/* Takes rx requests for a len-byte packet (1 <= len <= NB_MAX_PACKET).
 * Returns 0 with *p filled, -EAGAIN if too few requests are posted,
 * -EMSGSIZE if it needs more than one slot and the frontend has no
 * feature-sg (or more than NB_MAX_SLOTS), -EINVAL for a bad len, -EPROTO if
 * the ring is broken. Answer every taken packet with nb_rx_respond(), in
 * order. */
int nb_rx_take(struct nb_ring *r, size_t len, struct nb_rx_pkt *p);
/* Writes p's responses into the slots of its requests: its segments'
 * lengths if ok, else NETIF_RSP_ERROR. */
void nb_rx_respond(struct nb_ring *r, const struct nb_rx_pkt *p, bool ok);
/* Publishes rx responses; true if the guest asked to be notified. */
bool nb_rx_push(struct nb_ring *r);
/* rx requests the guest has posted and nb_rx_take() has not taken (0 if
 * the ring is broken). */
uint32_t nb_rx_pending(struct nb_ring *r);

#endif

/* libFuzzer target: a hostile netfront against the backend side of the
 * netif rings (network/netback/ring.c). The input is a script of what the
 * guest writes (raw request slots, any req_prod, scribbles anywhere on the
 * shared pages, rsp_prod and rsp_event included) and what the backend does
 * (parse and answer tx packets, place rx packets of any length, reconnect).
 * The pages are exactly 4096-byte allocations, so ASan catches any access
 * outside them; what the parser hands out is checked against the protocol's
 * bounds (segments inside their page, at most 18, lengths adding up).
 *
 * Input: records of [op][args]. op % 10:
 * 0 tx slot (12 bytes, raw) at the guest's producer index
 * 1 tx req_prod = guest index + (int8) delta
 * 2 backend: up to (byte) tx packets, answered with status (byte)
 * 3 rx request (8 bytes, raw), published
 * 4 rx req_prod = (u32)
 * 5 backend: rx packet of (u16) bytes, answered ok if (byte) is even
 * 6 backend: final check for tx requests
 * 7 guest scribble: page (bit 0 of byte), offset (u16 % 4096), value (byte)
 * 8 backend reconnects (sg from the next byte)
 * 9 a tx chain of (byte % 32) slots of (u16 % 4097) bytes each, the first's
 *   flags (byte) added: long chains in a few bytes */
#include "net_ring.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/netif.h>

struct in {
	const uint8_t *p;
	size_t n;
};

static int take(struct in *in, void *out, size_t len)
{
	if (in->n < len)
		return -1;
	memcpy(out, in->p, len);
	in->p += len;
	in->n -= len;
	return 0;
}

static void check_tx(const struct nb_tx_pkt *p)
{
	uint32_t sum = 0;
	if (p->nseg > NB_MAX_SLOTS || p->nslots > NB_MAX_SLOTS + NB_MAX_EXTRAS || p->nslots == 0)
		abort();
	if (p->status != NETIF_RSP_OKAY) {
		if (p->nseg != 0 || p->len != 0)
			abort();
		return;
	}
	for (unsigned i = 0; i < p->nseg; i++) {
		if ((uint32_t)p->seg[i].offset + p->seg[i].len > NB_PAGE_SIZE)
			abort();
		sum += p->seg[i].len;
	}
	if (sum != p->len || p->len > NB_MAX_PACKET || p->len < 14)
		abort();
}

static void check_rx(const struct nb_rx_pkt *p, size_t len)
{
	uint32_t sum = 0;
	if (p->nseg == 0 || p->nseg > NB_MAX_SLOTS || p->len != len)
		abort();
	for (unsigned i = 0; i < p->nseg; i++) {
		if (p->seg[i].offset != 0 || p->seg[i].len > NB_PAGE_SIZE || p->seg[i].len == 0)
			abort();
		sum += p->seg[i].len;
	}
	if (sum != len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *pages[2] = {malloc(NB_PAGE_SIZE), malloc(NB_PAGE_SIZE)};
	struct netif_tx_sring *txs = (void *)pages[0];
	struct netif_rx_sring *rxs = (void *)pages[1];
	struct in in = {data, size};
	struct nb_ring r;
	uint32_t tx_prod = 0;
	uint8_t op;

	if (!pages[0] || !pages[1])
		abort();
	memset(pages[0], 0, NB_PAGE_SIZE);
	memset(pages[1], 0, NB_PAGE_SIZE);
	txs->req_event = txs->rsp_event = rxs->req_event = rxs->rsp_event = 1;
	nb_ring_init(&r, txs, rxs, false);

	while (take(&in, &op, 1) == 0) {
		uint8_t b[12];
		uint16_t u16;
		uint32_t u32;
		switch (op % 10) {
		case 0:
			if (take(&in, b, 12) < 0)
				goto out;
			memcpy((char *)txs + offsetof(struct netif_tx_sring, ring) +
				       (tx_prod++ & (NB_RING_SIZE - 1)) * 12, b, 12);
			break;
		case 1:
			if (take(&in, b, 1) < 0)
				goto out;
			txs->req_prod = tx_prod + (uint32_t)(int32_t)(int8_t)b[0];
			break;
		case 2: {
			if (take(&in, b, 2) < 0)
				goto out;
			struct nb_tx_pkt p;
			for (unsigned i = 0; i < b[0] && nb_tx_next(&r, &p) == 1; i++) {
				check_tx(&p);
				nb_tx_respond(&r, &p, (int16_t)(int8_t)b[1]);
			}
			nb_tx_push(&r);
			break;
		}
		case 3:
			if (take(&in, b, 8) < 0)
				goto out;
			memcpy((char *)rxs + offsetof(struct netif_rx_sring, ring) +
				       (rxs->req_prod & (NB_RING_SIZE - 1)) * 8, b, 8);
			rxs->req_prod++;
			break;
		case 4:
			if (take(&in, &u32, 4) < 0)
				goto out;
			rxs->req_prod = u32;
			break;
		case 5: {
			struct nb_rx_pkt p;
			if (take(&in, &u16, 2) < 0 || take(&in, b, 1) < 0)
				goto out;
			if (nb_rx_take(&r, u16, &p) == 0) {
				check_rx(&p, u16);
				nb_rx_respond(&r, &p, !(b[0] & 1));
			}
			nb_rx_push(&r);
			break;
		}
		case 6:
			nb_tx_final_check(&r);
			break;
		case 7:
			if (take(&in, b, 1) < 0 || take(&in, &u16, 2) < 0 || take(&in, b + 1, 1) < 0)
				goto out;
			pages[b[0] & 1][u16 % NB_PAGE_SIZE] = b[1];
			break;
		case 8:
			if (take(&in, b, 1) < 0)
				goto out;
			nb_ring_init(&r, txs, rxs, b[0] & 1);
			tx_prod = txs->req_prod;
			break;
		case 9: {
			if (take(&in, b, 1) < 0 || take(&in, &u16, 2) < 0 || take(&in, b + 1, 1) < 0)
				goto out;
			unsigned n = b[0] % 32;
			uint16_t len = (uint16_t)(u16 % (NB_PAGE_SIZE + 1));
			for (unsigned k = 0; k < n; k++) {
				struct netif_tx_request q = {
					.gref = k, .id = (uint16_t)k,
					.flags = (uint16_t)((k + 1 < n ? NETTXF_more_data : 0) |
							    (k == 0 ? b[1] & ~NETTXF_more_data : 0)),
					.size = (uint16_t)(k == 0 ? len * n : len)};
				memcpy((char *)txs + offsetof(struct netif_tx_sring, ring) +
					       (tx_prod++ & (NB_RING_SIZE - 1)) * 12, &q, 12);
			}
			txs->req_prod = tx_prod;
			break;
		}
		}
	}
out:
	free(pages[0]);
	free(pages[1]);
	return 0;
}

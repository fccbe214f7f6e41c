/* netif rings, backend side (network/netback/ring.c): synthetic rings in
 * memory, this test playing netfront. Good packets (one slot, chains,
 * extras), errors answered in step (a chain longer than its first slot
 * says, a runt, a bad GSO extra), and broken protocol (req_prod out of
 * range, a chain past req_prod or longer than 18 slots, a slot crossing
 * its page, bad or too many extras) that must disconnect the guest. */
#include "net_ring.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <xen/io/netif.h>

#include "tap.h"

static struct netif_tx_sring *txs;
static struct netif_rx_sring *rxs;
static struct nb_ring r;
static uint32_t tx_prod, rx_prod; /* the frontend's private producer indices */

static union netif_tx_sring_entry *txe(uint32_t i)
{
	return (union netif_tx_sring_entry *)((char *)txs + offsetof(struct netif_tx_sring, ring)) +
	       (i & 255);
}

static union netif_rx_sring_entry *rxe(uint32_t i)
{
	return (union netif_rx_sring_entry *)((char *)rxs + offsetof(struct netif_rx_sring, ring)) +
	       (i & 255);
}

static void reset(bool sg)
{
	memset(txs, 0, 4096);
	memset(rxs, 0, 4096);
	txs->req_event = txs->rsp_event = 1;
	rxs->req_event = rxs->rsp_event = 1;
	tx_prod = rx_prod = 0;
	nb_ring_init(&r, txs, rxs, sg);
}

static void put_req(uint32_t gref, uint16_t off, uint16_t flags, uint16_t id, uint16_t size)
{
	txe(tx_prod++)->req = (struct netif_tx_request){gref, off, flags, id, size};
}

static void put_extra(uint8_t type, uint8_t flags, uint16_t gso_size, uint8_t gso_type)
{
	struct netif_extra_info e = {.type = type, .flags = flags};
	e.u.gso.size = gso_size;
	e.u.gso.type = gso_type;
	memcpy(&txe(tx_prod++)->req, &e, sizeof(e));
}

static void publish(void)
{
	txs->req_prod = tx_prod;
}

static void test_single(void)
{
	struct nb_tx_pkt p;
	reset(false);
	is_int(nb_tx_next(&r, &p), 0, "empty ring: nothing pending");
	put_req(5, 100, NETTXF_csum_blank, 7, 60);
	publish();
	is_int(nb_tx_next(&r, &p), 1, "one-slot packet parsed");
	ok(p.nseg == 1 && p.seg[0].gref == 5 && p.seg[0].offset == 100 && p.seg[0].len == 60,
	   "its segment: gref 5, offset 100, 60 bytes");
	ok(p.len == 60 && p.nslots == 1 && (p.flags & NETTXF_csum_blank) && p.status == 0,
	   "length, slots, csum_blank flag, status OK");
	is_int(nb_tx_next(&r, &p), 0, "then nothing pending");
	nb_tx_respond(&r, &p, NETIF_RSP_OKAY);
	ok(nb_tx_push(&r), "push notifies (rsp_event 1)");
	ok(txs->rsp_prod == 1 && txe(0)->rsp.id == 7 && txe(0)->rsp.status == 0,
	   "response in slot 0: id 7, OKAY");
	ok(!nb_tx_push(&r), "nothing new: no notification");
}

static void test_chain(void)
{
	struct nb_tx_pkt p;
	reset(false);
	/* 3000 bytes: 1000 in the first slot, then 1500 and 500. */
	put_req(1, 3000, NETTXF_more_data, 10, 3000);
	put_req(2, 0, NETTXF_more_data, 11, 1500);
	put_req(3, 96, 0, 12, 500);
	publish();
	is_int(nb_tx_next(&r, &p), 1, "three-slot chain parsed");
	ok(p.nseg == 3 && p.nslots == 3 && p.len == 3000, "3 segments, 3 slots, 3000 bytes");
	ok(p.seg[0].len == 1000 && p.seg[1].len == 1500 && p.seg[2].len == 500 &&
	   p.seg[2].offset == 96 && p.seg[1].gref == 2,
	   "the first slot keeps what the others leave");
	nb_tx_respond(&r, &p, NETIF_RSP_OKAY);
	nb_tx_push(&r);
	ok(txe(0)->rsp.id == 10 && txe(1)->rsp.id == 11 && txe(2)->rsp.id == 12 &&
	   txs->rsp_prod == 3, "a response per slot, with its id");
}

static void test_extras(void)
{
	struct nb_tx_pkt p;
	reset(false);
	put_req(1, 0, NETTXF_extra_info | NETTXF_more_data | NETTXF_csum_blank, 20, 5000);
	put_extra(XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE, 1448,
		  XEN_NETIF_GSO_TYPE_TCPV4);
	put_extra(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, 0, 0);
	put_req(2, 0, 0, 21, 1000);
	publish();
	is_int(nb_tx_next(&r, &p), 1, "GSO packet with two extras parsed");
	ok(p.nslots == 4 && p.nseg == 2 && p.gso_size == 1448 && p.len == 5000 &&
	   p.seg[0].len == 4000 && p.seg[1].len == 1000, "extras skipped, GSO size kept");
	nb_tx_respond(&r, &p, NETIF_RSP_OKAY);
	nb_tx_push(&r);
	ok(txe(0)->rsp.id == 20 && txe(0)->rsp.status == 0 &&
	   txe(1)->rsp.status == NETIF_RSP_NULL && txe(2)->rsp.status == NETIF_RSP_NULL &&
	   txe(3)->rsp.id == 21 && txe(3)->rsp.status == 0, "extras answered NETIF_RSP_NULL");

	reset(false);
	put_req(1, 0, NETTXF_extra_info, 1, 100);
	put_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, 7);
	put_req(2, 0, 0, 2, 100);
	publish();
	is_int(nb_tx_next(&r, &p), 1, "bad GSO type: parsed");
	ok(p.status == NETIF_RSP_ERROR && p.nseg == 0 && p.nslots == 2, "answered with an error");
	is_int(nb_tx_next(&r, &p), 1, "the ring stays in step");
	ok(p.ids[0] == 2 && p.status == 0, "the next packet is fine");
}

static void test_errors(void)
{
	struct nb_tx_pkt p;
	reset(false);
	put_req(1, 0, NETTXF_more_data, 1, 100); /* says 100, chain holds 200 */
	put_req(2, 0, 0, 2, 200);
	put_req(3, 0, 0, 3, 10); /* a runt */
	put_req(4, 0, 0, 4, 64);
	publish();
	is_int(nb_tx_next(&r, &p), 1, "chain longer than its first slot says");
	ok(p.status == NETIF_RSP_ERROR && p.nslots == 2 && p.nseg == 0, "answered with an error");
	is_int(nb_tx_next(&r, &p), 1, "runt");
	ok(p.status == NETIF_RSP_ERROR && p.nslots == 1, "answered with an error");
	is_int(nb_tx_next(&r, &p), 1, "then a good packet");
	ok(p.status == 0 && p.ids[0] == 4 && !r.why, "ring not broken");
}

/* Each case: a fresh ring, the requests, and the expected break. */
static void expect_broken(const char *what)
{
	struct nb_tx_pkt p;
	is_int(nb_tx_next(&r, &p), -EPROTO, "%s: ring broken", what);
	ok(r.why != NULL, "%s: reason '%s'", what, r.why ? r.why : "");
	is_int(nb_tx_next(&r, &p), -EPROTO, "%s: stays broken", what);
	uint32_t before = txs->rsp_prod;
	nb_tx_respond(&r, &p, 0);
	ok(!nb_tx_push(&r) && txs->rsp_prod == before, "%s: nothing answered", what);
}

static void test_broken(void)
{
	reset(false);
	txs->req_prod = 257;
	expect_broken("req_prod a ring ahead");

	reset(false);
	put_req(1, 0, 0, 1, 64);
	publish();
	struct nb_tx_pkt p;
	nb_tx_next(&r, &p);
	txs->req_prod = 0;
	expect_broken("req_prod moved back");

	reset(false);
	put_req(1, 0, NETTXF_more_data, 1, 200);
	publish();
	expect_broken("chain past req_prod");

	reset(false);
	put_req(1, 0, NETTXF_more_data, 1, 19 * 10);
	for (int i = 0; i < 18; i++)
		put_req(1, 0, i < 17 ? NETTXF_more_data : 0, (uint16_t)(2 + i), 10);
	publish();
	expect_broken("19 slots");

	reset(false);
	put_req(1, 0, NETTXF_more_data, 1, 18 * 10);
	for (int i = 0; i < 17; i++)
		put_req(1, 0, i < 16 ? NETTXF_more_data : 0, (uint16_t)(2 + i), 10);
	publish();
	is_int(nb_tx_next(&r, &p), 1, "18 slots: fine");
	is_int(p.nseg, 18, "18 segments");

	reset(false);
	put_req(1, 4000, 0, 1, 200);
	publish();
	expect_broken("first slot crosses its page");

	reset(false);
	put_req(1, 0, NETTXF_more_data, 1, 300);
	put_req(1, 4000, 0, 2, 100);
	publish();
	expect_broken("second slot crosses its page");

	reset(false);
	put_req(1, 0, NETTXF_extra_info, 1, 100);
	put_extra(0, 0, 0, 0);
	publish();
	expect_broken("extra of type none");

	reset(false);
	put_req(1, 0, NETTXF_extra_info, 1, 100);
	put_extra(XEN_NETIF_EXTRA_TYPE_MAX, 0, 0, 0);
	publish();
	expect_broken("extra of an unknown type");

	reset(false);
	put_req(1, 0, NETTXF_extra_info, 1, 100);
	for (int i = 0; i < 5; i++)
		put_extra(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
	put_req(1, 0, 0, 1, 100);
	publish();
	expect_broken("five extras");

	reset(false);
	put_req(1, 0, NETTXF_extra_info, 1, 100);
	put_extra(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
	publish();
	expect_broken("extras past req_prod");
}

/* 1000 packets of 1-3 slots through the 256-slot ring: indices wrap. */
static void test_wrap(void)
{
	struct nb_tx_pkt p;
	int good = 0;
	reset(false);
	for (uint16_t n = 0; n < 1000; n++) {
		uint16_t slots = (uint16_t)(1 + n % 3);
		put_req(n, 0, slots > 1 ? NETTXF_more_data : 0, n, (uint16_t)(100 * slots));
		for (uint16_t k = 1; k < slots; k++)
			put_req(n, 0, k + 1 < slots ? NETTXF_more_data : 0, n, 100);
		publish();
		if (nb_tx_next(&r, &p) == 1 && p.nseg == slots && p.len == 100u * slots &&
		    p.ids[0] == n)
			good++;
		nb_tx_respond(&r, &p, NETIF_RSP_OKAY);
		nb_tx_push(&r);
		if (nb_tx_next(&r, &p) != 0)
			break;
	}
	is_int(good, 1000, "1000 packets across wraps");
	is_int(txs->rsp_prod, tx_prod, "all answered");
}

static void test_final_check(void)
{
	reset(false);
	ok(!nb_tx_final_check(&r), "idle: nothing pending");
	is_int(txs->req_event, 1, "req_event asks for the next request");
	put_req(1, 0, 0, 1, 64);
	publish();
	ok(nb_tx_final_check(&r), "a request arrived: pending");
}

static void post_rx(uint16_t id, uint32_t gref)
{
	rxe(rx_prod++)->req = (struct netif_rx_request){.id = id, .gref = gref};
	rxs->req_prod = rx_prod;
}

static void test_rx(void)
{
	struct nb_rx_pkt p;
	reset(false);
	is_int(nb_rx_take(&r, 1500, &p), -EAGAIN, "no buffers posted: EAGAIN");
	for (uint16_t i = 0; i < 4; i++)
		post_rx((uint16_t)(100 + i), 50u + i);
	is_int(nb_rx_pending(&r), 4, "4 buffers pending");
	is_int(nb_rx_take(&r, 0, &p), -EINVAL, "empty packet refused");
	is_int(nb_rx_take(&r, 70000, &p), -EINVAL, "oversized packet refused");
	is_int(nb_rx_take(&r, 5000, &p), -EMSGSIZE, "two slots without feature-sg: EMSGSIZE");
	is_int(nb_rx_take(&r, 1500, &p), 0, "1500 bytes take one buffer");
	ok(p.nseg == 1 && p.seg[0].gref == 50 && p.seg[0].len == 1500 && p.ids[0] == 100,
	   "its gref and id");
	nb_rx_respond(&r, &p, true);
	ok(nb_rx_push(&r), "push notifies");
	ok(rxe(0)->rsp.id == 100 && rxe(0)->rsp.status == 1500 && rxe(0)->rsp.offset == 0 &&
	   rxe(0)->rsp.flags == NETRXF_data_validated, "answered in the request's slot");
	is_int(nb_rx_take(&r, 60, &p), 0, "a second packet");
	nb_rx_respond(&r, &p, false);
	nb_rx_push(&r);
	ok(rxe(1)->rsp.id == 101 && rxe(1)->rsp.status == NETIF_RSP_ERROR, "failed copy: error");

	reset(true);
	for (uint16_t i = 0; i < 2; i++)
		post_rx(i, i);
	is_int(nb_rx_take(&r, 9000, &p), -EAGAIN, "three slots, two posted: EAGAIN");
	is_int(nb_rx_take(&r, 5000, &p), 0, "with feature-sg: two slots");
	ok(p.nseg == 2 && p.seg[0].len == 4096 && p.seg[1].len == 904, "split at the page");
	nb_rx_respond(&r, &p, true);
	nb_rx_push(&r);
	ok(rxe(0)->rsp.flags == (NETRXF_more_data | NETRXF_data_validated) &&
	   rxe(1)->rsp.flags == 0 && rxe(1)->rsp.status == 904, "more_data on the first");

	reset(true);
	rxs->req_prod = 300;
	is_int(nb_rx_take(&r, 60, &p), -EPROTO, "rx req_prod a ring ahead: broken");
	ok(r.why != NULL, "reason given");
}

/* A new backend (sporenet restarted) picks up where the last one answered. */
static void test_resume(void)
{
	struct nb_tx_pkt p;
	reset(false);
	txs->req_prod = txs->rsp_prod = 0xfffffff0u;
	rxs->req_prod = rxs->rsp_prod = 0x1234;
	tx_prod = 0xfffffff0u;
	nb_ring_init(&r, txs, rxs, false);
	is_int(nb_tx_next(&r, &p), 0, "resumed: nothing pending");
	for (int i = 0; i < 32; i++)
		put_req(1, 0, 0, (uint16_t)i, 64);
	publish();
	int n = 0;
	while (nb_tx_next(&r, &p) == 1) {
		nb_tx_respond(&r, &p, 0);
		n++;
	}
	nb_tx_push(&r);
	ok(n == 32 && txs->rsp_prod == 0x10u, "32 packets across the index's wrap");
	is_int(nb_rx_pending(&r), 0, "rx resumed at the old rsp_prod");
}

int main(void)
{
	txs = aligned_alloc(4096, 4096);
	rxs = aligned_alloc(4096, 4096);
	test_single();
	test_chain();
	test_extras();
	test_errors();
	test_broken();
	test_wrap();
	test_final_check();
	test_rx();
	test_resume();
	free(txs);
	free(rxs);
	return tap_done();
}

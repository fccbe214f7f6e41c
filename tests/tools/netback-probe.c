/* The userspace netback's device layer (network/netback/xendev.c) against
 * the real hypervisor, with no guest: dom0 grants pages to itself through
 * /dev/xen/gntalloc and offers itself an unbound event channel, and the
 * layer maps, copies (in one batch larger than the kernel's 16 per
 * hypercall, one segment with a bad grant), binds, notifies and unmaps.
 * Prints TAP lines without a plan (the e2e suite counts them). Run as root
 * in dom0. */
#include "net_xendev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/sys/evtchn.h>
#include <xen/sys/gntalloc.h>
#include <xen/sys/gntdev.h>

#define NPAGES 2
#define NSEG 40

static int failed;

static void tap(int cond, const char *what, const char *why)
{
	printf("%s - netback devices: %s%s%s\n", cond ? "ok" : "not ok", what, why ? ": " : "",
	       why ? why : "");
	failed |= !cond;
}

int main(void)
{
	struct spore_err err = {0};
	struct nb_xendev x;
	static uint8_t local[NSEG][100];

	int ga = open("/dev/xen/gntalloc", O_RDWR | O_CLOEXEC);
	if (ga < 0) {
		printf("not ok - netback devices: open /dev/xen/gntalloc: %s\n", strerror(errno));
		return 1;
	}
	struct {
		struct ioctl_gntalloc_alloc_gref a;
		uint32_t more[NPAGES];
	} al = {.a = {.domid = 0, .flags = GNTALLOC_FLAG_WRITABLE, .count = NPAGES}};
	if (ioctl(ga, IOCTL_GNTALLOC_ALLOC_GREF, &al) < 0) {
		printf("not ok - netback devices: gntalloc: %s\n", strerror(errno));
		return 1;
	}
	uint8_t *mine = mmap(NULL, NPAGES * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ga,
			     (off_t)al.a.index);
	if (mine == MAP_FAILED) {
		printf("not ok - netback devices: mmap gntalloc: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < NPAGES * 4096; i++)
		mine[i] = (uint8_t)(i * 7 + 3);
	/* The refs follow the struct's one-element array. */
	const uint32_t *ids = (const uint32_t *)((const char *)&al +
						 offsetof(struct ioctl_gntalloc_alloc_gref, gref_ids));
	uint32_t ref0 = ids[0], ref1 = ids[1];

	int r = nb_xendev_open(&x, 0, &err);
	tap(r == 0, "open gntdev and evtchn", r ? err.msg : NULL);
	if (r < 0)
		return 1;

	void *page = NULL;
	uint64_t index = 0;
	r = nb_xendev_map(&x, ref0, &page, &index, &err);
	tap(r == 0, "map one grant", r ? err.msg : NULL);
	if (r == 0) {
		tap(memcmp(page, mine, 4096) == 0, "the mapping shows the granted page", NULL);
		((uint8_t *)page)[123] = 0x5a;
		tap(mine[123] == 0x5a, "a write through the mapping reaches the page", NULL);
	}

	/* NSEG segments of 100 bytes from page 1, at offsets 0, 100, ..., one
	 * of them naming a grant that does not exist. */
	struct ioctl_gntdev_grant_copy_segment seg[NSEG];
	for (int i = 0; i < NSEG; i++) {
		struct nb_seg g = {.gref = i == 7 ? 0xfffff : ref1, .offset = (uint16_t)(i * 100),
				   .len = 100};
		nb_copy_from_guest(&seg[i], 0, &g, local[i]);
	}
	r = nb_xendev_copy(&x, seg, NSEG, &err);
	tap(r == 0, "grant copy of 40 segments from the guest in one call", r ? err.msg : NULL);
	int good = 0;
	for (int i = 0; i < NSEG; i++)
		if (i != 7 && seg[i].status == GNTST_okay &&
		    memcmp(local[i], mine + 4096 + i * 100, 100) == 0)
			good++;
	tap(good == NSEG - 1, "39 good segments copied", NULL);
	tap(seg[7].status != GNTST_okay, "the bad grant fails its segment alone", NULL);

	memset(local[0], 0xee, 100);
	struct nb_seg g = {.gref = ref1, .offset = 3996, .len = 100};
	nb_copy_to_guest(&seg[0], 0, &g, local[0]);
	r = nb_xendev_copy(&x, seg, 1, &err);
	tap(r == 0 && seg[0].status == GNTST_okay && mine[4096 + 3996] == 0xee &&
		    mine[4096 + 4095] == 0xee,
	    "grant copy to the guest, up to its page's end", r ? err.msg : NULL);

	/* The "guest" side of the channel: another evtchn fd offers a port. */
	int e2 = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	struct ioctl_evtchn_bind_unbound_port ub = {.remote_domain = 0};
	int gport = e2 >= 0 ? ioctl(e2, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &ub) : -1;
	tap(gport > 0, "an unbound port to bind", gport > 0 ? NULL : strerror(errno));
	if (gport > 0) {
		r = nb_xendev_bind(&x, (uint32_t)gport, &err);
		tap(r == 0, "bind it interdomain", r ? err.msg : NULL);
		tap(nb_xendev_notify(&x) == 0, "notify", NULL);
		struct pollfd p = {.fd = e2, .events = POLLIN};
		uint32_t got = 0;
		tap(poll(&p, 1, 5000) == 1 && read(e2, &got, 4) == 4 && got == (uint32_t)gport,
		    "the other end sees the event", NULL);
		write(e2, &got, 4);
		struct ioctl_evtchn_notify n = {.port = (unsigned)gport};
		/* Xen raises an event on a port it has just bound (so that no
		 * kick sent before is lost): taken here, then none is left. */
		p.fd = x.evt;
		tap(poll(&p, 1, 5000) == 1 && nb_xendev_events(&x) == 1,
		    "binding raised one event on our port", NULL);
		tap(nb_xendev_events(&x) == 0, "no event pending before the other end kicks", NULL);
		ioctl(e2, IOCTL_EVTCHN_NOTIFY, &n);
		tap(poll(&p, 1, 5000) == 1 && nb_xendev_events(&x) == 1,
		    "its kick arrives, taken and unmasked", NULL);
		ioctl(e2, IOCTL_EVTCHN_NOTIFY, &n);
		tap(poll(&p, 1, 5000) == 1 && nb_xendev_events(&x) == 1,
		    "and the next one (the port was unmasked)", NULL);
	}

	nb_xendev_unmap(&x, page, index);
	nb_xendev_close(&x);
	struct ioctl_gntalloc_dealloc_gref d = {.index = al.a.index, .count = NPAGES};
	munmap(mine, NPAGES * 4096);
	r = ioctl(ga, IOCTL_GNTALLOC_DEALLOC_GREF, &d);
	tap(r == 0, "the grants are released once unmapped", r ? strerror(errno) : NULL);
	close(ga);
	if (e2 >= 0)
		close(e2);
	return failed;
}

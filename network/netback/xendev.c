/* gntdev and evtchn for one guest; see net_xendev.h. */
#include "net_xendev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
/* The Xen headers do not include what their types need. */
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/sys/evtchn.h>
#include <xen/sys/gntdev.h>

#define GNTDEV_PATH "/dev/xen/gntdev"
#define EVTCHN_PATH "/dev/xen/evtchn"
#define NO_PORT UINT32_MAX

int nb_xendev_open(struct nb_xendev *x, uint32_t domid, struct spore_err *err)
{
	int r = 0;
	*x = (struct nb_xendev){.gnt = -1, .evt = -1, .domid = domid, .port = NO_PORT};

	if (domid >= DOMID_FIRST_RESERVED)
		return spore_err_setx(err, EINVAL, "domain %u cannot be a netfront", domid);
	x->gnt = open(GNTDEV_PATH, O_RDWR | O_CLOEXEC);
	if (x->gnt < 0) {
		r = spore_err_set(err, errno, "open %s", GNTDEV_PATH);
		goto out;
	}
	x->evt = open(EVTCHN_PATH, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (x->evt < 0) {
		r = spore_err_set(err, errno, "open %s", EVTCHN_PATH);
		goto out;
	}
	/* Binding to any other domain then fails: a compromised worker
	 * reaches only its own guest's channels. Older kernels lack it; dom0
	 * itself (the device test's loop) cannot be named. */
	struct ioctl_evtchn_restrict_domid rd = {.domid = (domid_t)domid};
	if (domid && ioctl(x->evt, IOCTL_EVTCHN_RESTRICT_DOMID, &rd) < 0 && errno != ENOTTY) {
		r = spore_err_set(err, errno, "restrict %s to domain %u", EVTCHN_PATH, domid);
		goto out;
	}
out:
	if (r < 0)
		nb_xendev_close(x);
	return r;
}

void nb_xendev_close(struct nb_xendev *x)
{
	if (x->evt >= 0 && x->port != NO_PORT) {
		struct ioctl_evtchn_unbind u = {.port = x->port};
		ioctl(x->evt, IOCTL_EVTCHN_UNBIND, &u);
	}
	if (x->evt >= 0)
		close(x->evt);
	if (x->gnt >= 0)
		close(x->gnt);
	x->evt = x->gnt = -1;
	x->port = NO_PORT;
}

int nb_xendev_map(struct nb_xendev *x, uint32_t gref, void **page, uint64_t *index,
		  struct spore_err *err)
{
	struct ioctl_gntdev_map_grant_ref m = {.count = 1};
	int r = 0;

	*page = NULL;
	m.refs[0] = (struct ioctl_gntdev_grant_ref){.domid = x->domid, .ref = gref};
	if (ioctl(x->gnt, IOCTL_GNTDEV_MAP_GRANT_REF, &m) < 0)
		return spore_err_set(err, errno, "grant %u of domain %u: map", gref, x->domid);
	/* The grant is mapped into our address space only here; a bad ref
	 * fails here too. */
	void *p = mmap(NULL, NB_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, x->gnt,
		       (off_t)m.index);
	if (p == MAP_FAILED) {
		r = spore_err_set(err, errno, "grant %u of domain %u: mmap", gref, x->domid);
		struct ioctl_gntdev_unmap_grant_ref u = {.index = m.index, .count = 1};
		ioctl(x->gnt, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
	} else {
		*page = p;
		*index = m.index;
	}
	return r;
}

void nb_xendev_unmap(struct nb_xendev *x, void *page, uint64_t index)
{
	if (!page)
		return;
	munmap(page, NB_PAGE_SIZE);
	struct ioctl_gntdev_unmap_grant_ref u = {.index = index, .count = 1};
	ioctl(x->gnt, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
}

int nb_xendev_bind(struct nb_xendev *x, uint32_t remote_port, struct spore_err *err)
{
	struct ioctl_evtchn_bind_interdomain b = {.remote_domain = x->domid,
						  .remote_port = remote_port};
	int r = ioctl(x->evt, IOCTL_EVTCHN_BIND_INTERDOMAIN, &b);
	if (r < 0)
		return spore_err_set(err, errno, "bind event channel %u of domain %u", remote_port,
				     x->domid);
	x->port = (uint32_t)r;
	return 0;
}

int nb_xendev_notify(struct nb_xendev *x)
{
	struct ioctl_evtchn_notify n = {.port = x->port};
	return ioctl(x->evt, IOCTL_EVTCHN_NOTIFY, &n) < 0 ? -errno : 0;
}

int nb_xendev_events(struct nb_xendev *x)
{
	uint32_t ports[16];
	int n = 0;

	for (;;) {
		ssize_t got = read(x->evt, ports, sizeof(ports));
		if (got < 0 && errno == EFBIG) {
			/* The kernel's event ring overflowed: start afresh (all
			 * our ports unmasked) and treat it as an event. */
			ioctl(x->evt, IOCTL_EVTCHN_RESET, NULL);
			n++;
			continue;
		}
		if (got <= 0)
			break;
		n += (int)((size_t)got / sizeof(ports[0]));
	}
	/* A delivered port stays masked until written back (XSA-332). */
	if (n > 0 && x->port != NO_PORT)
		if (write(x->evt, &x->port, sizeof(x->port)) < 0)
			return -errno;
	return n;
}

void nb_copy_from_guest(struct ioctl_gntdev_grant_copy_segment *s, uint32_t domid,
			const struct nb_seg *g, void *dst)
{
	memset(s, 0, sizeof(*s));
	s->source.foreign.ref = g->gref;
	s->source.foreign.offset = g->offset;
	s->source.foreign.domid = (uint16_t)domid;
	s->dest.virt = dst;
	s->len = g->len;
	s->flags = GNTCOPY_source_gref;
}

void nb_copy_to_guest(struct ioctl_gntdev_grant_copy_segment *s, uint32_t domid,
		      const struct nb_seg *g, const void *src)
{
	memset(s, 0, sizeof(*s));
	s->source.virt = (void *)src;
	s->dest.foreign.ref = g->gref;
	s->dest.foreign.offset = g->offset;
	s->dest.foreign.domid = (uint16_t)domid;
	s->len = g->len;
	s->flags = GNTCOPY_dest_gref;
}

int nb_xendev_copy(struct nb_xendev *x, struct ioctl_gntdev_grant_copy_segment *s, unsigned n,
		   struct spore_err *err)
{
	struct ioctl_gntdev_grant_copy c = {.count = n, .segments = s};
	if (n == 0)
		return 0;
	if (ioctl(x->gnt, IOCTL_GNTDEV_GRANT_COPY, &c) < 0)
		return spore_err_set(err, errno, "grant copy of %u segments with domain %u", n,
				     x->domid);
	return 0;
}

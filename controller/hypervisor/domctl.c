/* Typed hypercall wrappers. See domctl.h. */
#include "hypercall.h"
#include "domctl.h"
#include <spore/log.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xen/event_channel.h>
#include <xen/memory.h>
#include <xen/version.h>

/* Structures whose layout we depend on, checked against the headers. */
_Static_assert(sizeof(struct xen_domctl) == 144, "xen_domctl size");
_Static_assert(offsetof(struct xen_domctl, u) == 16, "xen_domctl union offset");
_Static_assert(sizeof(struct xen_domctl_getdomaininfo) == 112, "getdomaininfo size");
_Static_assert(sizeof(struct xen_sysctl) == 136, "xen_sysctl size");
_Static_assert(sizeof(struct spore_e820) == 20, "e820 entry is packed to 20 bytes");
_Static_assert(sizeof(vcpu_guest_context_t) == 5168, "vcpu_guest_context size");

/* Xen 4.19 (domctl interface 0x17) inserted altp2m_opts after grant_opts,
 * moving the tail of createdomain; everything else we use is unchanged. */
struct createdomain_v17 {
	uint32_t ssidref;
	xen_domain_handle_t handle;
	uint32_t flags;
	uint32_t iommu_opts;
	uint32_t max_vcpus;
	uint32_t max_evtchn_port;
	int32_t max_grant_frames;
	int32_t max_maptrack_frames;
	uint32_t grant_opts;
	uint32_t altp2m_opts;
	uint32_t vmtrace_size;
	uint32_t cpupool_id;
	struct xen_arch_domainconfig arch;
};
_Static_assert(offsetof(struct xen_domctl_createdomain, max_grant_frames) == 36,
	       "4.17 createdomain layout");
_Static_assert(offsetof(struct xen_domctl_createdomain, arch) == 56, "4.17 createdomain arch");
_Static_assert(offsetof(struct xen_domctl_createdomain, max_vcpus) == 28 &&
		       offsetof(struct xen_domctl_createdomain, grant_opts) == 44 &&
		       sizeof(struct xen_domctl_createdomain) == 64,
	       "4.17 createdomain fields");
_Static_assert(XENMEM_populate_physmap == 6, "populate_physmap is memory op 6");
_Static_assert(offsetof(struct createdomain_v17, arch) == 60, "4.19 createdomain arch");
_Static_assert(sizeof(struct createdomain_v17) <= sizeof(((struct xen_domctl *)0)->u),
	       "4.19 createdomain fits the union");

/* The code a failed call left in err (which may be NULL). */
static int errcode(const struct spore_err *err)
{
	return err && err->code ? -err->code : -ENOMEM;
}

static int check_domid(uint32_t domid, struct spore_err *err)
{
	if (domid >= DOMID_FIRST_RESERVED)
		return spore_err_setx(err, EINVAL, "%u is not a valid domain id (0..%u)", domid,
				      DOMID_FIRST_RESERVED - 1);
	return 0;
}

static int simple_domctl(struct spore_xc *xc, uint32_t cmd, uint32_t domid,
			 struct spore_err *err)
{
	struct xen_domctl d = {.cmd = cmd, .domain = (domid_t)domid};
	int r = check_domid(domid, err);
	return r < 0 ? r : spore_xc_domctl(xc, &d, err);
}

int spore_xc_domain_create(struct spore_xc *xc, uint32_t *domid,
			   const struct spore_domain_config *cfg, struct spore_err *err)
{
	struct xen_domctl d = {.cmd = XEN_DOMCTL_createdomain, .domain = (domid_t)*domid};
	uint32_t evtchn = cfg->max_evtchn_port ? cfg->max_evtchn_port : 1023;
	int32_t gframes = cfg->max_grant_frames ? cfg->max_grant_frames : -1;
	int32_t mframes = cfg->max_maptrack_frames ? cfg->max_maptrack_frames : -1;
	uint32_t gopts = XEN_DOMCTL_GRANT_version(cfg->grant_version ? cfg->grant_version : 1);

	if (*domid && check_domid(*domid, err) < 0)
		return -EINVAL;
	if (spore_xc_version(xc)->domctl_iv >= 0x17) {
		struct createdomain_v17 c = {
			.flags = cfg->flags,
			.max_vcpus = cfg->max_vcpus,
			.max_evtchn_port = evtchn,
			.max_grant_frames = gframes,
			.max_maptrack_frames = mframes,
			.grant_opts = gopts,
		};
		memcpy(c.handle, cfg->handle, sizeof(c.handle));
		memcpy(&d.u, &c, sizeof(c));
	} else {
		struct xen_domctl_createdomain *c = &d.u.createdomain;
		c->flags = cfg->flags;
		c->max_vcpus = cfg->max_vcpus;
		c->max_evtchn_port = evtchn;
		c->max_grant_frames = gframes;
		c->max_maptrack_frames = mframes;
		c->grant_opts = gopts;
		memcpy(c->handle, cfg->handle, sizeof(c->handle));
	}
	int r = spore_xc_domctl(xc, &d, err);
	if (r < 0)
		return r;
	*domid = d.domain;
	log_debug("created domain %u", *domid);
	return 0;
}

int spore_xc_domain_max_vcpus(struct spore_xc *xc, uint32_t domid, uint32_t max,
			      struct spore_err *err)
{
	struct xen_domctl d = {.cmd = XEN_DOMCTL_max_vcpus, .domain = (domid_t)domid};
	d.u.max_vcpus.max = max;
	return spore_xc_domctl(xc, &d, err);
}

int spore_xc_domain_max_mem(struct spore_xc *xc, uint32_t domid, uint64_t max_kb,
			    struct spore_err *err)
{
	struct xen_domctl d = {.cmd = XEN_DOMCTL_max_mem, .domain = (domid_t)domid};
	d.u.max_mem.max_memkb = max_kb;
	return spore_xc_domctl(xc, &d, err);
}

int spore_xc_domain_unpause(struct spore_xc *xc, uint32_t domid, struct spore_err *err)
{
	return simple_domctl(xc, XEN_DOMCTL_unpausedomain, domid, err);
}

int spore_xc_domain_destroy(struct spore_xc *xc, uint32_t domid, struct spore_err *err)
{
	/* Tearing down a large domain is preemptible; Xen may ask us to call
	 * again with EAGAIN. */
	for (int i = 0;; i++) {
		int r = simple_domctl(xc, XEN_DOMCTL_destroydomain, domid, err);
		if (r != -EAGAIN || i >= 10000)
			return r;
		spore_err_clear(err);
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
}

static void info_from(struct spore_dominfo *o, const struct xen_domctl_getdomaininfo *i)
{
	o->domid = i->domain;
	o->flags = i->flags;
	o->tot_pages = i->tot_pages;
	o->max_pages = i->max_pages;
	o->shared_info_frame = i->shared_info_frame;
	o->cpu_time_ns = i->cpu_time;
	o->nr_online_vcpus = i->nr_online_vcpus;
	o->max_vcpu_id = i->max_vcpu_id;
	memcpy(o->handle, i->handle, sizeof(o->handle));
}

int spore_xc_domain_getinfo(struct spore_xc *xc, uint32_t domid, struct spore_dominfo *info,
			    struct spore_err *err)
{
	struct xen_domctl d = {.cmd = XEN_DOMCTL_getdomaininfo, .domain = (domid_t)domid};
	int r = check_domid(domid, err);
	if (r < 0)
		return r;
	r = spore_xc_domctl(xc, &d, err);
	/* 4.17 answers with the next existing domain when domid is free. */
	if (r == -ESRCH || (r == 0 && d.u.getdomaininfo.domain != domid))
		return spore_err_setx(err, ESRCH, "domain %u does not exist", domid);
	if (r < 0)
		return r;
	info_from(info, &d.u.getdomaininfo);
	return 0;
}

int spore_xc_domain_getinfolist(struct spore_xc *xc, uint32_t first, struct spore_dominfo *out,
				size_t max, struct spore_err *err)
{
	struct xen_sysctl s = {.cmd = XEN_SYSCTL_getdomaininfolist};
	int r = check_domid(first, err);

	if (r < 0)
		return r;
	if (max == 0)
		return 0;
	if (max > DOMID_FIRST_RESERVED)
		max = DOMID_FIRST_RESERVED;
	size_t len = max * sizeof(struct xen_domctl_getdomaininfo);
	struct xen_domctl_getdomaininfo *buf = spore_xc_buf_alloc(xc, len, err);
	if (!buf)
		return errcode(err);
	s.u.getdomaininfolist.first_domain = (domid_t)first;
	s.u.getdomaininfolist.max_domains = (uint32_t)max;
	set_xen_guest_handle(s.u.getdomaininfolist.buffer, buf);
	r = spore_xc_sysctl(xc, &s, err);
	if (r == 0) {
		r = (int)s.u.getdomaininfolist.num_domains;
		if ((size_t)r > max)
			r = (int)max;
		for (int i = 0; i < r; i++)
			info_from(&out[i], &buf[i]);
	} else {
		spore_err_wrap(err, "listing domains");
	}
	spore_xc_buf_free(xc, buf, len);
	return r;
}

int spore_xc_vcpu_setcontext(struct spore_xc *xc, uint32_t domid, uint32_t vcpu,
			     const vcpu_guest_context_t *ctx, struct spore_err *err)
{
	struct xen_domctl d = {.cmd = XEN_DOMCTL_setvcpucontext, .domain = (domid_t)domid};
	/* 5168 bytes: two pages of hypercall-safe memory. */
	vcpu_guest_context_t *buf = spore_xc_buf_alloc(xc, sizeof(*buf), err);

	if (!buf)
		return errcode(err);
	memcpy(buf, ctx, sizeof(*buf));
	d.u.vcpucontext.vcpu = vcpu;
	set_xen_guest_handle(d.u.vcpucontext.ctxt, buf);
	int r = spore_xc_domctl(xc, &d, err);
	spore_xc_buf_free(xc, buf, sizeof(*buf));
	return r;
}

int spore_xc_hypercall_init(struct spore_xc *xc, uint32_t domid, uint64_t gmfn,
			    struct spore_err *err)
{
	struct xen_domctl d = {.cmd = XEN_DOMCTL_hypercall_init, .domain = (domid_t)domid};
	d.u.hypercall_init.gmfn = gmfn;
	return spore_xc_domctl(xc, &d, err);
}

int spore_xc_physinfo(struct spore_xc *xc, struct spore_physinfo *pi, struct spore_err *err)
{
	struct xen_sysctl s = {.cmd = XEN_SYSCTL_physinfo};
	int r = spore_xc_sysctl(xc, &s, err);
	if (r < 0)
		return spore_err_wrap(err, "physinfo");
	const struct xen_sysctl_physinfo *p = &s.u.physinfo;
	*pi = (struct spore_physinfo){
		.nr_cpus = p->nr_cpus,
		.threads_per_core = p->threads_per_core,
		.cores_per_socket = p->cores_per_socket,
		.nr_nodes = p->nr_nodes,
		.cpu_khz = p->cpu_khz,
		.capabilities = p->capabilities,
		.total_pages = p->total_pages,
		.free_pages = p->free_pages,
		.scrub_pages = p->scrub_pages,
		.outstanding_pages = p->outstanding_pages,
	};
	return 0;
}

int spore_xc_capabilities(struct spore_xc *xc, char *out, size_t n, struct spore_err *err)
{
	char *buf = spore_xc_buf_alloc(xc, sizeof(xen_capabilities_info_t), err);
	if (!buf)
		return errcode(err);
	long r = spore_xc_hypercall(xc, __HYPERVISOR_xen_version, XENVER_capabilities,
				    (uintptr_t)buf, 0, 0, 0);
	if (r >= 0 && n > 0) {
		size_t l = strnlen(buf, sizeof(xen_capabilities_info_t));
		if (l >= n)
			l = n - 1;
		memcpy(out, buf, l);
		out[l] = 0;
	}
	spore_xc_buf_free(xc, buf, sizeof(xen_capabilities_info_t));
	if (r < 0)
		return spore_err_set(err, (int)-r, "XENVER_capabilities");
	return 0;
}

long spore_xc_populate_physmap(struct spore_xc *xc, uint32_t domid, unsigned order,
			       unsigned mem_flags, xen_pfn_t *pfns, size_t n,
			       struct spore_err *err)
{
	/* Bounce through a fixed window so huge requests need no huge buffer. */
	const size_t chunk = 8192;
	size_t blen = (n < chunk ? n : chunk) * sizeof(xen_pfn_t);
	size_t done = 0;
	long r = 0;

	if (n == 0)
		return 0;
	xen_pfn_t *buf = spore_xc_buf_alloc(xc, blen, err);
	struct xen_memory_reservation *res = spore_xc_buf_alloc(xc, sizeof(*res), err);
	if (!buf || !res) {
		r = errcode(err);
		goto out;
	}
	while (done < n) {
		size_t k = n - done < chunk ? n - done : chunk;
		memcpy(buf, pfns + done, k * sizeof(*buf));
		memset(res, 0, sizeof(*res));
		set_xen_guest_handle(res->extent_start, buf);
		res->nr_extents = k;
		res->extent_order = order;
		res->mem_flags = mem_flags;
		res->domid = (domid_t)domid;
		r = spore_xc_hypercall(xc, __HYPERVISOR_memory_op, XENMEM_populate_physmap,
				       (uintptr_t)res, 0, 0, 0);
		if (r < 0) {
			spore_err_set(err, (int)-r, "populate_physmap (domain %u, order %u)",
				      domid, order);
			goto out;
		}
		memcpy(pfns + done, buf, (size_t)r * sizeof(*buf));
		done += (size_t)r;
		if ((size_t)r < k)
			break;
	}
	r = (long)done;
out:
	spore_xc_buf_free(xc, buf, blen);
	spore_xc_buf_free(xc, res, sizeof(*res));
	return r;
}

int spore_xc_set_memory_map(struct spore_xc *xc, uint32_t domid, const struct spore_e820 *map,
			    size_t n, struct spore_err *err)
{
	size_t len = n * sizeof(*map);
	struct spore_e820 *buf = spore_xc_buf_alloc(xc, len, err);
	struct xen_foreign_memory_map *fmap = spore_xc_buf_alloc(xc, sizeof(*fmap), err);
	long r;

	if (!buf || !fmap) {
		r = errcode(err);
		goto out;
	}
	memcpy(buf, map, len);
	fmap->domid = (domid_t)domid;
	fmap->map.nr_entries = (unsigned)n;
	set_xen_guest_handle(fmap->map.buffer, buf);
	r = spore_xc_hypercall(xc, __HYPERVISOR_memory_op, XENMEM_set_memory_map,
			       (uintptr_t)fmap, 0, 0, 0);
	if (r < 0)
		spore_err_set(err, (int)-r, "set_memory_map (domain %u)", domid);
out:
	spore_xc_buf_free(xc, buf, len);
	spore_xc_buf_free(xc, fmap, sizeof(*fmap));
	return r < 0 ? (int)r : 0;
}

int spore_xc_evtchn_alloc_unbound(struct spore_xc *xc, uint32_t domid, uint32_t remote,
				  struct spore_err *err)
{
	struct evtchn_alloc_unbound *op = spore_xc_buf_alloc(xc, sizeof(*op), err);
	if (!op)
		return errcode(err);
	op->dom = (domid_t)domid;
	op->remote_dom = (domid_t)remote;
	long r = spore_xc_hypercall(xc, __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
				    (uintptr_t)op, 0, 0, 0);
	int port = (int)op->port;
	spore_xc_buf_free(xc, op, sizeof(*op));
	if (r < 0)
		return spore_err_set(err, (int)-r, "evtchn alloc_unbound (domain %u)", domid);
	return port;
}

int spore_xc_pin_l4(struct spore_xc *xc, uint32_t domid, uint64_t mfn, struct spore_err *err)
{
	struct mmuext_op *op = spore_xc_buf_alloc(xc, sizeof(*op), err);
	if (!op)
		return errcode(err);
	op->cmd = MMUEXT_PIN_L4_TABLE;
	op->arg1.mfn = mfn;
	long r = spore_xc_hypercall(xc, __HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, domid, 0);
	spore_xc_buf_free(xc, op, sizeof(*op));
	if (r < 0)
		return spore_err_set(err, (int)-r, "pinning L4 table mfn %#llx (domain %u)",
				     (unsigned long long)mfn, domid);
	return 0;
}

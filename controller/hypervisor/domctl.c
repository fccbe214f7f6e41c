/* Domain control: creating, sizing, pausing, destroying and inspecting
 * domains. See domctl.h. */
#include "domctl.h"
#include "hypercall.h"
#include <spore/log.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Structures whose layout we depend on, checked against the headers. */
_Static_assert(sizeof(struct xen_domctl) == 144, "xen_domctl size");
_Static_assert(offsetof(struct xen_domctl, u) == 16, "xen_domctl union offset");
_Static_assert(sizeof(struct xen_domctl_getdomaininfo) == 112, "getdomaininfo size");
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
_Static_assert(offsetof(struct createdomain_v17, arch) == 60, "4.19 createdomain arch");
_Static_assert(sizeof(struct createdomain_v17) <= sizeof(((struct xen_domctl *)0)->u),
	       "4.19 createdomain fits the union");

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

int spore_xc_domain_sched_cap(struct spore_xc *xc, uint32_t domid, uint16_t cap_pct,
			      struct spore_err *err)
{
	static const uint32_t scheds[] = {XEN_SCHEDULER_CREDIT2, XEN_SCHEDULER_CREDIT};
	int r = check_domid(domid, err);

	/* Xen refuses a scheduler_op whose sched_id is not the domain's
	 * scheduler: getinfo finds out which one it is. */
	for (size_t i = 0; r == 0 && i < sizeof(scheds) / sizeof(scheds[0]); i++) {
		struct xen_domctl d = {.cmd = XEN_DOMCTL_scheduler_op, .domain = (domid_t)domid};
		d.u.scheduler_op.sched_id = scheds[i];
		d.u.scheduler_op.cmd = XEN_DOMCTL_SCHEDOP_getinfo;
		if (spore_xc_domctl(xc, &d, err) < 0) {
			spore_err_clear(err);
			continue;
		}
		d.u.scheduler_op.cmd = XEN_DOMCTL_SCHEDOP_putinfo;
		/* Weight 0 keeps the weight; the cap is the same field in both. */
		if (scheds[i] == XEN_SCHEDULER_CREDIT2) {
			d.u.scheduler_op.u.credit2.weight = 0;
			d.u.scheduler_op.u.credit2.cap = cap_pct;
		} else {
			d.u.scheduler_op.u.credit.weight = 0;
			d.u.scheduler_op.u.credit.cap = cap_pct;
		}
		r = spore_xc_domctl(xc, &d, err);
		return r < 0 ? spore_err_wrap(err, "capping domain %u's CPU at %u%%", domid, cap_pct) : 0;
	}
	return r < 0 ? r
		     : spore_err_setx(err, EOPNOTSUPP,
				      "capping domain %u's CPU: its scheduler is neither credit2 nor credit",
				      domid);
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
		return spore_xc_errcode(err);
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
		return spore_xc_errcode(err);
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

/* Domain control (domctl): creating, sizing, pausing, destroying and
 * inspecting domains. Each returns 0 (or a count) or -errno with err naming
 * the op and domain. The other hypercall families have their own files:
 * host_info.h (sysctl, version), guest_memory.h (memory and mmuext ops),
 * evtchn.h (event channels). */
#ifndef SPORE_DOMCTL_H
#define SPORE_DOMCTL_H

#include "hypercall.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spore_domain_config {
	uint8_t handle[16];       /* the domain's UUID */
	uint32_t flags;           /* XEN_DOMCTL_CDF_*; 0 for a PV guest */
	uint32_t max_vcpus;
	uint32_t max_evtchn_port; /* 0: 1023, libxl's default */
	int32_t max_grant_frames; /* 0: hypervisor default (-1 on the wire) */
	int32_t max_maptrack_frames;
	uint32_t grant_version;   /* 0: 1 */
};

/* What getdomaininfo reports, independent of the interface version. */
struct spore_dominfo {
	uint32_t domid;
	uint32_t flags; /* XEN_DOMINF_* */
	uint64_t tot_pages, max_pages, shared_info_frame, cpu_time_ns;
	uint32_t nr_online_vcpus, max_vcpu_id;
	uint8_t handle[16];
};

static inline bool spore_dominfo_dying(const struct spore_dominfo *i)
{
	return i->flags & XEN_DOMINF_dying;
}
static inline bool spore_dominfo_shutdown(const struct spore_dominfo *i)
{
	return i->flags & XEN_DOMINF_shutdown;
}
/* SHUTDOWN_poweroff, _reboot, _suspend, _crash, ... when shut down. */
static inline unsigned spore_dominfo_shutdown_reason(const struct spore_dominfo *i)
{
	return (i->flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
}

/* *domid: in, the wanted id or 0 for "Xen picks"; out, the new domain's.
 * The domain starts paused. */
int spore_xc_domain_create(struct spore_xc *xc, uint32_t *domid,
			   const struct spore_domain_config *cfg, struct spore_err *err);
int spore_xc_domain_max_vcpus(struct spore_xc *xc, uint32_t domid, uint32_t max,
			      struct spore_err *err);
int spore_xc_domain_max_mem(struct spore_xc *xc, uint32_t domid, uint64_t max_kb,
			    struct spore_err *err);
/* Caps the domain's CPU time at cap_pct percent of one physical CPU (docker's
 * --cpus 1.5 is 150), through whichever of credit2 or credit schedules it;
 * -EOPNOTSUPP with another scheduler. */
int spore_xc_domain_sched_cap(struct spore_xc *xc, uint32_t domid, uint16_t cap_pct,
			      struct spore_err *err);
int spore_xc_domain_unpause(struct spore_xc *xc, uint32_t domid, struct spore_err *err);
int spore_xc_domain_destroy(struct spore_xc *xc, uint32_t domid, struct spore_err *err);
/* -ESRCH if the domain does not exist (4.17 would silently report the next
 * domain instead; the wrapper checks). */
int spore_xc_domain_getinfo(struct spore_xc *xc, uint32_t domid, struct spore_dominfo *info,
			    struct spore_err *err);
/* Domains with id >= first, up to max; returns how many were stored. */
int spore_xc_domain_getinfolist(struct spore_xc *xc, uint32_t first, struct spore_dominfo *out,
				size_t max, struct spore_err *err);
int spore_xc_vcpu_setcontext(struct spore_xc *xc, uint32_t domid, uint32_t vcpu,
			     const vcpu_guest_context_t *ctx, struct spore_err *err);
int spore_xc_hypercall_init(struct spore_xc *xc, uint32_t domid, uint64_t gmfn,
			    struct spore_err *err);

#endif

/* Typed wrappers for the hypercalls the builder and lifecycle need:
 * domctls, sysctls, memory ops, mmuext ops and event-channel ops. Each
 * returns 0 (or a count) or -errno with err naming the op and domain. */
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

struct spore_physinfo {
	uint32_t nr_cpus, threads_per_core, cores_per_socket, nr_nodes, cpu_khz;
	uint32_t capabilities; /* XEN_SYSCTL_PHYSCAP_* */
	uint64_t total_pages, free_pages, scrub_pages, outstanding_pages;
};

/* One E820 entry as XENMEM_set_memory_map takes it (20 bytes, packed). */
struct spore_e820 {
	uint64_t addr, size;
	uint32_t type; /* 1 = RAM */
} __attribute__((packed));

/* *domid: in, the wanted id or 0 for "Xen picks"; out, the new domain's.
 * The domain starts paused. */
int spore_xc_domain_create(struct spore_xc *xc, uint32_t *domid,
			   const struct spore_domain_config *cfg, struct spore_err *err);
int spore_xc_domain_max_vcpus(struct spore_xc *xc, uint32_t domid, uint32_t max,
			      struct spore_err *err);
int spore_xc_domain_max_mem(struct spore_xc *xc, uint32_t domid, uint64_t max_kb,
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

int spore_xc_physinfo(struct spore_xc *xc, struct spore_physinfo *pi, struct spore_err *err);
/* XENVER_capabilities, e.g. "xen-3.0-x86_64 hvm-3.0-x86_32 ...". */
int spore_xc_capabilities(struct spore_xc *xc, char *buf, size_t n, struct spore_err *err);

/* Populates n extents of 2^order pages. pfns[] in: the guest pfn of each
 * extent; out: its MFN (PV). Returns how many were populated (may be < n
 * when Xen runs out of memory for that order). */
long spore_xc_populate_physmap(struct spore_xc *xc, uint32_t domid, unsigned order,
			       unsigned mem_flags, xen_pfn_t *pfns, size_t n,
			       struct spore_err *err);
int spore_xc_set_memory_map(struct spore_xc *xc, uint32_t domid, const struct spore_e820 *map,
			    size_t n, struct spore_err *err);
/* An unbound port in domid that remote may bind. Returns the port. */
int spore_xc_evtchn_alloc_unbound(struct spore_xc *xc, uint32_t domid, uint32_t remote,
				  struct spore_err *err);
/* MMUEXT_PIN_L4_TABLE on behalf of domid. */
int spore_xc_pin_l4(struct spore_xc *xc, uint32_t domid, uint64_t mfn, struct spore_err *err);

#endif

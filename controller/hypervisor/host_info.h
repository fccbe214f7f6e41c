/* What Xen says about the host: its physical resources (the physinfo
 * sysctl) and the guest types it runs (XENVER_capabilities). */
#ifndef SPORE_HOST_INFO_H
#define SPORE_HOST_INFO_H

#include "hypercall.h"

#include <stddef.h>
#include <stdint.h>

struct spore_physinfo {
	uint32_t nr_cpus, threads_per_core, cores_per_socket, nr_nodes, cpu_khz;
	uint32_t capabilities; /* XEN_SYSCTL_PHYSCAP_* */
	uint64_t total_pages, free_pages, scrub_pages, outstanding_pages;
};

int spore_xc_physinfo(struct spore_xc *xc, struct spore_physinfo *pi, struct spore_err *err);
/* XENVER_capabilities, e.g. "xen-3.0-x86_64 hvm-3.0-x86_32 ...". */
int spore_xc_capabilities(struct spore_xc *xc, char *buf, size_t n, struct spore_err *err);

#endif

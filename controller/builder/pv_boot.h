/* The boot-time structures a PV x86_64 guest starts with: start_info and
 * vCPU 0's register context. Pure: filled from a computed pv_layout. */
#ifndef SPORE_PV_BOOT_H
#define SPORE_PV_BOOT_H

#include "pv_layout.h"
#include <spore/err.h>

#include <xen/xen.h>

struct pv_boot_params {
	const struct pv_layout *layout;
	uint64_t nr_pages;
	const uint64_t *p2m;     /* pfn -> mfn */
	uint64_t shared_info_mfn;
	uint32_t store_port, console_port;
	uint64_t virt_entry;
	uint64_t initrd_len;     /* bytes (0: none) */
	const char *cmdline;     /* NULL or at most 1023 bytes */
};

/* Fills *si (which the caller maps at the start_info pfn). A command line
 * longer than Xen's 1023 characters is -E2BIG, not silently cut. */
int pv_start_info_fill(struct start_info *si, const struct pv_boot_params *p,
		       struct spore_err *err);

/* Fills vCPU 0's context: entry, stack, start_info pointer, kernel
 * segments and CR3 pointing at the L4. */
void pv_vcpu_context_fill(struct vcpu_guest_context *ctx, const struct pv_boot_params *p);

#endif

/* A new guest's memory, for the builder: populating its physmap, its E820
 * map, pinning its top-level page table. */
#ifndef SPORE_GUEST_MEMORY_H
#define SPORE_GUEST_MEMORY_H

#include "hypercall.h"

#include <stddef.h>
#include <stdint.h>

/* One E820 entry as XENMEM_set_memory_map takes it (20 bytes, packed). */
struct spore_e820 {
	uint64_t addr, size;
	uint32_t type; /* 1 = RAM */
} __attribute__((packed));

/* Populates n extents of 2^order pages. pfns[] in: the guest pfn of each
 * extent; out: its MFN (PV). Returns how many were populated (may be < n
 * when Xen runs out of memory for that order). */
long spore_xc_populate_physmap(struct spore_xc *xc, uint32_t domid, unsigned order,
			       unsigned mem_flags, xen_pfn_t *pfns, size_t n,
			       struct spore_err *err);
int spore_xc_set_memory_map(struct spore_xc *xc, uint32_t domid, const struct spore_e820 *map,
			    size_t n, struct spore_err *err);
/* MMUEXT_PIN_L4_TABLE on behalf of domid. */
int spore_xc_pin_l4(struct spore_xc *xc, uint32_t domid, uint64_t mfn, struct spore_err *err);

#endif

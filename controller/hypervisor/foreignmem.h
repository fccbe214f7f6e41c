/* Mapping another domain's memory into ours through privcmd: guest frames
 * (IOCTL_PRIVCMD_MMAPBATCH_V2) and resources such as the grant table
 * (IOCTL_PRIVCMD_MMAP_RESOURCE). A failed map leaves nothing mapped: if any
 * frame fails, the whole range is unmapped before returning. */
#ifndef SPORE_FOREIGNMEM_H
#define SPORE_FOREIGNMEM_H

#include "hypercall.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

struct spore_fmap {
	void *addr; /* NULL when not mapped */
	size_t len;
};

/* Maps n frames (MFNs for a PV guest) contiguously; prot is PROT_READ
 * and/or PROT_WRITE. */
int spore_fmem_map(struct spore_xc *xc, uint32_t domid, int prot, const xen_pfn_t *frames,
		   size_t n, struct spore_fmap *out, struct spore_err *err);
/* Maps nframes of a resource starting at frame idx, e.g. the grant table:
 * type XENMEM_resource_grant_table (1), id XENMEM_resource_grant_table_id_shared
 * (0). -EOPNOTSUPP when the kernel or Xen cannot. */
int spore_fmem_map_resource(struct spore_xc *xc, uint32_t domid, unsigned type, unsigned id,
			    unsigned idx, size_t nframes, int prot, struct spore_fmap *out,
			    struct spore_err *err);
/* Unmaps and clears m; safe on a cleared or never-mapped map. */
void spore_fmem_unmap(struct spore_fmap *m);

#endif

/* x86_64 PV guest memory layout and boot page tables: pure arithmetic, no
 * hypercalls, so it is unit tested without Xen.
 *
 * Guest pfn 0 is mapped at virt_base. The initial mapping, in order:
 * padding up to the kernel, kernel, [mapped initrd], [p2m if the kernel has no
 * usable INIT_P2M], start_info, xenstore ring, console ring, page tables, boot
 * stack, then >= 512 KiB of slack, ending on a 4 MiB boundary (what Linux's
 * xen_start_kernel expects, see xen/include/public/xen.h "Start-of-day
 * memory layout"). After it, unmapped: the initrd (as a pfn module) and the
 * p2m list at INIT_P2M, then the (unmapped) page tables mapping it there. */
#ifndef SPORE_PV_LAYOUT_H
#define SPORE_PV_LAYOUT_H

#include <spore/err.h>

#include <stdbool.h>
#include <stdint.h>

#define PV_PAGE_SIZE  4096ULL
#define PV_PAGE_SHIFT 12

/* Page-table entry bits. */
#define PV_PTE_PRESENT  0x001ULL
#define PV_PTE_RW       0x002ULL
#define PV_PTE_USER     0x004ULL
#define PV_PTE_ACCESSED 0x020ULL
#define PV_PTE_DIRTY    0x040ULL
#define PV_PTE_ADDR     0x000ffffffffff000ULL

struct pv_layout_input {
	uint64_t virt_base;   /* VIRT_BASE note */
	uint64_t virt_kstart; /* kernel's first byte (virtual) */
	uint64_t virt_kend;   /* kernel's end (virtual, exclusive, incl. bss) */
	uint64_t init_p2m;    /* INIT_P2M note, 0 if absent */
	uint64_t nr_pages;    /* guest memory in pages */
	uint64_t initrd_len;  /* bytes, 0 for none */
	bool mod_start_pfn;   /* MOD_START_PFN note: initrd may stay unmapped */
};

/* A run of guest pages; its virtual address is virt_base + pfn * 4096 for
 * pages in the initial mapping. */
struct pv_seg {
	uint64_t pfn;
	uint64_t pages;
};

struct pv_layout {
	uint64_t virt_base;
	struct pv_seg kernel;
	struct pv_seg initrd;     /* pages 0 when there is none */
	bool initrd_mapped;       /* inside the initial mapping (no MOD_START_PFN) */
	struct pv_seg p2m;        /* the p2m list itself */
	bool p2m_at_init_p2m;     /* mapped at INIT_P2M rather than in the initial mapping */
	uint64_t p2m_vaddr;       /* start_info.mfn_list */
	struct pv_seg p2m_tables; /* page tables of the INIT_P2M mapping (pages 0 otherwise) */
	struct pv_seg start_info, xenstore, console;
	struct pv_seg tables;     /* page tables of the initial mapping; tables.pfn is the L4 */
	struct pv_seg stack;
	uint64_t virt_map_end;    /* end of the initial mapping (exclusive) */
	uint64_t pfn_end;         /* first pfn not used by the boot layout */
};

/* A guest's memory, derived once from its size in MiB. As libxl: xenstore's
 * memory/static-max and memory/target say the guest's own size; only the
 * max-memory domctl gets PV_MAXMEM_SLACK_KB more (LIBXL_MAXMEM_CONSTANT),
 * room for what Xen counts against the domain besides its RAM. */
#define PV_MAXMEM_SLACK_KB 1024
struct pv_memory {
	uint64_t nr_pages;   /* guest RAM pages */
	uint64_t mem_kb;     /* memory/static-max = memory/target */
	uint64_t max_mem_kb; /* the max-memory domctl's limit */
};
void pv_memory_of(uint64_t mib, struct pv_memory *m);

/* Computes the layout. Fails with -EINVAL for inconsistent kernel addresses
 * and -ENOMEM when nr_pages cannot hold it (the message names the MiB
 * needed). */
int pv_layout_compute(const struct pv_layout_input *in, struct pv_layout *out,
		      struct spore_err *err);

/* Page tables needed to map [start, end) at each level below the L4, not
 * counting tables already present for [ex_start, ex_end) (pass 0, 0 for
 * none). */
uint64_t pv_count_tables(uint64_t start, uint64_t end, uint64_t ex_start, uint64_t ex_end);

/* Gives a writable view of guest page pfn (e.g. a foreign mapping). */
typedef void *(*pv_page_fn)(void *ctx, uint64_t pfn);

/* Writes both mappings' page tables into the table pages (which must be
 * zeroed) through page(). p2m[pfn] is the frame number Xen knows the page
 * by (the MFN for PV). Page-table frames are mapped read-only, as Xen
 * requires before the L4 can be pinned. Returns 0 or -EINVAL. */
int pv_pgtables_write(const struct pv_layout *l, const uint64_t *p2m, uint64_t nr_pages,
		      pv_page_fn page, void *ctx, struct spore_err *err);

#endif

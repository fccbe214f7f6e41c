/* x86_64 PV boot layout and page tables; see pv_layout.h. */
#include "pv_layout.h"

#include <errno.h>
#include <string.h>

#define MiB                (1024ULL * 1024)
#define MAP_ALIGN          (4 * MiB) /* the initial mapping ends 4 MiB aligned */
#define MAP_SLACK          (512 * 1024ULL)
#define L4_SHIFT           39
#define L3_SHIFT           30
#define L2_SHIFT           21
#define VA_MASK            ((1ULL << 48) - 1)
/* Xen's own L4 slots, which a guest mapping must not use. */
#define XEN_L4_FIRST       256
#define XEN_L4_LAST        271
#define UPPER_PROT         (PV_PTE_PRESENT | PV_PTE_RW | PV_PTE_ACCESSED | PV_PTE_DIRTY | PV_PTE_USER)
#define L1_PROT            (PV_PTE_PRESENT | PV_PTE_RW | PV_PTE_ACCESSED)

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint64_t pages_of(uint64_t bytes)
{
	return round_up(bytes, PV_PAGE_SIZE) >> PV_PAGE_SHIFT;
}

/* Number of distinct (va >> shift) values in [s, e), minus those shared
 * with [xs, xe). Both ranges are non-empty or ignored. */
static uint64_t distinct(uint64_t s, uint64_t e, uint64_t xs, uint64_t xe, unsigned shift)
{
	uint64_t lo = (s & VA_MASK) >> shift, hi = ((e - 1) & VA_MASK) >> shift;
	uint64_t n = hi - lo + 1;
	if (xe > xs) {
		uint64_t xlo = (xs & VA_MASK) >> shift, xhi = ((xe - 1) & VA_MASK) >> shift;
		uint64_t a = lo > xlo ? lo : xlo, b = hi < xhi ? hi : xhi;
		if (a <= b)
			n -= b - a + 1;
	}
	return n;
}

uint64_t pv_count_tables(uint64_t start, uint64_t end, uint64_t ex_start, uint64_t ex_end)
{
	if (end <= start)
		return 0;
	return distinct(start, end, ex_start, ex_end, L4_SHIFT) +
	       distinct(start, end, ex_start, ex_end, L3_SHIFT) +
	       distinct(start, end, ex_start, ex_end, L2_SHIFT);
}

static bool touches_xen_slots(uint64_t s, uint64_t e)
{
	uint64_t lo = (s & VA_MASK) >> L4_SHIFT, hi = ((e - 1) & VA_MASK) >> L4_SHIFT;
	return lo <= XEN_L4_LAST && hi >= XEN_L4_FIRST;
}

/* Canonical 48-bit address: bits 63..47 all equal. */
static bool canonical(uint64_t va)
{
	uint64_t top = va >> 47;
	return top == 0 || top == 0x1ffff;
}

int pv_layout_compute(const struct pv_layout_input *in, struct pv_layout *l,
		      struct spore_err *err)
{
	memset(l, 0, sizeof(*l));
	if (in->virt_base & (PV_PAGE_SIZE - 1) || !canonical(in->virt_base))
		return spore_err_setx(err, EINVAL, "kernel virt_base %#llx is not a usable address",
				      (unsigned long long)in->virt_base);
	if (in->virt_kstart < in->virt_base || in->virt_kend <= in->virt_kstart ||
	    in->virt_kend - in->virt_base > (1ULL << 36))
		return spore_err_setx(err, EINVAL,
				      "kernel range %#llx-%#llx does not fit above virt_base %#llx",
				      (unsigned long long)in->virt_kstart,
				      (unsigned long long)in->virt_kend,
				      (unsigned long long)in->virt_base);
	if (in->nr_pages == 0 || in->nr_pages > (1ULL << 36))
		return spore_err_setx(err, EINVAL, "guest memory of %llu pages is out of range",
				      (unsigned long long)in->nr_pages);
	if (in->initrd_len > (1ULL << 40))
		return spore_err_setx(err, EINVAL, "initrd of %llu bytes is too large",
				      (unsigned long long)in->initrd_len);

	uint64_t vb = in->virt_base;
	uint64_t p2m_pages = pages_of(in->nr_pages * 8);
	/* INIT_P2M is honoured only when page aligned, canonical, below
	 * virt_base and clear of the kernel (as Xen's own builder does). */
	uint64_t ip = in->init_p2m;
	uint64_t ip_end = ip + (p2m_pages << PV_PAGE_SHIFT);
	bool use_init_p2m = ip && !(ip & (PV_PAGE_SIZE - 1)) && canonical(ip) && ip < vb &&
			    ip_end > ip && ip_end <= vb && canonical(ip_end - 1);

	l->virt_base = vb;
	l->kernel.pfn = (in->virt_kstart - vb) >> PV_PAGE_SHIFT;
	l->kernel.pages = pages_of(in->virt_kend - vb) - l->kernel.pfn;
	uint64_t next = l->kernel.pfn + l->kernel.pages;

	if (in->initrd_len && !in->mod_start_pfn) {
		l->initrd = (struct pv_seg){next, pages_of(in->initrd_len)};
		l->initrd_mapped = true;
		next += l->initrd.pages;
	}
	if (!use_init_p2m) {
		l->p2m = (struct pv_seg){next, p2m_pages};
		l->p2m_vaddr = vb + (next << PV_PAGE_SHIFT);
		next += p2m_pages;
	}
	l->start_info = (struct pv_seg){next++, 1};
	l->xenstore = (struct pv_seg){next++, 1};
	l->console = (struct pv_seg){next++, 1};

	/* The tables must map themselves, the stack and the slack: grow the
	 * count until it covers the mapping it implies. */
	uint64_t nt = 1, end = 0;
	for (int i = 0; i < 64; i++) {
		end = round_up(vb + ((next + nt + 1) << PV_PAGE_SHIFT) + MAP_SLACK, MAP_ALIGN);
		uint64_t need = 1 + pv_count_tables(vb, end, 0, 0);
		if (need <= nt)
			break;
		nt = need;
	}
	l->tables = (struct pv_seg){next, nt};
	next += nt;
	l->stack = (struct pv_seg){next++, 1};
	l->virt_map_end = end;
	if (!canonical(end - 1) || touches_xen_slots(vb, end))
		return spore_err_setx(err, EINVAL, "initial mapping %#llx-%#llx overlaps Xen's area",
				      (unsigned long long)vb, (unsigned long long)end);
	next = (end - vb) >> PV_PAGE_SHIFT;

	if (in->initrd_len && in->mod_start_pfn) {
		l->initrd = (struct pv_seg){next, pages_of(in->initrd_len)};
		next += l->initrd.pages;
	}
	if (use_init_p2m) {
		/* Only the p2m pages are mapped there; their tables follow them in
		 * pfn space but stay unmapped: Linux frees everything it finds
		 * mapped at INIT_P2M by making it writable, which Xen refuses for
		 * a page still in use as a page table. */
		uint64_t map_end = ip + (p2m_pages << PV_PAGE_SHIFT);
		uint64_t t = pv_count_tables(ip, map_end, vb, end);
		if (!canonical(map_end - 1) || touches_xen_slots(ip, map_end) || map_end > vb)
			return spore_err_setx(err, EINVAL, "INIT_P2M mapping at %#llx is unusable",
					      (unsigned long long)ip);
		l->p2m_at_init_p2m = true;
		l->p2m = (struct pv_seg){next, p2m_pages};
		l->p2m_vaddr = ip;
		l->p2m_tables = (struct pv_seg){next + p2m_pages, t};
		next += p2m_pages + t;
	}
	l->pfn_end = next;
	if (next > in->nr_pages)
		return spore_err_setx(err, ENOMEM,
				      "guest memory too small: the kernel%s needs at least %llu MiB",
				      in->initrd_len ? " and initrd" : "",
				      (unsigned long long)((next * PV_PAGE_SIZE + MiB - 1) / MiB + 1));
	return 0;
}

struct pt_writer {
	const struct pv_layout *l;
	const uint64_t *p2m;
	uint64_t nr_pages;
	pv_page_fn page;
	void *ctx;
	uint64_t next_table, tables_end; /* allocation cursor over table pfns */
};

static bool is_table_pfn(const struct pv_layout *l, uint64_t pfn)
{
	return (pfn >= l->tables.pfn && pfn < l->tables.pfn + l->tables.pages) ||
	       (pfn >= l->p2m_tables.pfn && pfn < l->p2m_tables.pfn + l->p2m_tables.pages);
}

/* Returns the entry slot for va at the level of `shift` inside the table at
 * table_pfn, allocating the next-level table when empty. */
static int descend(struct pt_writer *w, uint64_t table_pfn, uint64_t va, unsigned shift,
		   uint64_t *child_pfn, struct spore_err *err)
{
	uint64_t *t = w->page(w->ctx, table_pfn);
	unsigned idx = ((va & VA_MASK) >> shift) & 511;

	if (!t)
		return spore_err_setx(err, EINVAL, "page table pfn %#llx not accessible",
				      (unsigned long long)table_pfn);
	if (t[idx] & PV_PTE_PRESENT) {
		/* Find the pfn back from the frame: tables are few, so scan. */
		uint64_t frame = (t[idx] & PV_PTE_ADDR) >> PV_PAGE_SHIFT;
		for (uint64_t p = w->l->tables.pfn; p < w->l->tables.pfn + w->l->tables.pages; p++)
			if (w->p2m[p] == frame)
				return (*child_pfn = p), 0;
		for (uint64_t p = w->l->p2m_tables.pfn;
		     p < w->l->p2m_tables.pfn + w->l->p2m_tables.pages; p++)
			if (w->p2m[p] == frame)
				return (*child_pfn = p), 0;
		return spore_err_setx(err, EINVAL, "page table entry points outside the tables");
	}
	if (w->next_table >= w->tables_end)
		return spore_err_setx(err, EINVAL, "page table allocation overflow at %#llx",
				      (unsigned long long)va);
	*child_pfn = w->next_table++;
	t[idx] = (w->p2m[*child_pfn] << PV_PAGE_SHIFT) | UPPER_PROT;
	return 0;
}

/* Maps [va, va_end) to consecutive pfns starting at pfn, with tables taken
 * from [first_table, tables_end). */
static int map_range(struct pt_writer *w, uint64_t va, uint64_t va_end, uint64_t pfn,
		     struct spore_err *err)
{
	uint64_t l4 = w->l->tables.pfn;
	for (; va < va_end; va += PV_PAGE_SIZE, pfn++) {
		uint64_t l3, l2, l1;
		int r;
		if (pfn >= w->nr_pages)
			return spore_err_setx(err, EINVAL, "mapping runs past the guest's memory");
		if ((r = descend(w, l4, va, L4_SHIFT, &l3, err)) < 0 ||
		    (r = descend(w, l3, va, L3_SHIFT, &l2, err)) < 0 ||
		    (r = descend(w, l2, va, L2_SHIFT, &l1, err)) < 0)
			return r;
		uint64_t *t = w->page(w->ctx, l1);
		if (!t)
			return spore_err_setx(err, EINVAL, "page table pfn %#llx not accessible",
					      (unsigned long long)l1);
		uint64_t prot = L1_PROT;
		if (is_table_pfn(w->l, pfn))
			prot &= ~PV_PTE_RW;
		t[((va & VA_MASK) >> PV_PAGE_SHIFT) & 511] = (w->p2m[pfn] << PV_PAGE_SHIFT) | prot;
	}
	return 0;
}

int pv_pgtables_write(const struct pv_layout *l, const uint64_t *p2m, uint64_t nr_pages,
		      pv_page_fn page, void *ctx, struct spore_err *err)
{
	struct pt_writer w = {.l = l, .p2m = p2m, .nr_pages = nr_pages, .page = page, .ctx = ctx};
	int r;

	if (l->pfn_end > nr_pages || l->tables.pages == 0)
		return spore_err_setx(err, EINVAL, "layout does not fit %llu pages",
				      (unsigned long long)nr_pages);
	/* The L4 is the first table page; the rest are handed out in order. */
	w.next_table = l->tables.pfn + 1;
	w.tables_end = l->tables.pfn + l->tables.pages;
	r = map_range(&w, l->virt_base, l->virt_map_end, 0, err);
	if (r < 0 || !l->p2m_at_init_p2m)
		return r;
	w.next_table = l->p2m_tables.pfn;
	w.tables_end = l->p2m_tables.pfn + l->p2m_tables.pages;
	return map_range(&w, l->p2m_vaddr, l->p2m_vaddr + (l->p2m.pages << PV_PAGE_SHIFT),
			 l->p2m.pfn, err);
}

void pv_memory_of(uint64_t mib, struct pv_memory *m)
{
	m->nr_pages = mib << (20 - PV_PAGE_SHIFT);
	m->mem_kb = mib << 10;
	m->max_mem_kb = m->mem_kb + PV_MAXMEM_SLACK_KB;
}

#include "pv_layout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#define MiB       (1024ULL * 1024)
#define VB        0xffffffff80000000ULL
#define MFN_BASE  0x100000ULL

struct mem {
	uint8_t *bytes;
	uint64_t pages;
};

static void *page_of(void *ctx, uint64_t pfn)
{
	struct mem *m = ctx;
	return pfn < m->pages ? m->bytes + pfn * PV_PAGE_SIZE : NULL;
}

/* Walks the tables as the MMU would; returns the L1 entry or 0. */
static uint64_t walk(struct mem *m, const struct pv_layout *l, uint64_t va, uint64_t *upper_and)
{
	uint64_t pfn = l->tables.pfn, e = 0;
	*upper_and = ~0ULL;
	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t *t = page_of(m, pfn);
		e = t[((va & ((1ULL << 48) - 1)) >> shift) & 511];
		if (!(e & PV_PTE_PRESENT))
			return 0;
		if (shift > 12)
			*upper_and &= e;
		pfn = ((e & PV_PTE_ADDR) >> 12) - MFN_BASE;
	}
	return e;
}

static void test_linux_layout(bool with_init_p2m)
{
	struct pv_layout_input in = {
		.virt_base = VB,
		.virt_kstart = VB + 16 * MiB,
		.virt_kend = VB + 16 * MiB + 40 * MiB + 123,
		.init_p2m = with_init_p2m ? 0x8000000000ULL : 0,
		.nr_pages = 128 * MiB / PV_PAGE_SIZE,
		.initrd_len = 5 * MiB + 1,
		.mod_start_pfn = true,
	};
	struct pv_layout l;
	struct spore_err e = {0};
	const char *tag = with_init_p2m ? "INIT_P2M" : "p2m mapped";

	is_int(pv_layout_compute(&in, &l, &e), 0, "%s: layout computed %s", tag, e.msg);
	is_int(l.kernel.pfn, 0x1000, "%s: kernel at pfn 0x1000 (16 MiB gap kept)", tag);
	is_int(l.kernel.pages, 40 * 256 + 1, "%s: kernel pages rounded up", tag);
	uint64_t after_kernel = l.kernel.pfn + l.kernel.pages;
	if (with_init_p2m) {
		is_int(l.start_info.pfn, after_kernel, "%s: start_info right after the kernel", tag);
		ok(l.p2m_at_init_p2m && l.p2m_vaddr == 0x8000000000ULL, "%s: p2m at INIT_P2M", tag);
		is_int(l.p2m.pages, 64, "%s: p2m is 8 bytes per page", tag);
		is_int(l.p2m_tables.pages, 3, "%s: p2m mapping needs L3, L2, L1", tag);
	} else {
		is_int(l.p2m.pfn, after_kernel, "%s: p2m right after the kernel", tag);
		is_int(l.p2m_vaddr, VB + (after_kernel << 12), "%s: mfn_list is its vaddr", tag);
		is_int(l.start_info.pfn, after_kernel + 64, "%s: start_info after the p2m", tag);
	}
	is_int(l.xenstore.pfn, l.start_info.pfn + 1, "%s: xenstore page follows", tag);
	is_int(l.console.pfn, l.start_info.pfn + 2, "%s: console page follows", tag);
	is_int(l.tables.pfn, l.console.pfn + 1, "%s: tables follow", tag);
	is_int(l.stack.pfn, l.tables.pfn + l.tables.pages, "%s: stack after tables", tag);
	is_int(l.virt_map_end % (4 * MiB), 0, "%s: mapping ends 4 MiB aligned", tag);
	ok(l.virt_map_end >= VB + ((l.stack.pfn + 1) << 12) + 512 * 1024,
	   "%s: >= 512 KiB slack after the stack", tag);
	is_int(l.tables.pages, 1 + pv_count_tables(VB, l.virt_map_end, 0, 0),
	       "%s: table count matches the mapping", tag);
	is_int(l.initrd.pfn, (l.virt_map_end - VB) >> 12, "%s: initrd after the mapping", tag);
	is_int(l.initrd.pages, 5 * 256 + 1, "%s: initrd pages rounded up", tag);
	ok(!l.initrd_mapped, "%s: initrd unmapped (MOD_START_PFN)", tag);
	ok(l.pfn_end <= in.nr_pages, "%s: fits in 128 MiB", tag);

	struct mem m = {calloc(in.nr_pages, PV_PAGE_SIZE), in.nr_pages};
	uint64_t *p2m = malloc(in.nr_pages * sizeof(*p2m));
	for (uint64_t i = 0; i < in.nr_pages; i++)
		p2m[i] = MFN_BASE + i;
	is_int(pv_pgtables_write(&l, p2m, in.nr_pages, page_of, &m, &e), 0,
	       "%s: page tables written %s", tag, e.msg);

	int bad = 0, ro_ok = 1, upper_ok = 1;
	for (uint64_t va = VB; va < l.virt_map_end; va += PV_PAGE_SIZE) {
		uint64_t up, pte = walk(&m, &l, va, &up);
		uint64_t pfn = (va - VB) >> 12;
		if (!pte || ((pte & PV_PTE_ADDR) >> 12) != MFN_BASE + pfn)
			bad++;
		bool table = pfn >= l.tables.pfn && pfn < l.tables.pfn + l.tables.pages;
		if (table == !!(pte & PV_PTE_RW))
			ro_ok = 0;
		if (!(up & PV_PTE_USER) || !(up & PV_PTE_RW))
			upper_ok = 0;
	}
	is_int(bad, 0, "%s: every page of the initial mapping translates to its mfn", tag);
	ok(ro_ok, "%s: table frames read-only, all other frames writable", tag);
	ok(upper_ok, "%s: upper levels are RW|USER", tag);
	uint64_t up;
	is_int(walk(&m, &l, l.virt_map_end, &up), 0, "%s: nothing mapped past the end", tag);
	is_int(walk(&m, &l, VB - PV_PAGE_SIZE, &up), 0, "%s: nothing mapped below virt_base", tag);

	if (with_init_p2m) {
		int p2m_bad = 0;
		for (uint64_t i = 0; i < l.p2m.pages; i++) {
			uint64_t pte = walk(&m, &l, l.p2m_vaddr + i * PV_PAGE_SIZE, &up);
			if (!pte || ((pte & PV_PTE_ADDR) >> 12) != MFN_BASE + l.p2m.pfn + i ||
			    !(pte & PV_PTE_RW))
				p2m_bad++;
		}
		is_int(p2m_bad, 0, "%s: p2m pages mapped writable at INIT_P2M", tag);
		/* Linux frees all it finds mapped there: its tables must not be. */
		is_int(walk(&m, &l, l.p2m_vaddr + l.p2m.pages * PV_PAGE_SIZE, &up), 0,
		       "%s: the p2m's own tables are not mapped at INIT_P2M", tag);
		is_int(l.p2m_tables.pfn, l.p2m.pfn + l.p2m.pages, "%s: p2m tables follow it", tag);
	}
	/* Every table page is used: none left zero. */
	int unused = 0;
	for (uint64_t p = l.tables.pfn; p < l.tables.pfn + l.tables.pages; p++) {
		uint64_t *t = page_of(&m, p), any = 0;
		for (int i = 0; i < 512; i++)
			any |= t[i];
		unused += !any;
	}
	is_int(unused, 0, "%s: no table page left unused", tag);
	uint64_t *l4 = page_of(&m, l.tables.pfn);
	int slots = 0;
	for (int i = 0; i < 512; i++)
		slots += !!l4[i];
	is_int(slots, with_init_p2m ? 2 : 1, "%s: L4 slots used", tag);
	ok(!(l4[256] | l4[271]), "%s: Xen's L4 slots left alone", tag);
	free(p2m);
	free(m.bytes);
}

static void test_errors(void)
{
	struct pv_layout l;
	struct spore_err e = {0};
	struct pv_layout_input in = {
		.virt_base = VB,
		.virt_kstart = VB + 16 * MiB,
		.virt_kend = VB + 56 * MiB,
		.init_p2m = 0x8000000000ULL,
		.nr_pages = 32 * MiB / PV_PAGE_SIZE,
		.mod_start_pfn = true,
	};
	is_int(pv_layout_compute(&in, &l, &e), -ENOMEM, "32 MiB is too small for a 56 MiB kernel");
	ok(strstr(e.msg, "needs at least 6") != NULL, "error names the memory needed: %s", e.msg);

	in.nr_pages = 128 * MiB / PV_PAGE_SIZE;
	in.virt_kstart = VB - 4096;
	is_int(pv_layout_compute(&in, &l, &e), -EINVAL, "kernel below virt_base rejected");
	in.virt_kstart = VB + 16 * MiB;
	in.virt_base = VB + 1;
	is_int(pv_layout_compute(&in, &l, &e), -EINVAL, "unaligned virt_base rejected");
	in.virt_base = 0x0000900000000000ULL;
	is_int(pv_layout_compute(&in, &l, &e), -EINVAL, "non-canonical virt_base rejected");
	in.virt_base = 0xffff800000000000ULL; /* Xen's own slots */
	in.virt_kstart = in.virt_base + 16 * MiB;
	in.virt_kend = in.virt_kstart + MiB;
	is_int(pv_layout_compute(&in, &l, &e), -EINVAL, "mapping in Xen's area rejected: %s", e.msg);

	in.virt_base = VB;
	in.virt_kstart = VB + 16 * MiB;
	in.virt_kend = VB + 20 * MiB;
	in.init_p2m = 0x8000000001ULL; /* unaligned: ignored, p2m mapped */
	is_int(pv_layout_compute(&in, &l, &e), 0, "unaligned INIT_P2M falls back");
	ok(!l.p2m_at_init_p2m && l.p2m_vaddr > VB, "p2m placed in the initial mapping");
	in.init_p2m = VB + 17 * MiB; /* inside the kernel */
	is_int(pv_layout_compute(&in, &l, &e), 0, "INIT_P2M inside the kernel falls back");
	ok(!l.p2m_at_init_p2m, "p2m not at an INIT_P2M above virt_base");

	in.init_p2m = 0;
	in.mod_start_pfn = false;
	in.initrd_len = 3 * MiB;
	is_int(pv_layout_compute(&in, &l, &e), 0, "initrd without MOD_START_PFN");
	ok(l.initrd_mapped && l.initrd.pfn == l.kernel.pfn + l.kernel.pages,
	   "initrd mapped right after the kernel");
	in.nr_pages = 0;
	is_int(pv_layout_compute(&in, &l, &e), -EINVAL, "zero memory rejected");
}

static void test_count(void)
{
	is_int(pv_count_tables(VB, VB + 4 * MiB, 0, 0), 1 + 1 + 2, "4 MiB: L3 + L2 + 2 L1");
	is_int(pv_count_tables(VB, VB + 2 * MiB + 1, 0, 0), 1 + 1 + 2, "crossing 2 MiB: 2 L1");
	is_int(pv_count_tables(VB, VB, 0, 0), 0, "empty range");
	is_int(pv_count_tables(VB + 2 * MiB, VB + 4 * MiB, VB, VB + 2 * MiB + 4096), 0 + 0 + 0,
	       "shared tables are not counted twice");
}

/* Derived memory: xenstore's static-max and target are the guest's size;
 * only Xen's max-memory limit has libxl's 1 MiB of slack. */
static void test_memory(void)
{
	struct pv_memory m;
	pv_memory_of(256, &m);
	is_int(m.nr_pages, 65536, "256 MiB: 65536 pages");
	is_int(m.mem_kb, 262144, "static-max = target = 262144 KiB (no slack)");
	is_int(m.max_mem_kb, 262144 + 1024, "the max-memory domctl: 1 MiB more");
}

int main(void)
{
	test_memory();
	test_linux_layout(true);
	test_linux_layout(false);
	test_errors();
	test_count();
	return tap_done();
}

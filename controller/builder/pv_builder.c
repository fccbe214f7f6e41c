/* The PV domain builder: one table of named steps over struct pv_build.
 * The sequence follows what Xen 4.17's own tools do (createdomain, vcpus,
 * memory limit, event channels, populate, load, page tables, pin, vCPU
 * context, grant table, xenstore, introduce); see pv_builder.h. */
#include "evtchn.h"
#include "foreignmem.h"
#include "guest_memory.h"
#include "host_info.h"
#include "name_valid.h"
#include "pv_boot.h"
#include "pv_builder.h"
#include "step_hook.h"
#include "uuid.h"
#include "xs_skeleton.h"
#include <spore/clock.h>
#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xen/grant_table.h>
#include <xen/memory.h>

#define SUPERPAGE_ORDER 9 /* 2 MiB extents first, as Xen's tools do */
#define BACKEND_DOMID   0 /* xenstored and spored run in dom0 */

/* --- steps --- */

static int step_kernel(struct pv_build *b, struct spore_err *err)
{
	return spore_kernel_open(b->cfg.kernel, b->cfg.kernel_cache, &b->kimg, err);
}

static int step_check_xen(struct pv_build *b, struct spore_err *err)
{
	char caps[1024];
	struct spore_physinfo pi;
	int r = spore_xc_capabilities(b->xc, caps, sizeof(caps), err);
	if (r < 0)
		return r;
	if (!strstr(caps, "xen-3.0-x86_64"))
		return spore_err_setx(err, ENOTSUP,
				      "this hypervisor cannot run 64-bit PV guests (capabilities: %s)",
				      caps);
	if ((r = spore_xc_physinfo(b->xc, &pi, err)) < 0)
		return r;
	if (pi.free_pages < b->mem.nr_pages)
		return spore_err_setx(err, ENOMEM,
				      "not enough free memory in Xen: %" PRIu64 " MiB wanted, %" PRIu64
				      " MiB free",
				      b->cfg.memory_mib, pi.free_pages >> 8);
	return 0;
}

static int step_create(struct pv_build *b, struct spore_err *err)
{
	struct spore_domain_config dc = {.max_vcpus = b->cfg.vcpus};
	int r = 0;
	if (b->cfg.uuid)
		memcpy(b->uuid, b->cfg.uuid, 16);
	else if ((r = spore_uuid_generate(b->uuid, err)) < 0)
		return r;
	memcpy(dc.handle, b->uuid, 16);
	spore_uuid_format(b->uuid, b->uuid_str);
	b->domid = 0;
	if ((r = spore_xc_domain_create(b->xc, &b->domid, &dc, err)) < 0)
		return r;
	b->created = true;
	log_debug("created domain %" PRIu32 " (%s)", b->domid, b->uuid_str);
	if ((r = spore_xc_domain_max_vcpus(b->xc, b->domid, b->cfg.vcpus, err)) < 0)
		return r;
	if (b->cfg.cpu_cap && (r = spore_xc_domain_sched_cap(b->xc, b->domid, b->cfg.cpu_cap, err)) < 0)
		return r;
	/* Everything populated counts against max_mem. */
	return spore_xc_domain_max_mem(b->xc, b->domid, b->mem.max_mem_kb, err);
}

static int step_evtchn(struct pv_build *b, struct spore_err *err)
{
	int p = spore_xc_evtchn_alloc_unbound(b->xc, b->domid, BACKEND_DOMID, err);
	if (p < 0)
		return p;
	b->store_port = p;
	p = spore_xc_evtchn_alloc_unbound(b->xc, b->domid, BACKEND_DOMID, err);
	if (p < 0)
		return p;
	b->console_port = p;
	return 0;
}

static int step_memory_map(struct pv_build *b, struct spore_err *err)
{
	struct spore_e820 ram = {.addr = 0, .size = b->mem.nr_pages << PV_PAGE_SHIFT, .type = 1};
	return spore_xc_set_memory_map(b->xc, b->domid, &ram, 1, err);
}

static int step_layout(struct pv_build *b, struct spore_err *err)
{
	const struct spore_kernel_image *k = &b->kimg;
	struct pv_layout_input in = {
		.virt_base = k->virt_base,
		.virt_kstart = k->virt_kstart,
		.virt_kend = k->virt_kend,
		.init_p2m = k->init_p2m,
		.nr_pages = b->mem.nr_pages,
		.initrd_len = b->cfg.initrd_len,
		.mod_start_pfn = k->mod_start_pfn,
	};
	return pv_layout_compute(&in, &b->layout, err);
}

static int step_populate(struct pv_build *b, struct spore_err *err)
{
	uint64_t n = b->mem.nr_pages, done = 0;
	const uint64_t per = 1ULL << SUPERPAGE_ORDER;
	xen_pfn_t *ext;
	long r;

	b->p2m = malloc(n * sizeof(*b->p2m));
	ext = malloc((n / per + 1) * sizeof(*ext));
	if (!b->p2m || !ext) {
		free(ext);
		return spore_err_set(err, ENOMEM, "allocating the p2m of %" PRIu64 " pages", n);
	}
	/* Superpages where possible: fewer extents, faster guest TLBs. The pfn
	 * given for each extent is where it goes; Xen returns its mfn. */
	uint64_t nsuper = n / per;
	for (uint64_t i = 0; i < nsuper; i++)
		ext[i] = i * per;
	r = nsuper ? spore_xc_populate_physmap(b->xc, b->domid, SUPERPAGE_ORDER, 0, ext, nsuper,
					       err)
		   : 0;
	if (r < 0)
		goto out;
	for (long i = 0; i < r; i++)
		for (uint64_t j = 0; j < per; j++)
			b->p2m[i * per + j] = ext[i] + j;
	done = (uint64_t)r * per;
	/* The rest (and whatever Xen had no superpages for) page by page. */
	while (done < n) {
		uint64_t k = n - done < 65536 ? n - done : 65536;
		xen_pfn_t *pfns = (xen_pfn_t *)b->p2m + done;
		for (uint64_t i = 0; i < k; i++)
			pfns[i] = done + i;
		r = spore_xc_populate_physmap(b->xc, b->domid, 0, 0, pfns, k, err);
		if (r < 0)
			goto out;
		if ((uint64_t)r < k) {
			r = spore_err_setx(err, ENOMEM,
					   "Xen ran out of memory after %" PRIu64 " of %" PRIu64
					   " pages",
					   done + r, n);
			goto out;
		}
		done += k;
	}
	r = 0;
out:
	free(ext);
	return (int)r;
}

/* Guest pages by pfn over the two mappings step_load makes: the initial
 * mapping [0, split) and what follows it. */
struct page_src {
	struct spore_fmap boot, tail;
	uint64_t split;
};

static void *src_page(void *ctx, uint64_t pfn)
{
	struct page_src *s = ctx;
	const struct spore_fmap *m = pfn < s->split ? &s->boot : &s->tail;
	uint64_t off = (pfn < s->split ? pfn : pfn - s->split) << PV_PAGE_SHIFT;
	if (!m->addr || off + PV_PAGE_SIZE > m->len)
		return NULL;
	return (uint8_t *)m->addr + off;
}

/* Maps count pages from pfn, writable. */
static int map_pfns(struct pv_build *b, uint64_t pfn, uint64_t count, struct spore_fmap *m,
		    struct spore_err *err)
{
	return spore_fmem_map(b->xc, b->domid, PROT_READ | PROT_WRITE,
			      (const xen_pfn_t *)b->p2m + pfn, count, m, err);
}

/* Zeroes pages [pfn, pfn + n) or copies len bytes of data there first. */
static void fill_pages(struct page_src *s, uint64_t pfn, uint64_t n, const uint8_t *data,
		       size_t len)
{
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *p = src_page(s, pfn + i);
		size_t off = i << PV_PAGE_SHIFT, k = 0;
		if (data && off < len)
			k = len - off < PV_PAGE_SIZE ? len - off : PV_PAGE_SIZE;
		if (k)
			memcpy(p, data + off, k);
		memset(p + k, 0, PV_PAGE_SIZE - k);
	}
}

static int step_shared_info(struct pv_build *b, struct spore_err *err)
{
	struct spore_dominfo info;
	struct spore_fmap m = {0};
	xen_pfn_t frame;
	int r = spore_xc_domain_getinfo(b->xc, b->domid, &info, err);
	if (r < 0)
		return r;
	b->shared_info_mfn = info.shared_info_frame;
	frame = info.shared_info_frame;
	if ((r = spore_fmem_map(b->xc, b->domid, PROT_READ | PROT_WRITE, &frame, 1, &m, err)) < 0)
		return r;
	/* Events stay masked on every vCPU until the guest sets up its
	 * callbacks. */
	struct shared_info *si = m.addr;
	memset(si, 0, PV_PAGE_SIZE);
	for (int i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
		si->vcpu_info[i].evtchn_upcall_mask = 1;
	spore_fmem_unmap(&m);
	return 0;
}

/* Milliseconds with a fraction, for the debug log's step timings. */
static double now_ms(void)
{
	return spore_now_ns() / 1e6;
}

/* The kernel into view; a cache entry whose data turns out corrupt (it is
 * removed then) is replaced by the kernel file, decompressed again. */
static int load_kernel(struct pv_build *b, const struct spore_guest_view *view,
		       struct spore_err *err)
{
	struct spore_kernel_image k;
	int r = spore_kernel_load(&b->kimg, view, err);
	if (r != -EBADMSG || !b->kimg.from_cache)
		return r;
	log_warn("%s; decompressing the kernel again", err->msg);
	if ((r = spore_kernel_open(b->cfg.kernel, b->cfg.kernel_cache, &k, err)) < 0)
		return r;
	/* The layout was made for the cached image: the same kernel only. */
	if (k.virt_kstart != b->kimg.virt_kstart || k.virt_kend != b->kimg.virt_kend ||
	    k.entry != b->kimg.entry || k.has_hypercall_page != b->kimg.has_hypercall_page ||
	    k.hypercall_page != b->kimg.hypercall_page) {
		spore_kernel_image_free(&k);
		return spore_err_setx(err, EBADMSG, "kernel %s is not the one its cache entry held",
				      b->cfg.kernel);
	}
	spore_kernel_image_free(&b->kimg);
	b->kimg = k;
	return spore_kernel_load(&b->kimg, view, err);
}

static int load_pages(struct pv_build *b, struct spore_err *err)
{
	const struct pv_layout *l = &b->layout;
	struct page_src s = {.split = (l->virt_map_end - l->virt_base) >> PV_PAGE_SHIFT};
	int r;
	double t[8] = {0};
	t[0] = now_ms();

	/* The initial mapping's pages in one go (kernel, start_info, rings,
	 * tables), then everything after it (initrd, p2m). */
	if ((r = map_pfns(b, 0, s.split, &s.boot, err)) < 0)
		goto out;
	t[1] = now_ms();
	if (l->pfn_end > s.split && (r = map_pfns(b, s.split, l->pfn_end - s.split, &s.tail, err)) < 0)
		goto out;
	t[2] = now_ms();
	struct spore_guest_view view = {.mem = s.boot.addr, .vstart = l->virt_base, .len = s.boot.len};
	if ((r = load_kernel(b, &view, err)) < 0)
		goto out;
	t[3] = now_ms();
	/* Rings and tables start zeroed: populate scrubs memory, but what the
	 * guest and the backends trust is not left to that. */
	fill_pages(&s, l->xenstore.pfn, 1, NULL, 0);
	fill_pages(&s, l->console.pfn, 1, NULL, 0);
	fill_pages(&s, l->tables.pfn, l->tables.pages, NULL, 0);
	fill_pages(&s, l->p2m_tables.pfn, l->p2m_tables.pages, NULL, 0);
	if (b->cfg.initrd_len)
		fill_pages(&s, l->initrd.pfn, l->initrd.pages, b->cfg.initrd, b->cfg.initrd_len);
	/* The p2m list: one 8-byte mfn per pfn; the tail of its last page ~0. */
	for (uint64_t i = 0; i < l->p2m.pages; i++) {
		uint64_t *p = src_page(&s, l->p2m.pfn + i);
		for (uint64_t j = 0; j < PV_PAGE_SIZE / 8; j++) {
			uint64_t pfn = i * (PV_PAGE_SIZE / 8) + j;
			p[j] = pfn < b->mem.nr_pages ? b->p2m[pfn] : ~0ULL;
		}
	}
	t[4] = now_ms();
	if ((r = pv_pgtables_write(l, b->p2m, b->mem.nr_pages, src_page, &s, err)) < 0)
		goto out;
	t[5] = now_ms();
	struct pv_boot_params bp = {
		.layout = l, .nr_pages = b->mem.nr_pages, .p2m = b->p2m,
		.shared_info_mfn = b->shared_info_mfn,
		.store_port = b->store_port, .console_port = b->console_port,
		.virt_entry = b->kimg.entry, .initrd_len = b->cfg.initrd_len, .cmdline = b->cfg.cmdline,
	};
	r = pv_start_info_fill(src_page(&s, l->start_info.pfn), &bp, err);
out:
	/* Xen refuses to pin tables that dom0 still maps writable. */
	t[6] = now_ms();
	if (r >= 0)
		log_debug("load: map %.1f+%.1f ms, kernel %.1f, fill %.1f, tables %.1f, start %.1f",
			  t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3], t[5] - t[4], t[6] - t[5]);
	/* No munmap: the process exits (step_load). */
	return r;
}

/* Guest memory is written by a child process that then exits. In a PV dom0
 * each PTE of a foreign mapping is torn down by a trapped write when it is
 * unmapped (100-600 ms for the 12,000 pages of the cloud kernel in the TCG
 * sandbox, more than mapping and copying together), while an exiting
 * process's page tables are unpinned first and freed as plain memory. Xen
 * also refuses to pin tables that dom0 still maps writable: once the child
 * is reaped, nothing does. */
static int step_load(struct pv_build *b, struct spore_err *err)
{
	struct {
		int r;
		struct spore_err e;
	} res = {0};
	int p[2], st = 0;
	ssize_t n = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return spore_err_set(err, errno, "pipe for the loader process");
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return spore_err_set(err, e, "forking the loader process");
	}
	if (pid == 0) {
		/* Killed with its parent: the reaper then frees the domain. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		res.r = load_pages(b, &res.e);
		if (write(p[1], &res, sizeof(res)) != (ssize_t)sizeof(res))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	do
		n = read(p[0], &res, sizeof(res));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(res))
		return spore_err_setx(err, EIO, "the loader process died (status 0x%x)", st);
	if (res.r < 0) {
		*err = res.e;
		return res.r;
	}
	return 0;
}

static int step_hypercall_page(struct pv_build *b, struct spore_err *err)
{
	/* Kernels after XSA-466 have no hypercall page note. */
	if (!b->kimg.has_hypercall_page)
		return 0;
	uint64_t pfn = (b->kimg.hypercall_page - b->layout.virt_base) >> PV_PAGE_SHIFT;
	if (pfn >= b->mem.nr_pages)
		return spore_err_setx(err, EINVAL, "hypercall page outside the guest");
	return spore_xc_hypercall_init(b->xc, b->domid, b->p2m[pfn], err);
}

static int step_pin(struct pv_build *b, struct spore_err *err)
{
	return spore_xc_pin_l4(b->xc, b->domid, b->p2m[b->layout.tables.pfn], err);
}

static int step_vcpu(struct pv_build *b, struct spore_err *err)
{
	struct pv_boot_params bp = {
		.layout = &b->layout, .nr_pages = b->mem.nr_pages, .p2m = b->p2m,
		.virt_entry = b->kimg.entry,
	};
	vcpu_guest_context_t *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return spore_err_set(err, ENOMEM, "vCPU context");
	pv_vcpu_context_fill(ctx, &bp);
	int r = spore_xc_vcpu_setcontext(b->xc, b->domid, 0, ctx, err);
	free(ctx);
	return r;
}

/* Grant refs 0 and 1 let a console backend and C xenstored map the rings by
 * grant (C xenstored maps the store ring only that way). */
static int step_grant_table(struct pv_build *b, struct spore_err *err)
{
	struct spore_fmap m = {0};
	int r = spore_fmem_map_resource(b->xc, b->domid, XENMEM_resource_grant_table,
					XENMEM_resource_grant_table_id_shared, 0, 1,
					PROT_READ | PROT_WRITE, &m, err);
	if (r < 0)
		return r;
	grant_entry_v1_t *g = m.addr;
	g[GNTTAB_RESERVED_CONSOLE] = (grant_entry_v1_t){
		.flags = GTF_permit_access, .domid = BACKEND_DOMID,
		.frame = (uint32_t)b->p2m[b->layout.console.pfn]};
	g[GNTTAB_RESERVED_XENSTORE] = (grant_entry_v1_t){
		.flags = GTF_permit_access, .domid = BACKEND_DOMID,
		.frame = (uint32_t)b->p2m[b->layout.xenstore.pfn]};
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	spore_fmem_unmap(&m);
	return 0;
}

static int step_xenstore(struct pv_build *b, struct spore_err *err)
{
	struct xs_node_list nodes = {0};
	struct dom_skeleton d = {
		.domid = b->domid, .uuid = b->uuid_str, .name = b->cfg.name, .vcpus = b->cfg.vcpus,
		.max_kb = b->mem.mem_kb, .target_kb = b->mem.mem_kb,
		.store_port = b->store_port, .console_port = b->console_port,
		.store_mfn = b->p2m[b->layout.xenstore.pfn],
		.console_mfn = b->p2m[b->layout.console.pfn],
		.kernel = b->cfg.kernel, .ramdisk = b->cfg.initrd_name, .cmdline = b->cfg.cmdline,
		.backend_domid = BACKEND_DOMID,
	};
	/* One pipelined batch, outside a transaction (which would cost two
	 * more round trips): nothing reads the domain's directory before the
	 * introduce that follows, and a failure removes all of it
	 * (pv_build_abort). */
	int r = xs_skeleton_build(&nodes, &d, err);
	if (r >= 0)
		r = spore_xs_write_nodes(b->xs, 0, &nodes, err);
	xs_node_list_free(&nodes);
	return r;
}

static int step_introduce(struct pv_build *b, struct spore_err *err)
{
	int r = spore_xs_introduce(b->xs, b->domid, b->p2m[b->layout.xenstore.pfn], b->store_port,
				   err);
	if (r >= 0)
		b->introduced = true;
	return r;
}

static const struct {
	const char *name;
	int (*run)(struct pv_build *b, struct spore_err *err);
} steps[] = {
	{"kernel", step_kernel},
	{"check-xen", step_check_xen},
	{"create-domain", step_create},
	{"event-channels", step_evtchn},
	{"memory-map", step_memory_map},
	{"layout", step_layout},
	{"populate", step_populate},
	{"shared-info", step_shared_info},
	{"load", step_load},
	{"hypercall-page", step_hypercall_page},
	{"pin-tables", step_pin},
	{"vcpu-context", step_vcpu},
	{"grant-table", step_grant_table},
	{"xenstore", step_xenstore},
	{"introduce", step_introduce},
};

int pv_build_run(struct pv_build *b, struct spore_xc *xc, struct spore_xs *xs,
		 const struct pv_build_config *cfg, struct spore_err *err)
{
	memset(b, 0, sizeof(*b));
	b->cfg = *cfg;
	b->xc = xc;
	b->xs = xs;
	if (!cfg->name || !spore_name_valid(cfg->name))
		return spore_err_setx(err, EINVAL,
				      "invalid guest name '%s' (1-64 of A-Z a-z 0-9 _ . -)",
				      cfg->name ? cfg->name : "");
	if (cfg->vcpus < 1 || cfg->vcpus > 64)
		return spore_err_setx(err, EINVAL, "vCPUs must be 1..64, not %" PRIu32, cfg->vcpus);
	if (cfg->memory_mib < SPORE_MEMORY_MIN_MIB || cfg->memory_mib > SPORE_MEMORY_MAX_MIB)
		return spore_err_setx(err, EINVAL, "memory must be %d MiB..1 TiB, not %" PRIu64,
				      SPORE_MEMORY_MIN_MIB, cfg->memory_mib);
	if (cfg->initrd_len > PV_MAX_INITRD)
		return spore_err_setx(err, E2BIG, "the initrd is %zu MiB; at most %llu MiB",
				      cfg->initrd_len >> 20, PV_MAX_INITRD >> 20);
	if (cfg->cmdline && strlen(cfg->cmdline) >= 1024)
		return spore_err_setx(err, E2BIG,
				      "kernel command line is %zu bytes; Xen allows at most 1023",
				      strlen(cfg->cmdline));
	pv_memory_of(cfg->memory_mib, &b->mem);

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		b->step = steps[i].name;
		spore_step(b->step);
		double t0 = now_ms();
		int r = steps[i].run(b, err);
		log_debug("build step %-14s %6.1f ms", b->step, now_ms() - t0);
		if (r < 0) {
			spore_err_wrap(err, "building guest '%s' (step %s)", cfg->name, b->step);
			pv_build_abort(b);
			return r;
		}
	}
	b->step = "built";
	return 0;
}

int pv_build_unpause(struct pv_build *b, struct spore_err *err)
{
	return spore_xc_domain_unpause(b->xc, b->domid, err);
}

void pv_build_abort(struct pv_build *b)
{
	struct spore_err e = {0};
	char path[64];

	if (!b->created)
		return;
	/* No XS_RELEASE first: xenstored notices the dying domain by itself and
	 * fires @releaseDomain then, which is what makes spored drop its
	 * mapping of the console ring. Released early, the domain would stay a
	 * zombie held by that mapping. */
	if (spore_xc_domain_destroy(b->xc, b->domid, &e) < 0)
		log_warn("cleaning up: %s", e.msg);
	snprintf(path, sizeof(path), "/local/domain/%" PRIu32, b->domid);
	spore_xs_rm(b->xs, 0, path, &e);
	if (b->uuid_str[0]) {
		snprintf(path, sizeof(path), "/vm/%s", b->uuid_str);
		spore_xs_rm(b->xs, 0, path, &e);
	}
	b->created = b->introduced = false;
}

void pv_build_free(struct pv_build *b)
{
	spore_kernel_image_free(&b->kimg);
	free(b->p2m);
	b->p2m = NULL;
}

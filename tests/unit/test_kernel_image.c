/* Kernel loaders on synthetic images built here: ELF64 vmlinux with Xen
 * notes, wrapped in bzImage headers with every payload compression
 * (compressed with the same libraries), plus the rejections and the cache. */
#include "kernel_image.h"

#include <bzlib.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <lzma.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "tap.h"

#define VB    0xffffffff80000000ULL
#define PA0   0x1000000ULL
#define ENTRY (VB + PA0 + 0x100)

/* ---- a growable byte buffer ---- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void b_reserve(struct buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	while (b->len + n > b->cap)
		b->cap = b->cap ? b->cap * 2 : 4096;
	b->p = realloc(b->p, b->cap);
	if (!b->p)
		abort();
}

static size_t b_put(struct buf *b, const void *d, size_t n)
{
	size_t at = b->len;
	if (!n)
		return at;
	b_reserve(b, n);
	if (d)
		memcpy(b->p + at, d, n);
	else
		memset(b->p + at, 0, n);
	b->len += n;
	return at;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void b_align(struct buf *b, size_t a)
{
	while (b->len % a)
		b_put(b, NULL, 1);
}

/* ---- synthetic ELF kernels ---- */

struct note {
	uint32_t type;
	const char *str; /* string note, or */
	uint64_t num;    /* numeric note of nsize bytes */
	int nsize;
	const char *name; /* note owner, default "Xen" */
};

struct seg {
	uint64_t paddr, filesz, memsz;
};

struct kspec {
	uint16_t machine;
	uint8_t class;
	uint16_t type;
	int nsegs;
	struct seg segs[6];
	int nnotes;
	struct note notes[24];
	bool notes_as_section; /* SHT_NOTE only, no PT_NOTE */
	uint64_t e_entry;
};

static void add_note(struct kspec *k, struct note n)
{
	k->notes[k->nnotes++] = n;
}

static void add_str(struct kspec *k, uint32_t type, const char *s)
{
	add_note(k, (struct note){.type = type, .str = s});
}

static void add_num(struct kspec *k, uint32_t type, uint64_t v, int size)
{
	add_note(k, (struct note){.type = type, .num = v, .nsize = size});
}

static void drop_note(struct kspec *k, uint32_t type)
{
	for (int i = 0; i < k->nnotes; i++)
		if (k->notes[i].type == type) {
			memmove(&k->notes[i], &k->notes[i + 1],
				(k->nnotes - i - 1) * sizeof(k->notes[0]));
			k->nnotes--;
			i--;
		}
}

static void set_str(struct kspec *k, uint32_t type, const char *s)
{
	drop_note(k, type);
	add_str(k, type, s);
}

static void set_num(struct kspec *k, uint32_t type, uint64_t v)
{
	drop_note(k, type);
	add_num(k, type, v, 8);
}

/* Like Debian's 6.1 kernel, shrunk: text, data, and a segment with bss. */
static struct kspec linux_spec(void)
{
	struct kspec k = {.machine = EM_X86_64, .class = ELFCLASS64, .type = ET_EXEC, .nsegs = 3,
			  .e_entry = PA0};
	k.segs[0] = (struct seg){PA0, 0x3000, 0x3000};
	k.segs[1] = (struct seg){PA0 + 0x5000, 0x1000, 0x1000};
	k.segs[2] = (struct seg){PA0 + 0x6000, 0x1800, 0x4000};
	add_str(&k, SPORE_XEN_NOTE_GUEST_OS, "linux");
	add_str(&k, SPORE_XEN_NOTE_GUEST_VERSION, "2.6");
	add_str(&k, SPORE_XEN_NOTE_XEN_VERSION, "xen-3.0");
	add_num(&k, SPORE_XEN_NOTE_VIRT_BASE, VB, 8);
	add_num(&k, SPORE_XEN_NOTE_INIT_P2M, 0x8000000000ULL, 8);
	add_num(&k, SPORE_XEN_NOTE_ENTRY, ENTRY, 8);
	add_str(&k, SPORE_XEN_NOTE_FEATURES, "!writable_page_tables|pae_pgdir_above_4gb");
	add_num(&k, SPORE_XEN_NOTE_SUPPORTED_FEATURES, 0x8801, 4);
	add_str(&k, SPORE_XEN_NOTE_PAE_MODE, "yes");
	add_str(&k, SPORE_XEN_NOTE_LOADER, "generic");
	add_num(&k, SPORE_XEN_NOTE_SUSPEND_CANCEL, 1, 4);
	add_num(&k, SPORE_XEN_NOTE_MOD_START_PFN, 1, 4);
	add_num(&k, SPORE_XEN_NOTE_HV_START_LOW, 0xffff800000000000ULL, 8);
	add_num(&k, SPORE_XEN_NOTE_PADDR_OFFSET, 0, 8);
	add_num(&k, SPORE_XEN_NOTE_PHYS32_ENTRY, PA0 + 0x850, 4);
	/* A foreign note, as vmlinux has (GNU build id). */
	add_note(&k, (struct note){.type = 3, .str = "build-id", .name = "GNU"});
	return k;
}

static uint8_t seg_byte(int seg, uint64_t i)
{
	return (uint8_t)(0x11 * (seg + 1) + i * 7);
}

static void emit_notes(struct buf *b, const struct kspec *k)
{
	for (int i = 0; i < k->nnotes; i++) {
		const struct note *n = &k->notes[i];
		const char *name = n->name ? n->name : "Xen";
		uint8_t h[12];
		uint32_t namesz = (uint32_t)strlen(name) + 1;
		uint32_t descsz = n->str ? (uint32_t)strlen(n->str) + 1 : (uint32_t)n->nsize;
		put_le(h, namesz, 4);
		put_le(h + 4, descsz, 4);
		put_le(h + 8, n->type, 4);
		b_put(b, h, 12);
		b_put(b, name, namesz);
		b_align(b, 4);
		if (n->str) {
			b_put(b, n->str, descsz);
		} else {
			uint8_t d[8];
			put_le(d, n->num, 8);
			b_put(b, d, descsz);
		}
		b_align(b, 4);
	}
}

/* Layout: ehdr | phdrs | notes | segment data | [shdrs]. */
static struct buf build_elf(const struct kspec *k)
{
	struct buf b = {0};
	int phnum = k->nsegs + (k->notes_as_section ? 0 : 1);
	b_put(&b, NULL, sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr));
	size_t notes_at = b.len;
	emit_notes(&b, k);
	size_t notes_len = b.len - notes_at;
	size_t seg_off[6];
	for (int s = 0; s < k->nsegs; s++) {
		b_align(&b, 16);
		seg_off[s] = b.len;
		b_reserve(&b, k->segs[s].filesz);
		for (uint64_t i = 0; i < k->segs[s].filesz; i++)
			b.p[b.len++] = seg_byte(s, i);
	}
	size_t shoff = 0;
	if (k->notes_as_section) {
		b_align(&b, 8);
		shoff = b_put(&b, NULL, 2 * sizeof(Elf64_Shdr));
		uint8_t *sh = b.p + shoff + sizeof(Elf64_Shdr);
		put_le(sh + offsetof(Elf64_Shdr, sh_type), SHT_NOTE, 4);
		put_le(sh + offsetof(Elf64_Shdr, sh_offset), notes_at, 8);
		put_le(sh + offsetof(Elf64_Shdr, sh_size), notes_len, 8);
	}
	uint8_t *e = b.p;
	memcpy(e, ELFMAG, SELFMAG);
	e[EI_CLASS] = k->class;
	e[EI_DATA] = ELFDATA2LSB;
	e[EI_VERSION] = EV_CURRENT;
	put_le(e + offsetof(Elf64_Ehdr, e_type), k->type, 2);
	put_le(e + offsetof(Elf64_Ehdr, e_machine), k->machine, 2);
	put_le(e + offsetof(Elf64_Ehdr, e_version), EV_CURRENT, 4);
	put_le(e + offsetof(Elf64_Ehdr, e_entry), k->e_entry, 8);
	put_le(e + offsetof(Elf64_Ehdr, e_phoff), sizeof(Elf64_Ehdr), 8);
	put_le(e + offsetof(Elf64_Ehdr, e_shoff), shoff, 8);
	put_le(e + offsetof(Elf64_Ehdr, e_ehsize), sizeof(Elf64_Ehdr), 2);
	put_le(e + offsetof(Elf64_Ehdr, e_phentsize), sizeof(Elf64_Phdr), 2);
	put_le(e + offsetof(Elf64_Ehdr, e_phnum), phnum, 2);
	put_le(e + offsetof(Elf64_Ehdr, e_shentsize), sizeof(Elf64_Shdr), 2);
	put_le(e + offsetof(Elf64_Ehdr, e_shnum), k->notes_as_section ? 2 : 0, 2);
	uint8_t *ph = e + sizeof(Elf64_Ehdr);
	for (int s = 0; s < k->nsegs; s++, ph += sizeof(Elf64_Phdr)) {
		put_le(ph + offsetof(Elf64_Phdr, p_type), PT_LOAD, 4);
		put_le(ph + offsetof(Elf64_Phdr, p_offset), seg_off[s], 8);
		put_le(ph + offsetof(Elf64_Phdr, p_vaddr), k->segs[s].paddr + VB, 8);
		put_le(ph + offsetof(Elf64_Phdr, p_paddr), k->segs[s].paddr, 8);
		put_le(ph + offsetof(Elf64_Phdr, p_filesz), k->segs[s].filesz, 8);
		put_le(ph + offsetof(Elf64_Phdr, p_memsz), k->segs[s].memsz, 8);
	}
	if (!k->notes_as_section) {
		put_le(ph + offsetof(Elf64_Phdr, p_type), PT_NOTE, 4);
		put_le(ph + offsetof(Elf64_Phdr, p_offset), notes_at, 8);
		put_le(ph + offsetof(Elf64_Phdr, p_filesz), notes_len, 8);
	}
	return b;
}

/* ---- compression, as Linux's build does it ---- */

static struct buf make_payload(enum spore_comp c, const uint8_t *in, size_t n, bool trailer)
{
	struct buf o = {0};
	switch (c) {
	case SPORE_COMP_GZIP: {
		z_stream s = {0};
		deflateInit2(&s, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
		b_reserve(&o, deflateBound(&s, n));
		s.next_in = (Bytef *)in;
		s.avail_in = (uInt)n;
		s.next_out = o.p;
		s.avail_out = (uInt)o.cap;
		deflate(&s, Z_FINISH);
		o.len = s.total_out;
		deflateEnd(&s);
		trailer = false; /* gzip carries its own size */
		break;
	}
	case SPORE_COMP_BZIP2: {
		unsigned int dl = (unsigned int)(n + n / 100 + 600);
		b_reserve(&o, dl);
		BZ2_bzBuffToBuffCompress((char *)o.p, &dl, (char *)in, (unsigned)n, 9, 0, 0);
		o.len = dl;
		break;
	}
	case SPORE_COMP_XZ: {
		b_reserve(&o, lzma_stream_buffer_bound(n));
		lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, n, o.p, &o.len, o.cap);
		break;
	}
	case SPORE_COMP_LZMA: {
		lzma_options_lzma opt;
		lzma_lzma_preset(&opt, 6);
		lzma_stream s = LZMA_STREAM_INIT;
		if (lzma_alone_encoder(&s, &opt) != LZMA_OK)
			abort();
		b_reserve(&o, n + n / 2 + 4096);
		s.next_in = in;
		s.avail_in = n;
		s.next_out = o.p;
		s.avail_out = o.cap;
		while (lzma_code(&s, LZMA_FINISH) == LZMA_OK)
			;
		o.len = s.total_out;
		lzma_end(&s);
		break;
	}
	case SPORE_COMP_ZSTD:
		b_reserve(&o, ZSTD_compressBound(n));
		o.len = ZSTD_compress(o.p, o.cap, in, n, 19);
		break;
	case SPORE_COMP_LZ4: {
		static const uint8_t magic[4] = {0x02, 0x21, 0x4c, 0x18};
		b_put(&o, magic, 4);
		for (size_t off = 0; off < n;) {
			size_t chunk = n - off > (8U << 20) ? (8U << 20) : n - off;
			size_t at = b_put(&o, NULL, 4);
			b_reserve(&o, LZ4_compressBound((int)chunk));
			int w = LZ4_compress_default((const char *)in + off, (char *)o.p + o.len,
						     (int)chunk, LZ4_compressBound((int)chunk));
			put_le(o.p + at, (uint32_t)w, 4);
			o.len += (size_t)w;
			off += chunk;
		}
		break;
	}
	default:
		abort();
	}
	if (trailer) {
		uint8_t t[4];
		put_le(t, n, 4);
		b_put(&o, t, 4);
	}
	return o;
}

/* bzImage: setup_sects 1 (so the protected-mode code starts at 1024), a
 * 0x40-byte stub, then the payload. */
static struct buf build_bzimage(const uint8_t *payload, size_t plen, uint16_t version)
{
	struct buf b = {0};
	b_put(&b, NULL, 1024 + 0x40);
	b.p[0x1f1] = 1;
	memcpy(b.p + 0x202, "HdrS", 4);
	put_le(b.p + 0x206, version, 2);
	put_le(b.p + 0x248, 0x40, 4);
	put_le(b.p + 0x24c, plen, 4);
	b_put(&b, payload, plen);
	return b;
}

/* ---- helpers ---- */

static struct spore_err err;

static int parse(const struct buf *b, struct spore_kernel_image *img)
{
	spore_err_clear(&err);
	return spore_kernel_parse(b->p, b->len, img, &err);
}

/* Expects parse to fail with code and a message containing needle. */
static void rejects(const struct buf *b, int code, const char *needle, const char *what)
{
	struct spore_kernel_image img;
	int r = parse(b, &img);
	spore_kernel_image_free(&img);
	ok(r == -code && strstr(err.msg, needle), "rejects %s: %s", what, err.msg);
	if (r != -code)
		printf("#   got %d, want %d\n", r, -code);
}

static void rejects_spec(const struct kspec *k, int code, const char *needle, const char *what)
{
	struct buf b = build_elf(k);
	rejects(&b, code, needle, what);
	free(b.p);
}

/* ---- tests ---- */

static void test_elf_parse_and_load(void)
{
	struct kspec k = linux_spec();
	struct buf b = build_elf(&k);
	struct spore_kernel_image img;

	is_int(parse(&b, &img), 0, "synthetic vmlinux parses (%s)", err.msg);
	is_str(img.loader->name, "elf", "ELF loader chosen");
	ok(img.compression == SPORE_COMP_NONE, "no compression");
	ok(img.entry == ENTRY, "entry from the ENTRY note");
	ok(img.virt_base == VB, "virt_base");
	ok(img.virt_kstart == VB + PA0, "virt_kstart = pstart + virt_offset");
	ok(img.virt_kend == VB + PA0 + 0xa000, "virt_kend includes bss");
	ok(img.init_p2m == 0x8000000000ULL, "INIT_P2M");
	ok(img.mod_start_pfn && img.suspend_cancel, "MOD_START_PFN and SUSPEND_CANCEL");
	ok(!img.has_hypercall_page, "no hypercall page");
	is_int(img.features_required, 1, "required: writable_page_tables");
	is_int(img.features_supported, 0x8811, "supported: FEATURES | SUPPORTED_FEATURES");
	is_str(img.guest_os, "linux", "GUEST_OS");
	is_str(img.xen_version, "xen-3.0", "XEN_VERSION");
	is_str(img.loader_name, "generic", "LOADER");
	ok(img.has_phys32_entry && img.phys32_entry == PA0 + 0x850, "PHYS32_ENTRY");
	is_int(img.nsegs, 3, "three PT_LOAD segments");
	ok(img.segs[2].vaddr == VB + PA0 + 0x6000, "segment vaddr");
	ok(!img.notes_from_sections, "notes from PT_NOTE");

	/* Load into a view with a margin on both sides to catch stray writes. */
	uint64_t span = img.virt_kend - img.virt_kstart;
	uint8_t *mem = malloc(span + 8192);
	memset(mem, 0xaa, span + 8192);
	struct spore_guest_view v = {mem + 4096, img.virt_kstart, span};
	is_int(spore_kernel_load(&img, &v, &err), 0, "load into an exact view");
	bool good = true;
	for (uint64_t i = 0; i < 0x3000; i++)
		good &= mem[4096 + i] == seg_byte(0, i);
	for (uint64_t i = 0x3000; i < 0x5000; i++)
		good &= mem[4096 + i] == 0;
	for (uint64_t i = 0; i < 0x1800; i++)
		good &= mem[4096 + 0x6000 + i] == seg_byte(2, i);
	for (uint64_t i = 0x7800; i < 0xa000; i++)
		good &= mem[4096 + i] == 0;
	ok(good, "segments copied, gap and bss zeroed");
	ok(mem[4095] == 0xaa && mem[4096 + span] == 0xaa, "nothing written outside the view");

	struct spore_guest_view small = {mem, img.virt_kstart, span - 1};
	is_int(spore_kernel_load(&img, &small, &err), -ERANGE, "view too small: %s", err.msg);
	struct spore_guest_view late = {mem, img.virt_kstart + 4096, span};
	is_int(spore_kernel_load(&img, &late, &err), -ERANGE, "view starting after the kernel");
	struct spore_guest_view none = {NULL, img.virt_kstart, span};
	is_int(spore_kernel_load(&img, &none, &err), -EINVAL, "no view memory");
	img.segs[1].memsz = 0x2000; /* caller corrupted the image: overlaps seg 2 */
	is_int(spore_kernel_load(&img, &v, &err), -EINVAL, "inconsistent image refused");
	free(mem);
	spore_kernel_image_free(&img);
	free(b.p);
}

static void test_elf_variants(void)
{
	struct spore_kernel_image img;
	struct kspec k = linux_spec();
	k.notes_as_section = true;
	struct buf b = build_elf(&k);
	is_int(parse(&b, &img), 0, "notes found via SHT_NOTE fallback (%s)", err.msg);
	ok(img.notes_from_sections && img.entry == ENTRY, "SHT_NOTE notes used");
	spore_kernel_image_free(&img);
	free(b.p);

	k = linux_spec();
	add_num(&k, SPORE_XEN_NOTE_HYPERCALL_PAGE, VB + PA0 + 0x1000, 8);
	b = build_elf(&k);
	is_int(parse(&b, &img), 0, "old kernel with HYPERCALL_PAGE parses");
	ok(img.has_hypercall_page && img.hypercall_page == VB + PA0 + 0x1000, "hypercall page");
	spore_kernel_image_free(&img);
	free(b.p);

	/* No ENTRY and no PHYS32_ENTRY: e_entry, as Xen does. */
	k = linux_spec();
	drop_note(&k, SPORE_XEN_NOTE_ENTRY);
	drop_note(&k, SPORE_XEN_NOTE_PHYS32_ENTRY);
	k.e_entry = VB + PA0 + 0x200;
	b = build_elf(&k);
	is_int(parse(&b, &img), 0, "missing ENTRY falls back to e_entry");
	ok(img.entry == VB + PA0 + 0x200, "entry = e_entry");
	spore_kernel_image_free(&img);
	free(b.p);

	/* PADDR_OFFSET shifts the kernel. */
	k = linux_spec();
	set_num(&k, SPORE_XEN_NOTE_PADDR_OFFSET, 0x1000);
	set_num(&k, SPORE_XEN_NOTE_ENTRY, VB + PA0 - 0x1000 + 0x100);
	b = build_elf(&k);
	is_int(parse(&b, &img), 0, "PADDR_OFFSET accepted");
	ok(img.virt_kstart == VB + PA0 - 0x1000, "virt_kstart uses PADDR_OFFSET");
	spore_kernel_image_free(&img);
	free(b.p);

	/* GUEST_OS other than linux is fine with LOADER=generic. */
	k = linux_spec();
	set_str(&k, SPORE_XEN_NOTE_GUEST_OS, "Mini-OS");
	b = build_elf(&k);
	is_int(parse(&b, &img), 0, "generic loader kernel accepted");
	spore_kernel_image_free(&img);
	free(b.p);
}

static void test_elf_rejections(void)
{
	struct kspec k;

	k = linux_spec();
	k.nnotes = 0;
	rejects_spec(&k, ENOEXEC, "not PV capable", "a kernel without Xen notes");

	k = linux_spec();
	drop_note(&k, SPORE_XEN_NOTE_ENTRY);
	rejects_spec(&k, ENOEXEC, "PVH-only", "a PVH-only kernel");

	k = linux_spec();
	set_str(&k, SPORE_XEN_NOTE_GUEST_OS, "freebsd");
	drop_note(&k, SPORE_XEN_NOTE_LOADER);
	rejects_spec(&k, ENOEXEC, "not PV capable", "a non-Linux, non-generic guest");

	k = linux_spec();
	set_str(&k, SPORE_XEN_NOTE_XEN_VERSION, "xen-2.0");
	rejects_spec(&k, ENOEXEC, "XEN_VERSION", "a wrong XEN_VERSION");

	k = linux_spec();
	set_str(&k, SPORE_XEN_NOTE_FEATURES, "writable_page_tables|!dom0");
	rejects_spec(&k, ENOEXEC, "dom0-only", "a dom0-only kernel");

	k = linux_spec();
	set_str(&k, SPORE_XEN_NOTE_FEATURES, "!auto_translated_physmap");
	rejects_spec(&k, EOPNOTSUPP, "auto_translated_physmap", "PV autotranslate");

	k = linux_spec();
	set_str(&k, SPORE_XEN_NOTE_FEATURES, "!no_such_feature|pae_pgdir_above_4gb");
	rejects_spec(&k, ENOEXEC, "no_such_feature", "an unknown required feature");

	k = linux_spec();
	set_str(&k, SPORE_XEN_NOTE_FEATURES, "no_such_feature|dom0");
	struct buf b = build_elf(&k);
	struct spore_kernel_image img;
	is_int(parse(&b, &img), 0, "unknown optional feature and optional dom0 are fine");
	spore_kernel_image_free(&img);
	free(b.p);

	k = linux_spec();
	k.machine = EM_AARCH64;
	rejects_spec(&k, ENOEXEC, "aarch64", "an arm64 kernel");

	k = linux_spec();
	k.class = ELFCLASS32;
	rejects_spec(&k, ENOEXEC, "32-bit", "a 32-bit ELF");

	k = linux_spec();
	k.type = ET_REL;
	rejects_spec(&k, ENOEXEC, "not an executable", "a relocatable object");

	k = linux_spec();
	k.segs[1].paddr = PA0 + 0x2000;
	rejects_spec(&k, EINVAL, "overlap", "overlapping segments");

	k = linux_spec();
	k.segs[2].memsz = 2ULL << 30;
	rejects_spec(&k, EFBIG, "too large", "an oversized segment");

	k = linux_spec();
	k.segs[2].paddr = 0x40000000ULL * 2;
	rejects_spec(&k, EFBIG, "span", "segments spanning more than 1 GiB");

	k = linux_spec();
	k.segs[0].memsz = 0x1000;
	rejects_spec(&k, EINVAL, "above its memory size", "filesz > memsz");

	k = linux_spec();
	k.nsegs = 0;
	rejects_spec(&k, ENOEXEC, "no loadable", "no PT_LOAD");

	k = linux_spec();
	set_num(&k, SPORE_XEN_NOTE_ENTRY, VB + PA0 + 0xa000);
	rejects_spec(&k, EINVAL, "entry", "an entry past the kernel");

	k = linux_spec();
	set_num(&k, SPORE_XEN_NOTE_INIT_P2M, VB + PA0 + 0x1000);
	rejects_spec(&k, EINVAL, "INIT_P2M", "INIT_P2M inside the kernel");

	k = linux_spec();
	drop_note(&k, SPORE_XEN_NOTE_VIRT_BASE);
	rejects_spec(&k, EINVAL, "VIRT_BASE", "PADDR_OFFSET without VIRT_BASE");

	k = linux_spec();
	set_num(&k, SPORE_XEN_NOTE_PADDR_OFFSET, PA0 + 0x1000);
	set_num(&k, SPORE_XEN_NOTE_ENTRY, VB - 0x1000 + 0x100);
	rejects_spec(&k, EINVAL, "below its VIRT_BASE", "VIRT_BASE above the kernel");

	k = linux_spec();
	set_num(&k, SPORE_XEN_NOTE_VIRT_BASE, 0x0000900000000000ULL);
	set_num(&k, SPORE_XEN_NOTE_ENTRY, 0x0000900000000000ULL + PA0);
	rejects_spec(&k, EINVAL, "canonical", "a non-canonical kernel range");

	k = linux_spec();
	add_num(&k, SPORE_XEN_NOTE_HYPERCALL_PAGE, VB + PA0 + 0x1001, 8);
	rejects_spec(&k, EINVAL, "HYPERCALL_PAGE", "a misaligned hypercall page");

	k = linux_spec();
	drop_note(&k, SPORE_XEN_NOTE_ENTRY);
	add_num(&k, SPORE_XEN_NOTE_ENTRY, ENTRY, 3);
	rejects_spec(&k, EINVAL, "3-byte", "a numeric note of odd size");

	/* Byte-level damage. */
	k = linux_spec();
	b = build_elf(&k);
	struct buf c = {0};
	b_put(&c, b.p, b.len);
	put_le(c.p + offsetof(Elf64_Ehdr, e_phoff), b.len - 8, 8);
	rejects(&c, EINVAL, "program headers", "program headers past the end");
	memcpy(c.p, b.p, b.len);
	put_le(c.p + offsetof(Elf64_Ehdr, e_phentsize), 40, 2);
	rejects(&c, EINVAL, "program header size", "a bad e_phentsize");
	memcpy(c.p, b.p, b.len);
	put_le(c.p + offsetof(Elf64_Ehdr, e_phnum), 5000, 2);
	rejects(&c, EINVAL, "program headers", "a huge e_phnum");
	memcpy(c.p, b.p, b.len);
	/* First PT_LOAD's offset near the end: claims bytes that are not there. */
	put_le(c.p + sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_offset), b.len - 16, 8);
	rejects(&c, EINVAL, "past the end", "a segment past the end of the file");
	memcpy(c.p, b.p, b.len);
	put_le(c.p + sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_filesz), UINT64_MAX - 8, 8);
	rejects(&c, EINVAL, "past the end", "a segment size that overflows");
	memcpy(c.p, b.p, b.len);
	/* PT_NOTE with p_offset 0 (old binutils) is skipped, not parsed as notes. */
	put_le(c.p + sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr) + offsetof(Elf64_Phdr, p_offset),
	       0, 8);
	rejects(&c, ENOEXEC, "no Xen ELF notes", "a PT_NOTE with p_offset 0 and no sections");
	memcpy(c.p, b.p, b.len);
	/* The first note's namesz made huge. */
	size_t nat = sizeof(Elf64_Ehdr) + 4 * sizeof(Elf64_Phdr);
	put_le(c.p + nat, 0xfffffff0, 4);
	rejects(&c, EINVAL, "runs past", "a note running past its segment");
	memcpy(c.p, b.p, b.len);
	put_le(c.p + nat + 4, 0xfffffffd, 4);
	rejects(&c, EINVAL, "runs past", "a note desc size overflowing");
	free(c.p);

	/* Every truncation fails cleanly (ASan watches the reads). */
	int bad = 0;
	for (size_t n = 0; n < b.len; n += (n < 512 ? 1 : 97)) {
		struct spore_kernel_image img2;
		int r = spore_kernel_parse(b.p, n, &img2, &err);
		spore_kernel_image_free(&img2);
		bad += r == 0;
	}
	is_int(bad, 0, "every truncated ELF is rejected");
	struct buf t = {0};
	b_put(&t, b.p, 40);
	rejects(&t, ENOEXEC, "truncated", "a truncated ELF header");
	free(t.p);
	free(b.p);
}

static const enum spore_comp comps[] = {
	SPORE_COMP_GZIP, SPORE_COMP_BZIP2, SPORE_COMP_XZ,
	SPORE_COMP_LZMA, SPORE_COMP_LZ4,   SPORE_COMP_ZSTD,
};
#define NCOMPS (sizeof(comps) / sizeof(comps[0]))

static void test_bzimage(void)
{
	struct kspec k = linux_spec();
	struct buf elf = build_elf(&k);
	struct spore_kernel_image img;

	for (size_t i = 0; i < NCOMPS; i++) {
		const char *cn = spore_comp_name(comps[i]);
		struct buf p = make_payload(comps[i], elf.p, elf.len, true);
		struct buf bz = build_bzimage(p.p, p.len, 0x020f);
		int r = parse(&bz, &img);
		is_int(r, 0, "bzImage with %s payload parses (%s)", cn, err.msg);
		ok(img.loader == &spore_loader_bzimage && img.compression == comps[i],
		   "%s: loader bzImage, compression detected", cn);
		ok(img.elf_len == elf.len && !memcmp(img.elf, elf.p, elf.len),
		   "%s: embedded ELF recovered exactly", cn);
		ok(img.entry == ENTRY && img.nsegs == 3, "%s: notes and segments parsed", cn);
		spore_kernel_image_free(&img);

		/* Truncated bzImage: payload runs past the file. */
		struct buf cut = {0};
		b_put(&cut, bz.p, bz.len - p.len / 2);
		rejects(&cut, EINVAL, "lies outside", "a truncated bzImage");
		free(cut.p);

		/* Payload cut short but header adjusted: the stream itself ends early. */
		if (comps[i] != SPORE_COMP_LZ4) {
			size_t keep = p.len / 2;
			struct buf half = {0};
			b_put(&half, p.p, keep);
			uint8_t t[4];
			put_le(t, elf.len, 4);
			if (comps[i] != SPORE_COMP_GZIP)
				b_put(&half, t, 4);
			struct buf bz2 = build_bzimage(half.p, half.len, 0x020f);
			struct spore_kernel_image im2;
			r = parse(&bz2, &im2);
			spore_kernel_image_free(&im2);
			ok(r < 0 && strstr(err.msg, "bzImage payload"),
			   "%s: a cut stream is rejected: %s", cn, err.msg);
			free(bz2.p);
			free(half.p);
		}

		/* A trailer that lies: too small, too large, beyond the cap. */
		if (comps[i] != SPORE_COMP_GZIP) {
			put_le(bz.p + bz.len - 4, elf.len - 1, 4);
			rejects(&bz, EFBIG, "more than", "a payload larger than its trailer");
			put_le(bz.p + bz.len - 4, elf.len + 1, 4);
			struct spore_kernel_image im3;
			r = parse(&bz, &im3);
			spore_kernel_image_free(&im3);
			ok(r < 0, "%s: a payload smaller than its trailer: %s", cn, err.msg);
			put_le(bz.p + bz.len - 4, 0xf0000000, 4);
			rejects(&bz, EFBIG, "limit", "a trailer claiming 3.75 GiB");
		}
		free(bz.p);
		free(p.p);
	}

	/* Header problems. */
	struct buf p = make_payload(SPORE_COMP_GZIP, elf.p, elf.len, true);
	struct buf bz = build_bzimage(p.p, p.len, 0x0207);
	rejects(&bz, ENOEXEC, "older than 2.08", "boot protocol 2.07");
	put_le(bz.p + 0x206, 0x020f, 2);
	put_le(bz.p + 0x248, 0xfffffff0, 4);
	rejects(&bz, EINVAL, "lies outside", "a payload offset past the end");
	put_le(bz.p + 0x248, 0x40, 4);
	put_le(bz.p + 0x24c, 0, 4);
	rejects(&bz, EINVAL, "lies outside", "a zero payload length");
	put_le(bz.p + 0x24c, p.len, 4);
	bz.p[1024 + 0x40] = 'X';
	rejects(&bz, ENOEXEC, "unknown compression", "an unknown payload compression");
	memcpy(bz.p + 1024 + 0x40, "\x89LZO", 4);
	rejects(&bz, ENOTSUP, "lzo", "an LZO payload");
	struct buf shorthdr = {0};
	b_put(&shorthdr, bz.p, 0x230);
	rejects(&shorthdr, EINVAL, "truncated", "a truncated setup header");
	free(shorthdr.p);
	free(bz.p);
	free(p.p);

	/* A payload that is not an ELF. */
	static const char text[] = "this is not an ELF kernel, just text\n";
	p = make_payload(SPORE_COMP_XZ, (const uint8_t *)text, sizeof(text), true);
	bz = build_bzimage(p.p, p.len, 0x020f);
	rejects(&bz, ENOEXEC, "not an ELF", "a payload that is not an ELF");
	free(bz.p);
	free(p.p);

	/* A bzImage whose ELF has no Xen notes: the ELF message comes through. */
	k.nnotes = 0;
	struct buf plain = build_elf(&k);
	p = make_payload(SPORE_COMP_ZSTD, plain.p, plain.len, true);
	bz = build_bzimage(p.p, p.len, 0x020f);
	rejects(&bz, ENOEXEC, "not PV capable", "a bzImage of a non-PV kernel");
	free(bz.p);
	free(p.p);
	free(plain.p);
	free(elf.p);
}

static void test_whole_file_and_garbage(void)
{
	struct kspec k = linux_spec();
	struct buf elf = build_elf(&k);
	struct spore_kernel_image img;

	for (size_t i = 0; i < NCOMPS; i++) {
		struct buf p = make_payload(comps[i], elf.p, elf.len, false);
		int r = parse(&p, &img);
		is_int(r, 0, "whole-file %s vmlinux parses (%s)", spore_comp_name(comps[i]),
		       err.msg);
		ok(img.loader == &spore_loader_compressed && img.entry == ENTRY,
		   "%s: compressed-elf loader", spore_comp_name(comps[i]));
		spore_kernel_image_free(&img);
		free(p.p);
	}
	struct buf txt = {0};
	b_put(&txt, "#!/bin/sh\necho hello\n", 21);
	rejects(&txt, ENOEXEC, "not a kernel image", "a text file");
	free(txt.p);
	struct buf empty = {0};
	b_put(&empty, "", 0);
	rejects(&empty, ENOEXEC, "not a kernel image", "an empty buffer");
	free(empty.p);
	free(elf.p);
}

static void test_bombs(void)
{
	size_t n = 16U << 20;
	uint8_t *zeros = calloc(1, n);
	for (size_t i = 0; i < NCOMPS; i++) {
		const char *cn = spore_comp_name(comps[i]);
		struct buf p = make_payload(comps[i], zeros, n, false);
		uint8_t *out;
		size_t olen;
		spore_err_clear(&err);
		int r = spore_decompress(comps[i], p.p, p.len, false, 4U << 20, &out, &olen, &err);
		ok(r == -EFBIG && !out, "%s: 16 MiB of zeros stopped at a 4 MiB cap: %s", cn,
		   err.msg);
		r = spore_decompress(comps[i], p.p, p.len, false, 64U << 20, &out, &olen, &err);
		ok(r == 0 && olen == n, "%s: same stream fits a 64 MiB cap", cn);
		free(out);
		r = spore_decompress(comps[i], p.p, p.len, false, n, &out, &olen, &err);
		ok(r == 0 && olen == n, "%s: a stream ending exactly at the cap fits", cn);
		free(out);
		r = spore_decompress(comps[i], p.p, p.len, false, n - 1, &out, &olen, &err);
		ok(r == -EFBIG, "%s: one byte over the cap is refused", cn);

		/* Corrupt the middle of the stream: never a crash (ASan), never
		 * the original back; formats with a checksum refuse it. */
		if (p.len > 64) {
			bool checked = comps[i] == SPORE_COMP_GZIP || comps[i] == SPORE_COMP_BZIP2 ||
				       comps[i] == SPORE_COMP_XZ;
			for (size_t j = p.len / 3; j < p.len / 3 + 16; j++)
				p.p[j] ^= 0x5a;
			r = spore_decompress(comps[i], p.p, p.len, false, 64U << 20, &out, &olen,
					     &err);
			bool same = r == 0 && olen == n && !memcmp(out, zeros, n);
			if (r == 0)
				free(out);
			ok(checked ? r < 0 : !same, "%s: a corrupt stream is %s (%d)", cn,
			   checked ? "refused" : "not taken for the original", r);
		}
		free(p.p);
	}
	free(zeros);

	/* Through the loader: a bzImage whose payload inflates past the lowered
	 * loader cap. */
	size_t saved = spore_kernel_decompress_max;
	spore_kernel_decompress_max = 1U << 20;
	struct kspec k = linux_spec();
	k.segs[2].filesz = 0x200000;
	k.segs[2].memsz = 0x200000;
	struct buf elf = build_elf(&k);
	struct buf p = make_payload(SPORE_COMP_XZ, elf.p, elf.len, false);
	uint8_t t[4];
	put_le(t, 1000, 4);
	b_put(&p, t, 4);
	struct buf bz = build_bzimage(p.p, p.len, 0x020f);
	rejects(&bz, EFBIG, "more than", "a bomb under a lying trailer");
	put_le(bz.p + bz.len - 4, elf.len, 4);
	rejects(&bz, EFBIG, "limit", "a payload beyond the loader cap");
	spore_kernel_decompress_max = saved;
	free(bz.p);
	free(p.p);
	free(elf.p);
}

static int write_file(const char *path, const struct buf *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, b->p, b->len);
	close(fd);
	return w == (ssize_t)b->len ? 0 : -1;
}

/* Loads img and the plain ELF elf into views: the same guest memory? */
static bool same_load(const struct spore_kernel_image *img, const uint8_t *elf, size_t len)
{
	struct spore_kernel_image ref;
	struct spore_err e = {0};
	memset(&ref, 0, sizeof(ref));
	if (spore_elf_parse(elf, len, &ref, &e) < 0 || ref.virt_kstart != img->virt_kstart ||
	    ref.virt_kend != img->virt_kend)
		return false;
	uint64_t span = ref.virt_kend - ref.virt_kstart;
	uint8_t *a = malloc(span), *b = malloc(span);
	memset(a, 0x55, span);
	memset(b, 0xaa, span);
	struct spore_guest_view va = {a, ref.virt_kstart, span}, vb = {b, img->virt_kstart, span};
	int ra = spore_elf_load(&ref, &va, &e), rb = spore_kernel_load(img, &vb, &e);
	bool same = ra == 0 && rb == 0 && !memcmp(a, b, span);
	if (!same)
		printf("# same_load: %d %d %s\n", ra, rb, e.msg);
	free(a);
	free(b);
	return same;
}

/* The cache's compact form: zero pages left out, the same kernel. */
static void test_compact(void)
{
	struct kspec k = linux_spec();
	k.segs[0].filesz = k.segs[0].memsz = 0x5000; /* up to segment 1 */
	k.segs[1].paddr = PA0 + 0x5000;
	struct buf b = build_elf(&k);
	struct spore_kernel_image img, c;
	memset(&img, 0, sizeof(img));
	memset(&c, 0, sizeof(c));
	is_int(spore_elf_parse(b.p, b.len, &img, &err), 0, "parse: %s", err.msg);
	/* Zero pages inside segment 0 (two runs) and at segment 2's end. */
	memset(b.p + img.segs[0].offset + 0x1000, 0, 0x1000);
	memset(b.p + img.segs[0].offset + 0x3000, 0, 0x1000);
	memset(b.p + img.segs[2].offset + 0x1000, 0, 0x800);
	uint8_t *e = NULL;
	size_t len = 0, head = 0;
	is_int(spore_elf_compact(&img, &e, &len, &head, &err), 0, "compact: %s", err.msg);
	is_int(spore_elf_parse(e, len, &c, &err), 0, "the compact ELF parses: %s", err.msg);
	is_int(c.nsegs, 5, "segment 0 split at its two zero pages");
	ok(len < b.len - 0x2000, "the zero pages are not stored (%zu of %zu bytes)", len, b.len);
	ok(head % 8 == 0 && c.segs[0].offset == head, "data starts after the 8-aligned head");
	ok(c.entry == img.entry && c.virt_kstart == img.virt_kstart && c.virt_kend == img.virt_kend &&
	   c.xen_note_count == img.xen_note_count && !strcmp(c.features, img.features),
	   "same entry, span and notes");
	c.loader = &spore_loader_elf;
	ok(same_load(&c, b.p, b.len), "loads to the same guest memory");
	spore_kernel_image_free(&c);
	free(e);

	/* Notes only in sections (no PT_NOTE): kept. */
	struct kspec ks = linux_spec();
	ks.notes_as_section = true;
	struct buf bs = build_elf(&ks);
	memset(&img, 0, sizeof(img));
	memset(&c, 0, sizeof(c));
	is_int(spore_elf_parse(bs.p, bs.len, &img, &err), 0, "parse (section notes)");
	is_int(spore_elf_compact(&img, &e, &len, &head, &err), 0, "compact (section notes)");
	ok(spore_elf_parse(e, len, &c, &err) == 0 && c.xen_note_count == img.xen_note_count &&
	   c.entry == img.entry, "section notes carried into a PT_NOTE");
	free(e);
	free(bs.p);
	free(b.p);
}

/* The entry check on its own: what a cache file can suffer (cut short,
 * a torn write leaving a zeroed range, a flipped bit, words moved, another
 * kernel's or another version's entry) is refused; a good entry passes. */
static void test_cache_check(void)
{
	enum { ELF_LEN = 3 * 4096 + 5 }; /* a tail shorter than a word */
	size_t len = SPORE_KCACHE_HDR_LEN + ELF_LEN;
	uint8_t key[32], *e = malloc(len), *c = malloc(len);
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 11 + 3);
	for (size_t i = 0; i < ELF_LEN; i++)
		e[SPORE_KCACHE_HDR_LEN + i] = (uint8_t)(i * 131 + (i >> 9));
	/* A head that ends inside a word: the sums' framing is each part's own. */
	spore_kcache_header(e, key, e + SPORE_KCACHE_HDR_LEN, ELF_LEN, 4096 + 3, SPORE_COMP_LZ4);
	ok(spore_kcache_check(e, len, key) == NULL, "a good entry passes");

	const char *why = spore_kcache_check(e, len - 1, key);
	ok(why && strstr(why, "length"), "one byte short: %s", why ? why : "accepted");
	ok(spore_kcache_check(e, 100, key) != NULL, "shorter than the header");
	ok(spore_kcache_check(e, 0, key) != NULL, "empty");

	uint8_t other[32];
	memcpy(other, key, 32);
	other[31] ^= 1;
	why = spore_kcache_check(e, len, other);
	ok(why && strstr(why, "another kernel"), "another key: %s", why ? why : "accepted");

	int missed = 0;
	for (size_t bit = 0; bit < (size_t)ELF_LEN * 8; bit += 37) {
		memcpy(c, e, len);
		c[SPORE_KCACHE_HDR_LEN + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		missed += spore_kcache_check(c, len, key) == NULL;
	}
	is_int(missed, 0, "every single flipped bit in the ELF is detected");
	memcpy(c, e, len);
	c[len - 1] ^= 0x80; /* in the partial last word */
	ok(spore_kcache_check(c, len, key) != NULL, "a flip in the tail is detected");

	memcpy(c, e, len);
	memset(c + SPORE_KCACHE_HDR_LEN + 4096, 0, 4096); /* a page that never hit the disk */
	why = spore_kcache_check(c, len, key);
	ok(why && strstr(why, "checksum"), "a zeroed page: %s", why ? why : "accepted");

	memcpy(c, e, len);
	uint8_t w[8];
	memcpy(w, c + SPORE_KCACHE_HDR_LEN, 8);
	memcpy(c + SPORE_KCACHE_HDR_LEN, c + SPORE_KCACHE_HDR_LEN + 8, 8);
	memcpy(c + SPORE_KCACHE_HDR_LEN + 8, w, 8);
	ok(spore_kcache_check(c, len, key) != NULL, "two words swapped (same plain sum)");

	memcpy(c, e, len);
	c[7] = '2';
	why = spore_kcache_check(c, len, key);
	ok(why && strstr(why, "version"), "an older version's entry: %s", why ? why : "accepted");
	memcpy(c, e, len);
	c[0] = 'X';
	ok(spore_kcache_check(c, len, key) != NULL, "bad magic");
	memcpy(c, e, len);
	c[SPORE_KCACHE_HDR_LEN - 1] = 1;
	ok(spore_kcache_check(c, len, key) != NULL, "header padding not zero");
	memcpy(c, e, len);
	c[8] = 0; /* compression: none */
	ok(spore_kcache_check(c, len, key) != NULL, "bad compression field");

	/* The sums: known values, so the format cannot drift unnoticed. */
	uint64_t sum[2];
	const uint8_t bytes[9] = {1, 0, 0, 0, 0, 0, 0, 0, 2};
	spore_kcache_sum(bytes, sizeof(bytes), sum);
	ok(sum[0] == 3 && sum[1] == 4, "sum of words 1, 2: (%llu, %llu)",
	   (unsigned long long)sum[0], (unsigned long long)sum[1]);
	spore_kcache_sum(bytes, 0, sum);
	ok(sum[0] == 0 && sum[1] == 0, "sum of nothing");
	free(e);
	free(c);
}

static void test_cache(void)
{
	char dir[] = "/tmp/spore-kcache-test.XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	char kpath[512], cdir[512], entry[1024], hex[65], elfpath[512];
	snprintf(kpath, sizeof(kpath), "%s/vmlinuz", dir);
	snprintf(cdir, sizeof(cdir), "%s/cache/kernels", dir);

	struct kspec k = linux_spec();
	struct buf elf = build_elf(&k);
	struct buf p = make_payload(SPORE_COMP_XZ, elf.p, elf.len, true);
	struct buf bz = build_bzimage(p.p, p.len, 0x020f);
	write_file(kpath, &bz);

	struct spore_kernel_image img;
	is_int(spore_kernel_open(kpath, cdir, &img, &err), 0, "open bzImage with cache: %s",
	       err.msg);
	ok(!img.from_cache, "first open decompresses");
	uint8_t sha[32];
	spore_sha256(bz.p, bz.len, sha, &err);
	ok(!memcmp(sha, img.file_sha256, 32), "file sha256 recorded");
	spore_sha256_hex(sha, hex);
	snprintf(entry, sizeof(entry), "%s/%s.elf", cdir, hex);
	ok(access(entry, F_OK) == 0, "cache entry written under its sha256");
	spore_kernel_image_free(&img);

	is_int(spore_kernel_open(kpath, cdir, &img, &err), 0, "second open");
	ok(img.from_cache && img.compression == SPORE_COMP_XZ &&
	   img.loader == &spore_loader_bzimage, "second open is a cache hit, format kept");
	ok(img.entry == ENTRY && same_load(&img, elf.p, elf.len), "cached kernel loads identically");
	spore_kernel_image_free(&img);

	/* The file's sha256 is remembered under its identity... */
	struct stat kst;
	char srcpath[1200], srchex[65] = {0};
	stat(kpath, &kst);
	snprintf(srcpath, sizeof(srcpath), "%s/src/%llx-%llx-%llx-%lld.%09ld-%lld.%09ld", cdir,
		 (unsigned long long)kst.st_dev, (unsigned long long)kst.st_ino,
		 (unsigned long long)kst.st_size, (long long)kst.st_mtim.tv_sec, kst.st_mtim.tv_nsec,
		 (long long)kst.st_ctim.tv_sec, kst.st_ctim.tv_nsec);
	int sfd = open(srcpath, O_RDONLY);
	ok(sfd >= 0 && read(sfd, srchex, 64) == 64 && !strcmp(srchex, hex),
	   "kernel's sha256 remembered under its identity");
	if (sfd >= 0)
		close(sfd);
	/* ...and a changed file (same size, new content) gets its own. */
	struct buf bz2 = build_bzimage(p.p, p.len, 0x020f);
	bz2.p[0x1f0] ^= 0xff; /* a byte of the boot sector: not used by the loader */
	write_file(kpath, &bz2);
	uint8_t sha2[32];
	spore_sha256(bz2.p, bz2.len, sha2, &err);
	is_int(spore_kernel_open(kpath, cdir, &img, &err), 0, "open the changed kernel");
	ok(!memcmp(img.file_sha256, sha2, 32) && memcmp(sha2, sha, 32),
	   "a changed kernel file is hashed again, not taken from the index");
	spore_kernel_image_free(&img);
	write_file(kpath, &bz);
	free(bz2.p);

	/* Flip one byte of the cached ELF: detected, rebuilt. */
	int fd = open(entry, O_RDWR);
	uint8_t x;
	pread(fd, &x, 1, 128 + 500);
	x ^= 1;
	pwrite(fd, &x, 1, 128 + 500);
	close(fd);
	is_int(spore_kernel_open(kpath, cdir, &img, &err), 0, "open with a corrupt entry");
	ok(!img.from_cache && !memcmp(img.elf, elf.p, elf.len), "corrupt entry not used");
	spore_kernel_image_free(&img);
	is_int(spore_kernel_open(kpath, cdir, &img, &err), 0, "open after rebuild");
	ok(img.from_cache, "rebuilt entry is a hit");
	spore_kernel_image_free(&img);

	/* Flip a byte of the data: the head passes, the load finds it, removes
	 * the entry and fails; the next open rebuilds it. */
	struct stat est;
	stat(entry, &est);
	fd = open(entry, O_RDWR);
	pread(fd, &x, 1, est.st_size - 1);
	x ^= 0x40;
	pwrite(fd, &x, 1, est.st_size - 1);
	close(fd);
	is_int(spore_kernel_open(kpath, cdir, &img, &err), 0, "open with corrupt data");
	ok(img.from_cache, "corrupt data is not seen at open (only the head is read)");
	{
		uint64_t span = img.virt_kend - img.virt_kstart;
		uint8_t *m = malloc(span);
		struct spore_guest_view v = {m, img.virt_kstart, span};
		is_int(spore_kernel_load(&img, &v, &err), -EBADMSG, "load finds it: %s", err.msg);
		free(m);
	}
	ok(access(entry, F_OK) != 0, "the corrupt entry is removed");
	spore_kernel_image_free(&img);
	is_int(spore_kernel_open(kpath, cdir, &img, &err), 0, "open rebuilds");
	spore_kernel_image_free(&img);
	is_int(spore_kernel_open(kpath, cdir, &img, &err), 0, "open after rebuild");
	ok(img.from_cache && same_load(&img, elf.p, elf.len), "rebuilt entry is a good hit");
	spore_kernel_image_free(&img);

	/* Truncated entry. */
	truncate(entry, 200);
	is_int(spore_kernel_open(kpath, cdir, &img, &err), 0, "open with a truncated entry");
	ok(!img.from_cache, "truncated entry not used");
	spore_kernel_image_free(&img);
	struct stat st;
	ok(stat(entry, &st) == 0 && st.st_size > 200, "entry rewritten");

	/* An entry for another kernel renamed onto this key. */
	uint8_t other[32] = {1};
	spore_kcache_put(cdir, other, elf.p, elf.len, SPORE_COMP_GZIP, &err);
	char ohex[65], opath[1024];
	spore_sha256_hex(other, ohex);
	snprintf(opath, sizeof(opath), "%s/%s.elf", cdir, ohex);
	rename(opath, entry);
	is_int(spore_kernel_open(kpath, cdir, &img, &err), 0, "open with a misfiled entry");
	ok(!img.from_cache, "entry naming another kernel not used");
	spore_kernel_image_free(&img);

	/* A temporary file left by a writer that died is swept once stale. */
	char stale[1200], fresh[1200];
	snprintf(stale, sizeof(stale), "%s.tmp.dead01", entry);
	snprintf(fresh, sizeof(fresh), "%s.tmp.busy01", entry);
	struct buf junk = {0};
	b_put(&junk, "partial", 7);
	write_file(stale, &junk);
	write_file(fresh, &junk);
	free(junk.p);
	struct timespec old_times[2] = {{.tv_sec = time(NULL) - 7200}, {.tv_sec = time(NULL) - 7200}};
	utimensat(AT_FDCWD, stale, old_times, 0);
	unlink(entry);
	is_int(spore_kernel_open(kpath, cdir, &img, &err), 0, "open rewrites the entry");
	spore_kernel_image_free(&img);
	ok(access(stale, F_OK) != 0 && access(fresh, F_OK) == 0,
	   "stale temporary swept, recent one kept");

	/* Unusable cache directory: still opens. */
	char badcache[600];
	snprintf(badcache, sizeof(badcache), "%s/vmlinuz/sub", dir);
	is_int(spore_kernel_open(kpath, badcache, &img, &err), 0,
	       "an unusable cache directory does not fail the open");
	spore_kernel_image_free(&img);

	/* A plain ELF is not cached. */
	snprintf(elfpath, sizeof(elfpath), "%s/vmlinux", dir);
	write_file(elfpath, &elf);
	char cdir2[600];
	snprintf(cdir2, sizeof(cdir2), "%s/cache2", dir);
	is_int(spore_kernel_open(elfpath, cdir2, &img, &err), 0, "open plain vmlinux");
	ok(access(cdir2, F_OK) != 0 && img.loader == &spore_loader_elf, "plain ELF not cached");
	spore_kernel_image_free(&img);

	/* Missing and empty files. */
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/nope", dir);
	is_int(spore_kernel_open(missing, NULL, &img, &err), -ENOENT, "missing kernel: %s",
	       err.msg);
	spore_kernel_image_free(&img);
	struct buf empty = {0};
	char epath[600];
	snprintf(epath, sizeof(epath), "%s/empty", dir);
	write_file(epath, &empty);
	is_int(spore_kernel_open(epath, NULL, &img, &err), -EINVAL, "empty kernel: %s", err.msg);
	spore_kernel_image_free(&img);

	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	free(bz.p);
	free(p.p);
	free(elf.p);
}

/* Seeds for tests/fuzz: the synthetic kernels in every wrapping. */
static int write_corpus(const char *dir)
{
	char path[1024];
	struct kspec k = linux_spec();
	struct buf elf = build_elf(&k);
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	int bad = write_file(path, &elf);
	k.notes_as_section = true;
	struct buf sec = build_elf(&k);
	snprintf(path, sizeof(path), "%s/vmlinux-shnotes", dir);
	bad |= write_file(path, &sec);
	for (size_t i = 0; i < NCOMPS; i++) {
		struct buf p = make_payload(comps[i], elf.p, elf.len, true);
		struct buf bz = build_bzimage(p.p, p.len, 0x020f);
		snprintf(path, sizeof(path), "%s/bzImage-%s", dir, spore_comp_name(comps[i]));
		bad |= write_file(path, &bz);
		struct buf w = make_payload(comps[i], elf.p, elf.len, false);
		snprintf(path, sizeof(path), "%s/vmlinux.%s", dir, spore_comp_name(comps[i]));
		bad |= write_file(path, &w);
		free(w.p);
		free(bz.p);
		free(p.p);
	}
	free(sec.p);
	free(elf.p);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--write-corpus"))
		return write_corpus(argv[2]);
	test_elf_parse_and_load();
	test_elf_variants();
	test_elf_rejections();
	test_bzimage();
	test_whole_file_and_garbage();
	test_bombs();
	test_compact();
	test_cache_check();
	test_cache();
	return tap_done();
}

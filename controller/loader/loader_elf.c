/* ELF64 x86_64 vmlinux: PT_LOAD segments and Xen ELF notes, validated with
 * the rules Xen's tools apply (see xen-pv-internals.md §1.3), then copied to
 * guest memory by physical address. Every field is read from untrusted bytes
 * with explicit bounds checks; nothing is cast onto the buffer. */
#include "kernel_image.h"
#include <spore/log.h>

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "loader_priv.h"

#define EH(f)  offsetof(Elf64_Ehdr, f)
#define PH(f)  offsetof(Elf64_Phdr, f)
#define SH(f)  offsetof(Elf64_Shdr, f)
#define PAGE   4096ULL

/* XENFEAT_* names as the FEATURES note spells them, by bit number. */
static const char *const xenfeat_names[] = {
	"writable_page_tables", "writable_descriptor_tables", "auto_translated_physmap",
	"supervisor_mode_kernel", "pae_pgdir_above_4gb", "mmu_pt_update_preserve_ad",
	"highmem_assist", "gnttab_map_avail_bits", "hvm_callback_vector",
	"hvm_safe_pvclock", "hvm_pirqs", "dom0", "grant_map_identity",
	"memory_op_vnode_supported", "ARM_SMCCC_supported", "linux_rsdp_unrestricted",
	"not_direct_mapped", "direct_mapped",
};

struct notes {
	uint32_t seen; /* bit n: Xen note type n was present */
	unsigned total;
};

static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_386: return "i386";
	case EM_X86_64: return "x86_64";
	case EM_ARM: return "arm";
	case EM_AARCH64: return "aarch64";
	case EM_RISCV: return "riscv";
	case EM_PPC64: return "ppc64";
	case EM_S390: return "s390";
	default: return "an unknown machine";
	}
}

static int elf_probe(const uint8_t *buf, size_t len)
{
	return len >= SELFMAG && !memcmp(buf, ELFMAG, SELFMAG) ? 0 : -ENOEXEC;
}

/* Copies a string note into dst, replacing unprintable bytes: these strings
 * end up on terminals. */
static void note_str(char *dst, size_t cap, const uint8_t *desc, uint32_t n)
{
	size_t i = 0;
	for (; i < n && i + 1 < cap && desc[i]; i++)
		dst[i] = desc[i] >= 0x20 && desc[i] < 0x7f ? (char)desc[i] : '?';
	dst[i] = '\0';
}

static int note_num(const uint8_t *desc, uint32_t n, uint64_t *v)
{
	switch (n) {
	case 1: *v = desc[0]; return 0;
	case 2: *v = ld_le16(desc); return 0;
	case 4: *v = ld_le32(desc); return 0;
	case 8: *v = ld_le64(desc); return 0;
	default: return -EINVAL;
	}
}

/* FEATURES: names separated by '|', '!' marks a required one. Unknown
 * optional features are ignored; an unknown required one cannot be met. */
static int parse_features(struct spore_kernel_image *img, struct spore_err *err)
{
	const char *p = img->features;
	while (*p) {
		size_t n = strcspn(p, "|");
		bool req = *p == '!';
		const char *name = p + req;
		size_t nl = n - req;
		size_t i = 0;
		for (; i < sizeof(xenfeat_names) / sizeof(xenfeat_names[0]); i++)
			if (strlen(xenfeat_names[i]) == nl && !memcmp(xenfeat_names[i], name, nl))
				break;
		if (i < sizeof(xenfeat_names) / sizeof(xenfeat_names[0])) {
			img->features_supported |= 1U << i;
			if (req)
				img->features_required |= 1U << i;
		} else if (req && nl) {
			return spore_err_setx(err, ENOEXEC,
					      "kernel requires the unknown Xen feature '%.*s'",
					      (int)(nl > 64 ? 64 : nl), name);
		}
		p += n + (p[n] == '|');
	}
	return 0;
}

static int xen_note(struct spore_kernel_image *img, struct notes *st, uint32_t type,
		    const uint8_t *desc, uint32_t dlen, struct spore_err *err)
{
	uint64_t v = 0;
	bool numeric = true;

	switch (type) {
	case SPORE_XEN_NOTE_GUEST_OS:
		note_str(img->guest_os, sizeof(img->guest_os), desc, dlen);
		numeric = false;
		break;
	case SPORE_XEN_NOTE_GUEST_VERSION:
		note_str(img->guest_version, sizeof(img->guest_version), desc, dlen);
		numeric = false;
		break;
	case SPORE_XEN_NOTE_XEN_VERSION:
		note_str(img->xen_version, sizeof(img->xen_version), desc, dlen);
		numeric = false;
		break;
	case SPORE_XEN_NOTE_LOADER:
		note_str(img->loader_name, sizeof(img->loader_name), desc, dlen);
		numeric = false;
		break;
	case SPORE_XEN_NOTE_PAE_MODE:
		note_str(img->pae_mode, sizeof(img->pae_mode), desc, dlen);
		numeric = false;
		break;
	case SPORE_XEN_NOTE_FEATURES:
		note_str(img->features, sizeof(img->features), desc, dlen);
		numeric = false;
		break;
	case SPORE_XEN_NOTE_BSD_SYMTAB:
	case SPORE_XEN_NOTE_L1_MFN_VALID: /* only for 32-bit guests / symbol loading */
		numeric = false;
		break;
	case SPORE_XEN_NOTE_ENTRY:
	case SPORE_XEN_NOTE_HYPERCALL_PAGE:
	case SPORE_XEN_NOTE_VIRT_BASE:
	case SPORE_XEN_NOTE_PADDR_OFFSET:
	case SPORE_XEN_NOTE_HV_START_LOW:
	case SPORE_XEN_NOTE_SUSPEND_CANCEL:
	case SPORE_XEN_NOTE_INIT_P2M:
	case SPORE_XEN_NOTE_MOD_START_PFN:
	case SPORE_XEN_NOTE_SUPPORTED_FEATURES:
	case SPORE_XEN_NOTE_PHYS32_ENTRY:
		break;
	default:
		return 0; /* unknown types are skipped, as Xen does */
	}
	if (numeric) {
		/* SUPPORTED_FEATURES is an array of u32 submaps; only submap 0 exists. */
		if (type == SPORE_XEN_NOTE_SUPPORTED_FEATURES && dlen > 4)
			dlen = 4;
		if (note_num(desc, dlen, &v) < 0)
			return spore_err_setx(err, EINVAL,
					      "Xen ELF note %u has a %u-byte value (want 1, 2, 4 or 8)",
					      type, dlen);
	}
	switch (type) {
	case SPORE_XEN_NOTE_ENTRY: img->entry = v; break;
	case SPORE_XEN_NOTE_HYPERCALL_PAGE:
		img->has_hypercall_page = true;
		img->hypercall_page = v;
		break;
	case SPORE_XEN_NOTE_VIRT_BASE: img->virt_base = v; break;
	case SPORE_XEN_NOTE_PADDR_OFFSET: img->elf_paddr_offset = v; break;
	case SPORE_XEN_NOTE_HV_START_LOW:
		img->has_hv_start_low = true;
		img->hv_start_low = v;
		break;
	case SPORE_XEN_NOTE_SUSPEND_CANCEL: img->suspend_cancel = v != 0; break;
	case SPORE_XEN_NOTE_INIT_P2M: img->init_p2m = v; break;
	case SPORE_XEN_NOTE_MOD_START_PFN: img->mod_start_pfn = v != 0; break;
	case SPORE_XEN_NOTE_SUPPORTED_FEATURES: img->features_supported |= (uint32_t)v; break;
	case SPORE_XEN_NOTE_PHYS32_ENTRY:
		img->has_phys32_entry = true;
		img->phys32_entry = (uint32_t)v;
		break;
	}
	st->seen |= 1U << type;
	img->xen_note_count++;
	return 0;
}

/* Walks the notes in p[0..len). Malformed notes are an error: a kernel whose
 * note area we cannot walk cannot be trusted to have the notes we need. */
static int walk_notes(struct spore_kernel_image *img, struct notes *st, const uint8_t *p,
		      uint64_t len, struct spore_err *err)
{
	uint64_t off = 0;
	while (len - off >= 12) {
		uint32_t namesz = ld_le32(p + off), descsz = ld_le32(p + off + 4);
		uint32_t type = ld_le32(p + off + 8);
		if (++st->total > SPORE_KERNEL_MAX_NOTES)
			return spore_err_setx(err, EINVAL, "ELF has more than %u notes",
					      SPORE_KERNEL_MAX_NOTES);
		off += 12;
		uint64_t name_al = ((uint64_t)namesz + 3) & ~3ULL;
		uint64_t desc_al = ((uint64_t)descsz + 3) & ~3ULL;
		if (!range_ok(off, namesz, len) || !range_ok(off + namesz, descsz, len) ||
		    !range_ok(off, name_al, len))
			return spore_err_setx(err, EINVAL,
					      "ELF note at offset %" PRIu64 " runs past its note area",
					      off - 12);
		const uint8_t *name = p + off;
		const uint8_t *desc = p + off + name_al;
		if (!range_ok(off + name_al, descsz, len))
			return spore_err_setx(err, EINVAL,
					      "ELF note at offset %" PRIu64 " runs past its note area",
					      off - 12);
		if (namesz == 4 && !memcmp(name, "Xen", 4)) {
			int r = xen_note(img, st, type, desc, descsz, err);
			if (r < 0)
				return r;
		}
		/* The last note's padding may be missing. */
		off += name_al;
		off = desc_al <= len - off ? off + desc_al : len;
	}
	return 0;
}

static int notes_from_phdrs(const uint8_t *elf, size_t len, uint64_t phoff, unsigned phnum,
			    struct spore_kernel_image *img, struct notes *st, struct spore_err *err)
{
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = elf + phoff + (uint64_t)i * sizeof(Elf64_Phdr);
		if (ld_le32(ph + PH(p_type)) != PT_NOTE)
			continue;
		uint64_t off = ld_le64(ph + PH(p_offset)), sz = ld_le64(ph + PH(p_filesz));
		if (off == 0)
			continue; /* some binutils versions leave p_offset unset on notes */
		if (!range_ok(off, sz, len))
			return spore_err_setx(err, EINVAL,
					      "ELF PT_NOTE segment %u (offset 0x%" PRIx64
					      ", size 0x%" PRIx64 ") lies outside the %zu-byte file",
					      i, off, sz, len);
		int r = walk_notes(img, st, elf + off, sz, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int notes_from_shdrs(const uint8_t *elf, size_t len, struct spore_kernel_image *img,
			    struct notes *st, struct spore_err *err)
{
	uint64_t shoff = ld_le64(elf + EH(e_shoff));
	unsigned shnum = ld_le16(elf + EH(e_shnum)), shentsize = ld_le16(elf + EH(e_shentsize));

	if (!shoff || !shnum)
		return 0;
	if (shentsize != sizeof(Elf64_Shdr))
		return spore_err_setx(err, EINVAL, "ELF section header size is %u, want %zu",
				      shentsize, sizeof(Elf64_Shdr));
	if (!range_ok(shoff, (uint64_t)shnum * sizeof(Elf64_Shdr), len))
		return spore_err_setx(err, EINVAL,
				      "ELF section headers (offset 0x%" PRIx64 ", %u entries) lie "
				      "outside the %zu-byte file", shoff, shnum, len);
	for (unsigned i = 1; i < shnum; i++) {
		const uint8_t *sh = elf + shoff + (uint64_t)i * sizeof(Elf64_Shdr);
		if (ld_le32(sh + SH(sh_type)) != SHT_NOTE)
			continue;
		uint64_t off = ld_le64(sh + SH(sh_offset)), sz = ld_le64(sh + SH(sh_size));
		if (!range_ok(off, sz, len))
			return spore_err_setx(err, EINVAL,
					      "ELF note section %u (offset 0x%" PRIx64 ", size 0x%" PRIx64
					      ") lies outside the %zu-byte file", i, off, sz, len);
		int r = walk_notes(img, st, elf + off, sz, err);
		if (r < 0)
			return r;
	}
	if (img->xen_note_count)
		img->notes_from_sections = true;
	return 0;
}

/* data_len: the whole file, which the segments' data must lie in (more than
 * the bytes at elf for a cache entry's head; the program headers are
 * checked by the caller). */
static int load_segments(const uint8_t *elf, uint64_t data_len, uint64_t phoff, unsigned phnum,
			 struct spore_kernel_image *img, struct spore_err *err)
{
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = elf + phoff + (uint64_t)i * sizeof(Elf64_Phdr);
		if (ld_le32(ph + PH(p_type)) != PT_LOAD)
			continue;
		struct spore_kseg s = {
			.offset = ld_le64(ph + PH(p_offset)),
			.filesz = ld_le64(ph + PH(p_filesz)),
			.memsz = ld_le64(ph + PH(p_memsz)),
			.paddr = ld_le64(ph + PH(p_paddr)),
		};
		if (!s.memsz)
			continue;
		if (!range_ok(s.offset, s.filesz, data_len))
			return spore_err_setx(err, EINVAL,
					      "ELF PT_LOAD segment %u (offset 0x%" PRIx64 ", size 0x%" PRIx64
					      ") extends past the end of the %" PRIu64 "-byte file",
					      i, s.offset, s.filesz, data_len);
		if (s.filesz > s.memsz)
			return spore_err_setx(err, EINVAL,
					      "ELF PT_LOAD segment %u has file size 0x%" PRIx64
					      " above its memory size 0x%" PRIx64, i, s.filesz, s.memsz);
		if (s.memsz > SPORE_KERNEL_MAX_SPAN || s.paddr > UINT64_MAX - s.memsz)
			return spore_err_setx(err, EFBIG,
					      "ELF PT_LOAD segment %u is too large (0x%" PRIx64
					      " bytes at 0x%" PRIx64 ", limit %llu MiB)", i, s.memsz,
					      s.paddr, SPORE_KERNEL_MAX_SPAN >> 20);
		if (img->nsegs == SPORE_KERNEL_MAX_SEGS)
			return spore_err_setx(err, EINVAL, "ELF has more than %d PT_LOAD segments",
					      SPORE_KERNEL_MAX_SEGS);
		/* Insertion sort by paddr: the list is short. */
		unsigned j = img->nsegs++;
		for (; j > 0 && img->segs[j - 1].paddr > s.paddr; j--)
			img->segs[j] = img->segs[j - 1];
		img->segs[j] = s;
	}
	if (!img->nsegs)
		return spore_err_setx(err, ENOEXEC, "ELF has no loadable (PT_LOAD) segment");
	img->pstart = img->segs[0].paddr;
	img->pend = 0;
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct spore_kseg *s = &img->segs[i];
		if (i && s->paddr < img->pend)
			return spore_err_setx(err, EINVAL,
					      "ELF PT_LOAD segments overlap at physical address 0x%" PRIx64,
					      s->paddr);
		img->pend = s->paddr + s->memsz;
	}
	if (img->pend - img->pstart > SPORE_KERNEL_MAX_SPAN)
		return spore_err_setx(err, EFBIG,
				      "ELF PT_LOAD segments span 0x%" PRIx64 " bytes (limit %llu MiB)",
				      img->pend - img->pstart, SPORE_KERNEL_MAX_SPAN >> 20);
	return 0;
}

static bool canonical(uint64_t va)
{
	uint64_t top = va >> 47;
	return top == 0 || top == 0x1ffff;
}

/* Xen's address bookkeeping and the checks that make a kernel bootable as a
 * PV domU. */
static int check_pv(const uint8_t *elf, struct spore_kernel_image *img, const struct notes *st,
		    struct spore_err *err)
{
#define SEEN(t) (st->seen & (1U << SPORE_XEN_NOTE_##t))
	if (!img->xen_note_count)
		return spore_err_setx(err, ENOEXEC,
				      "kernel is not PV capable: it has no Xen ELF notes "
				      "(build it with CONFIG_XEN_PV)");
	if (strncmp(img->guest_os, "linux", 5) && strncmp(img->loader_name, "generic", 7))
		return spore_err_setx(err, ENOEXEC,
				      "kernel is not PV capable: its Xen notes name GUEST_OS '%s' "
				      "and LOADER '%s' (want 'linux' or 'generic')",
				      img->guest_os, img->loader_name);
	if (strncmp(img->xen_version, "xen-3.0", 7))
		return spore_err_setx(err, ENOEXEC,
				      "kernel is not PV capable: XEN_VERSION note is '%s', "
				      "want 'xen-3.0'", img->xen_version);
	if (!SEEN(ENTRY) && SEEN(PHYS32_ENTRY))
		return spore_err_setx(err, ENOEXEC,
				      "kernel is not PV capable: it is PVH-only (no XEN_ELFNOTE_ENTRY; "
				      "build it with CONFIG_XEN_PV)");
	int r = parse_features(img, err);
	if (r < 0)
		return r;
	if (img->features_required & (1U << SPORE_XENFEAT_DOM0))
		return spore_err_setx(err, ENOEXEC,
				      "kernel is dom0-only (it requires XENFEAT_dom0) and cannot "
				      "run as a domU");
	if (img->features_required & (1U << SPORE_XENFEAT_AUTO_TRANSLATED_PHYSMAP))
		return spore_err_setx(err, EOPNOTSUPP,
				      "kernel requires auto_translated_physmap (PV autotranslate), "
				      "which Xen does not support");
	if (SEEN(PADDR_OFFSET) && !SEEN(VIRT_BASE))
		return spore_err_setx(err, EINVAL,
				      "kernel has a PADDR_OFFSET Xen note but no VIRT_BASE");
	if (!SEEN(ENTRY))
		img->entry = ld_le64(elf + EH(e_entry));

	/* Unsigned wrap-around is intended: virt_offset is usually negative. */
	img->virt_offset = img->virt_base - img->elf_paddr_offset;
	img->virt_kstart = img->pstart + img->virt_offset;
	uint64_t span = img->pend - img->pstart;
	if (img->virt_kstart > UINT64_MAX - span)
		return spore_err_setx(err, EINVAL,
				      "kernel's virtual range wraps around (start 0x%" PRIx64 ")",
				      img->virt_kstart);
	img->virt_kend = img->virt_kstart + span;
	if (!canonical(img->virt_base) || !canonical(img->virt_kstart) ||
	    !canonical(img->virt_kend - 1) || (img->virt_kstart >> 47) != ((img->virt_kend - 1) >> 47))
		return spore_err_setx(err, EINVAL,
				      "kernel's virtual range 0x%" PRIx64 "-0x%" PRIx64
				      " is not canonical x86_64 addresses", img->virt_kstart,
				      img->virt_kend);
	if (img->virt_base > img->virt_kstart)
		return spore_err_setx(err, EINVAL,
				      "kernel starts at 0x%" PRIx64 ", below its VIRT_BASE 0x%" PRIx64,
				      img->virt_kstart, img->virt_base);
	if (img->entry < img->virt_kstart || img->entry >= img->virt_kend)
		return spore_err_setx(err, EINVAL,
				      "kernel entry 0x%" PRIx64 " lies outside the kernel 0x%" PRIx64
				      "-0x%" PRIx64, img->entry, img->virt_kstart, img->virt_kend);
	if (img->init_p2m && img->init_p2m >= img->virt_kstart && img->init_p2m < img->virt_kend)
		return spore_err_setx(err, EINVAL,
				      "kernel's INIT_P2M 0x%" PRIx64 " lies inside the kernel",
				      img->init_p2m);
	if (img->has_hypercall_page &&
	    (img->hypercall_page < img->virt_kstart || img->hypercall_page >= img->virt_kend ||
	     (img->hypercall_page & (PAGE - 1))))
		return spore_err_setx(err, EINVAL,
				      "kernel's HYPERCALL_PAGE 0x%" PRIx64
				      " is not a page inside the kernel", img->hypercall_page);
	for (unsigned i = 0; i < img->nsegs; i++)
		img->segs[i].vaddr = img->segs[i].paddr + img->virt_offset;
	return 0;
#undef SEEN
}

static int elf_parse(const uint8_t *elf, size_t len, uint64_t data_len,
		     struct spore_kernel_image *img, struct spore_err *err)
{
	struct notes st = {0};
	int r;

	if (elf_probe(elf, len) < 0)
		return spore_err_setx(err, ENOEXEC, "not an ELF file");
	if (len < sizeof(Elf64_Ehdr))
		return spore_err_setx(err, ENOEXEC, "ELF header truncated (%zu bytes)", len);
	unsigned machine = ld_le16(elf + EH(e_machine));
	if (elf[EI_CLASS] != ELFCLASS64 || elf[EI_DATA] != ELFDATA2LSB || machine != EM_X86_64)
		return spore_err_setx(err, ENOEXEC,
				      "ELF is a %s %s-endian image for %s (machine %u); spore "
				      "boots 64-bit little-endian x86_64 kernels only",
				      elf[EI_CLASS] == ELFCLASS32 ? "32-bit" :
				      elf[EI_CLASS] == ELFCLASS64 ? "64-bit" : "bad-class",
				      elf[EI_DATA] == ELFDATA2MSB ? "big" : "little",
				      machine_name(machine), machine);
	unsigned type = ld_le16(elf + EH(e_type));
	if (type != ET_EXEC && type != ET_DYN)
		return spore_err_setx(err, ENOEXEC, "ELF type %u is not an executable", type);

	uint64_t phoff = ld_le64(elf + EH(e_phoff));
	unsigned phnum = ld_le16(elf + EH(e_phnum)), phentsize = ld_le16(elf + EH(e_phentsize));
	if (!phnum)
		return spore_err_setx(err, ENOEXEC, "ELF has no program headers");
	if (phentsize != sizeof(Elf64_Phdr))
		return spore_err_setx(err, EINVAL, "ELF program header size is %u, want %zu",
				      phentsize, sizeof(Elf64_Phdr));
	if (phnum > SPORE_KERNEL_MAX_PHDRS)
		return spore_err_setx(err, EINVAL, "ELF has %u program headers (limit %d)", phnum,
				      SPORE_KERNEL_MAX_PHDRS);
	if (!range_ok(phoff, (uint64_t)phnum * sizeof(Elf64_Phdr), len))
		return spore_err_setx(err, EINVAL,
				      "ELF program headers (offset 0x%" PRIx64 ", %u entries) lie "
				      "outside the %zu-byte file", phoff, phnum, len);

	img->elf = elf;
	img->elf_len = len;
	img->nsegs = 0;
	if ((r = load_segments(elf, data_len, phoff, phnum, img, err)) < 0)
		return r;
	if ((r = notes_from_phdrs(elf, len, phoff, phnum, img, &st, err)) < 0)
		return r;
	if (!img->xen_note_count && (r = notes_from_shdrs(elf, len, img, &st, err)) < 0)
		return r;
	if ((r = check_pv(elf, img, &st, err)) < 0)
		return r;
	log_debug("ELF kernel: entry 0x%" PRIx64 ", virt 0x%" PRIx64 "-0x%" PRIx64
		  ", %u segments, %u Xen notes", img->entry, img->virt_kstart, img->virt_kend,
		  img->nsegs, img->xen_note_count);
	return 0;
}

int spore_elf_parse(const uint8_t *elf, size_t len, struct spore_kernel_image *img,
		    struct spore_err *err)
{
	return elf_parse(elf, len, len, img, err);
}

int spore_elf_parse_head(const uint8_t *head, size_t head_len, uint64_t file_len,
			 struct spore_kernel_image *img, struct spore_err *err)
{
	if (file_len < head_len)
		return spore_err_setx(err, EINVAL, "ELF head longer than its file");
	return elf_parse(head, head_len, file_len, img, err);
}

int spore_kernel_place(const struct spore_kernel_image *img, const struct spore_guest_view *view,
		       uint64_t data_len, spore_seg_fill_fn fill, void *ctx,
		       struct spore_err *err)
{
	int r;

	if (!view || !view->mem)
		return spore_err_setx(err, EINVAL, "loading kernel: no guest memory view");
	if (img->virt_kstart < view->vstart || img->virt_kend < img->virt_kstart ||
	    img->virt_kend - view->vstart > view->len)
		return spore_err_setx(err, ERANGE,
				      "loading kernel: guest view 0x%" PRIx64 "+0x%" PRIx64
				      " does not cover the kernel 0x%" PRIx64 "-0x%" PRIx64,
				      view->vstart, view->len, img->virt_kstart, img->virt_kend);
	uint64_t cur = img->virt_kstart;
	for (unsigned i = 0; i < img->nsegs && i < SPORE_KERNEL_MAX_SEGS; i++) {
		const struct spore_kseg *s = &img->segs[i];
		/* Re-checked here: img is caller-owned and may have been altered. */
		if (s->vaddr < cur || s->filesz > s->memsz || s->vaddr > img->virt_kend ||
		    s->memsz > img->virt_kend - s->vaddr || !range_ok(s->offset, s->filesz, data_len))
			return spore_err_setx(err, EINVAL,
					      "loading kernel: segment %u (0x%" PRIx64 "+0x%" PRIx64
					      ") is inconsistent with the parsed image", i, s->vaddr,
					      s->memsz);
		uint8_t *dst = view->mem + (s->vaddr - view->vstart);
		spore_zero(view->mem + (cur - view->vstart), s->vaddr - cur);
		if ((r = fill(ctx, dst, s, err)) < 0)
			return r;
		spore_zero(dst + s->filesz, s->memsz - s->filesz);
		cur = s->vaddr + s->memsz;
	}
	spore_zero(view->mem + (cur - view->vstart), img->virt_kend - cur);
	return 0;
}

static int copy_from_elf(void *ctx, uint8_t *dst, const struct spore_kseg *s, struct spore_err *err)
{
	const struct spore_kernel_image *img = ctx;
	(void)err;
	memcpy(dst, img->elf + s->offset, s->filesz);
	return 0;
}

int spore_elf_load(const struct spore_kernel_image *img, const struct spore_guest_view *view,
		   struct spore_err *err)
{
	return spore_kernel_place(img, view, img->elf_len, copy_from_elf, (void *)img, err);
}

const struct spore_loader spore_loader_elf = {
	.name = "elf",
	.probe = elf_probe,
	.parse = spore_elf_parse,
	.load = spore_elf_load,
};

/* --- The kernel cache's compact form (spore_elf_compact) --- */

#define COMPACT_MAX_NOTES 64

struct piece {
	uint64_t src, paddr, vaddr, filesz, memsz; /* src: offset in the original */
};

/* Note areas as the parse found them: PT_NOTE segments, or SHT_NOTE
 * sections for kernels whose notes are only there. img was parsed from
 * elf, so every range is known to be inside it. */
static unsigned note_areas(const struct spore_kernel_image *img, uint64_t off[], uint64_t sz[])
{
	/* Returns COMPACT_MAX_NOTES + 1 when there are more. */
	const uint8_t *elf = img->elf;
	unsigned n = 0;

	if (!img->notes_from_sections) {
		uint64_t phoff = ld_le64(elf + EH(e_phoff));
		unsigned phnum = ld_le16(elf + EH(e_phnum));
		for (unsigned i = 0; i < phnum; i++) {
			const uint8_t *ph = elf + phoff + (uint64_t)i * sizeof(Elf64_Phdr);
			if (ld_le32(ph + PH(p_type)) != PT_NOTE || !ld_le64(ph + PH(p_offset)))
				continue;
			if (n == COMPACT_MAX_NOTES)
				return n + 1;
			off[n] = ld_le64(ph + PH(p_offset));
			sz[n++] = ld_le64(ph + PH(p_filesz));
		}
		return n;
	}
	uint64_t shoff = ld_le64(elf + EH(e_shoff));
	unsigned shnum = ld_le16(elf + EH(e_shnum));
	for (unsigned i = 1; i < shnum; i++) {
		const uint8_t *sh = elf + shoff + (uint64_t)i * sizeof(Elf64_Shdr);
		if (ld_le32(sh + SH(sh_type)) != SHT_NOTE)
			continue;
		if (n == COMPACT_MAX_NOTES)
			return n + 1;
		off[n] = ld_le64(sh + SH(sh_offset));
		sz[n++] = ld_le64(sh + SH(sh_size));
	}
	return n;
}

static bool page_is_zero(const uint8_t *p, size_t n)
{
	uint64_t acc = 0, w;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Splits the segments at their longest runs of zero pages: a run at a
 * segment's end only shortens its file part (the loader zeroes the rest);
 * one inside costs a segment, of which there may be SPORE_KERNEL_MAX_SEGS. */
static unsigned make_pieces(const struct spore_kernel_image *img, struct piece *out)
{
	struct run { unsigned seg; uint64_t start, end; } runs[SPORE_KERNEL_MAX_SEGS];
	unsigned nruns = 0, npieces = 0;
	uint64_t tail[SPORE_KERNEL_MAX_SEGS];
	/* The budget: one segment per original, plus one per interior split. */
	const unsigned max = SPORE_KERNEL_MAX_SEGS - img->nsegs;

	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct spore_kseg *s = &img->segs[i];
		uint64_t p = 0, zstart = UINT64_MAX;
		tail[i] = s->filesz;
		for (; p < s->filesz; p += PAGE) {
			uint64_t n = s->filesz - p < PAGE ? s->filesz - p : PAGE;
			bool z = page_is_zero(img->elf + s->offset + p, n);
			if (z && zstart == UINT64_MAX)
				zstart = p;
			if (!z && zstart != UINT64_MAX) {
				/* An interior run: the longest ones are kept, in
				 * order of length. */
				struct run r = {i, zstart, p};
				uint64_t rl = p - zstart;
				if (max && (nruns < max ||
				    rl > runs[max - 1].end - runs[max - 1].start)) {
					unsigned k = nruns < max ? nruns++ : max - 1;
					for (; k > 0 && runs[k - 1].end - runs[k - 1].start < rl; k--)
						runs[k] = runs[k - 1];
					runs[k] = r;
				}
				zstart = UINT64_MAX;
			}
		}
		if (zstart != UINT64_MAX)
			tail[i] = zstart;
	}
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct spore_kseg *s = &img->segs[i];
		uint64_t at = 0;
		for (;;) {
			/* The next chosen run of this segment after at. */
			uint64_t rs = UINT64_MAX, re = 0;
			for (unsigned k = 0; k < nruns; k++)
				if (runs[k].seg == i && runs[k].start >= at && runs[k].start < rs) {
					rs = runs[k].start;
					re = runs[k].end;
				}
			struct piece *pc = &out[npieces++];
			pc->src = s->offset + at;
			pc->paddr = s->paddr + at;
			pc->vaddr = s->vaddr + at;
			if (rs == UINT64_MAX) {
				pc->filesz = tail[i] > at ? tail[i] - at : 0;
				pc->memsz = s->memsz - at;
				break;
			}
			pc->filesz = rs - at;
			pc->memsz = re - at;
			at = re;
		}
	}
	return npieces;
}

static void st16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void st32(uint8_t *p, uint32_t v) { st16(p, (uint16_t)v); st16(p + 2, (uint16_t)(v >> 16)); }
static void st64(uint8_t *p, uint64_t v) { st32(p, (uint32_t)v); st32(p + 4, (uint32_t)(v >> 32)); }

int spore_elf_compact(const struct spore_kernel_image *img, uint8_t **out, size_t *out_len,
		      size_t *head_len, struct spore_err *err)
{
	uint64_t noff[COMPACT_MAX_NOTES], nsz[COMPACT_MAX_NOTES];
	struct piece pcs[SPORE_KERNEL_MAX_SEGS];
	struct spore_kernel_image chk;
	int r = 0;

	*out = NULL;
	if (!img->elf || !img->nsegs || img->nsegs > SPORE_KERNEL_MAX_SEGS)
		return spore_err_setx(err, EINVAL, "compacting a kernel that was not parsed");
	unsigned nn = note_areas(img, noff, nsz);
	if (nn > COMPACT_MAX_NOTES)
		return spore_err_setx(err, E2BIG, "kernel has more than %d note areas to cache",
				      COMPACT_MAX_NOTES);
	unsigned np = make_pieces(img, pcs);
	uint64_t head = sizeof(Elf64_Ehdr) + (uint64_t)(nn + np) * sizeof(Elf64_Phdr);
	for (unsigned i = 0; i < nn; i++)
		head = ((head + 3) & ~3ULL) + nsz[i];
	head = (head + 7) & ~7ULL;
	uint64_t len = head;
	for (unsigned i = 0; i < np; i++)
		len += pcs[i].filesz;
	uint8_t *e = calloc(1, len);
	if (!e)
		return spore_err_set(err, ENOMEM, "compacting the kernel (%" PRIu64 " bytes)", len);

	memcpy(e, img->elf, EI_NIDENT);
	memcpy(e + EH(e_type), img->elf + EH(e_type), 2 + 2 + 4 + 8); /* type, machine, version, entry */
	st64(e + EH(e_phoff), sizeof(Elf64_Ehdr));
	st16(e + EH(e_ehsize), sizeof(Elf64_Ehdr));
	st16(e + EH(e_phentsize), sizeof(Elf64_Phdr));
	st16(e + EH(e_phnum), (uint16_t)(nn + np));
	uint8_t *ph = e + sizeof(Elf64_Ehdr);
	uint64_t at = sizeof(Elf64_Ehdr) + (uint64_t)(nn + np) * sizeof(Elf64_Phdr);
	for (unsigned i = 0; i < nn; i++, ph += sizeof(Elf64_Phdr)) {
		at = (at + 3) & ~3ULL;
		memcpy(e + at, img->elf + noff[i], nsz[i]);
		st32(ph + PH(p_type), PT_NOTE);
		st64(ph + PH(p_offset), at);
		st64(ph + PH(p_filesz), nsz[i]);
		st64(ph + PH(p_memsz), nsz[i]);
		st64(ph + PH(p_align), 4);
		at += nsz[i];
	}
	at = head;
	for (unsigned i = 0; i < np; i++, ph += sizeof(Elf64_Phdr)) {
		memcpy(e + at, img->elf + pcs[i].src, pcs[i].filesz);
		st32(ph + PH(p_type), PT_LOAD);
		st32(ph + PH(p_flags), PF_R | PF_W | PF_X);
		st64(ph + PH(p_offset), at);
		st64(ph + PH(p_vaddr), pcs[i].vaddr);
		st64(ph + PH(p_paddr), pcs[i].paddr);
		st64(ph + PH(p_filesz), pcs[i].filesz);
		st64(ph + PH(p_memsz), pcs[i].memsz);
		st64(ph + PH(p_align), PAGE);
		at += pcs[i].filesz;
	}

	/* The compact form must mean the same kernel: what the builder uses
	 * from it is compared with the original's. */
	memset(&chk, 0, sizeof(chk));
	if ((r = spore_elf_parse(e, len, &chk, err)) < 0) {
		spore_err_wrap(err, "compacted kernel does not parse");
		goto fail;
	}
	if (chk.entry != img->entry || chk.virt_base != img->virt_base ||
	    chk.virt_kstart != img->virt_kstart || chk.virt_kend != img->virt_kend ||
	    chk.init_p2m != img->init_p2m || chk.mod_start_pfn != img->mod_start_pfn ||
	    chk.has_hypercall_page != img->has_hypercall_page ||
	    chk.hypercall_page != img->hypercall_page ||
	    chk.features_required != img->features_required ||
	    chk.xen_note_count != img->xen_note_count) {
		r = spore_err_setx(err, EPROTO, "compacted kernel differs from the original");
		goto fail;
	}
	*out = e;
	*out_len = len;
	*head_len = head;
	return 0;
fail:
	free(e);
	return r;
}

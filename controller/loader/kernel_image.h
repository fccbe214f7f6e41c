/* Kernel images: parse a PV kernel file (ELF vmlinux, bzImage, or a whole
 * compressed vmlinux) into its loadable segments and Xen ELF notes, and copy
 * the segments into guest memory.
 *
 * Kernel files are untrusted input: every offset and size is bounds-checked
 * against the bytes actually present, and sizes are capped (see the
 * SPORE_KERNEL_* limits) before anything is allocated.
 *
 * Formats are handled by a table of loaders (one file per format): the first
 * loader whose probe() accepts the bytes parses them. A bzImage loader
 * decompresses its payload and hands the embedded ELF to the ELF parser, so
 * every parsed image ends up as an ELF in memory (img->elf). */
#ifndef SPORE_KERNEL_IMAGE_H
#define SPORE_KERNEL_IMAGE_H

#include "sha256.h"
#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Limits on untrusted kernels. */
#define SPORE_KERNEL_MAX_FILE   (512ULL << 20) /* kernel file as given */
#define SPORE_KERNEL_MAX_ELF    (1ULL << 30)   /* decompressed ELF (Xen's cap) */
#define SPORE_KERNEL_MAX_SPAN   (1ULL << 30)   /* [virt_kstart, virt_kend) */
#define SPORE_KERNEL_MAX_SEGS   32             /* PT_LOAD segments */
#define SPORE_KERNEL_MAX_PHDRS  256
#define SPORE_KERNEL_MAX_SHDRS  65535
#define SPORE_KERNEL_MAX_NOTES  4096           /* notes walked in total */

/* Xen ELF note types (xen/include/public/elfnote.h). */
enum spore_xen_note {
	SPORE_XEN_NOTE_ENTRY = 1,
	SPORE_XEN_NOTE_HYPERCALL_PAGE = 2,
	SPORE_XEN_NOTE_VIRT_BASE = 3,
	SPORE_XEN_NOTE_PADDR_OFFSET = 4,
	SPORE_XEN_NOTE_XEN_VERSION = 5,
	SPORE_XEN_NOTE_GUEST_OS = 6,
	SPORE_XEN_NOTE_GUEST_VERSION = 7,
	SPORE_XEN_NOTE_LOADER = 8,
	SPORE_XEN_NOTE_PAE_MODE = 9,
	SPORE_XEN_NOTE_FEATURES = 10,
	SPORE_XEN_NOTE_BSD_SYMTAB = 11,
	SPORE_XEN_NOTE_HV_START_LOW = 12,
	SPORE_XEN_NOTE_L1_MFN_VALID = 13,
	SPORE_XEN_NOTE_SUSPEND_CANCEL = 14,
	SPORE_XEN_NOTE_INIT_P2M = 15,
	SPORE_XEN_NOTE_MOD_START_PFN = 16,
	SPORE_XEN_NOTE_SUPPORTED_FEATURES = 17,
	SPORE_XEN_NOTE_PHYS32_ENTRY = 18,
};

/* XENFEAT_* bit numbers (xen/include/public/features.h) that matter here. */
#define SPORE_XENFEAT_WRITABLE_PAGE_TABLES    0
#define SPORE_XENFEAT_AUTO_TRANSLATED_PHYSMAP 2
#define SPORE_XENFEAT_DOM0                    11

/* Compression of the kernel file or of a bzImage payload. */
enum spore_comp {
	SPORE_COMP_NONE = 0,
	SPORE_COMP_GZIP,
	SPORE_COMP_BZIP2,
	SPORE_COMP_XZ,
	SPORE_COMP_LZMA,
	SPORE_COMP_LZ4,  /* LZ4 legacy frame, as Linux's `lz4 -l` writes */
	SPORE_COMP_ZSTD,
	SPORE_COMP_LZO,  /* recognised so it can be named in the error; unsupported */
};

/* One PT_LOAD segment. It is copied to vaddr = paddr + virt_offset. */
struct spore_kseg {
	uint64_t offset; /* in img->elf */
	uint64_t filesz;
	uint64_t memsz;  /* >= filesz; the rest is zeroed (bss) */
	uint64_t paddr;
	uint64_t vaddr;
};

struct spore_kernel_image {
	const struct spore_loader *loader; /* which loader parsed the file */
	enum spore_comp compression;       /* of the payload / whole file */
	bool from_cache;                   /* ELF came from the kernel cache */
	uint64_t file_size;                /* kernel file as given */
	uint8_t file_sha256[32];           /* set by spore_kernel_open() when caching */

	/* The ELF in memory (the file itself for a plain vmlinux). */
	const uint8_t *elf;
	size_t elf_len;

	/* Addresses, after Xen's rules (virt_offset = virt_base - elf_paddr_offset,
	 * virt_kstart/kend = pstart/pend + virt_offset). */
	uint64_t entry;
	uint64_t virt_base;
	uint64_t elf_paddr_offset;
	uint64_t virt_offset;
	uint64_t pstart, pend;          /* PT_LOAD paddr range */
	uint64_t virt_kstart, virt_kend; /* kernel incl. bss, end exclusive */

	bool has_hypercall_page;        /* old kernels only (pre XSA-466) */
	uint64_t hypercall_page;        /* virtual address */
	uint64_t init_p2m;              /* INIT_P2M note, 0 if absent */
	bool has_phys32_entry;          /* PVH entry point, informational */
	uint32_t phys32_entry;
	bool has_hv_start_low;
	uint64_t hv_start_low;
	bool mod_start_pfn;             /* initrd may be passed as a pfn, unmapped */
	bool suspend_cancel;
	uint32_t features_required;     /* XENFEAT_* mask; the builder checks these
					 * against XENVER_get_features */
	uint32_t features_supported;
	bool notes_from_sections;       /* found via SHT_NOTE, not PT_NOTE */
	unsigned xen_note_count;

	char guest_os[64];
	char guest_version[64];
	char xen_version[64];
	char loader_name[64];           /* LOADER note */
	char pae_mode[32];
	char features[256];             /* FEATURES note as written */

	unsigned nsegs;
	struct spore_kseg segs[SPORE_KERNEL_MAX_SEGS]; /* sorted by paddr */

	/* Private: what to release. */
	void *own_mem;     /* malloc()ed ELF (or a cache entry's head), or NULL */
	/* A cache hit (from_cache): the entry, read by spore_kcache_load(). */
	int cache_fd;
	char *cache_path;
	uint64_t cache_data_sum[2];
};

/* Where the kernel goes: a writable mapping of guest memory whose first byte
 * is guest virtual address vstart (normally the kernel pages
 * [virt_kstart, virt_kend) mapped contiguously). Nothing outside
 * [vstart, vstart + len) is touched. */
struct spore_guest_view {
	uint8_t *mem;
	uint64_t vstart;
	uint64_t len;
};

/* probe() returns 0 when the loader handles these bytes, -ENOEXEC if not.
 * parse() fills img (img->elf may point into buf, which must then outlive
 * img) and returns 0 or a negative errno with err set. load() copies the
 * parsed segments into view, zeroing bss and the gaps between segments. */
struct spore_loader {
	const char *name;
	int (*probe)(const uint8_t *buf, size_t len);
	int (*parse)(const uint8_t *buf, size_t len, struct spore_kernel_image *img,
		     struct spore_err *err);
	int (*load)(const struct spore_kernel_image *img, const struct spore_guest_view *view,
		    struct spore_err *err);
};

/* The loaders, in probe order (loader.c). */
extern const struct spore_loader *const spore_loaders[];
extern const size_t spore_loader_count;

extern const struct spore_loader spore_loader_elf;
extern const struct spore_loader spore_loader_bzimage;
extern const struct spore_loader spore_loader_compressed;

/* Returns the first loader whose probe accepts buf, or NULL. */
const struct spore_loader *spore_loader_find(const uint8_t *buf, size_t len);

/* Parses buf (kept by reference when it is a plain ELF) with the matching
 * loader. Fails with -ENOEXEC and a message naming the format when no loader
 * applies. img is reset first; free it with spore_kernel_image_free() even on
 * failure. */
int spore_kernel_parse(const uint8_t *buf, size_t len, struct spore_kernel_image *img,
		       struct spore_err *err);

/* Opens a kernel file: reads it, and when it is compressed (bzImage or
 * vmlinux.gz etc.) looks up the decompressed ELF in cache_dir by the file's
 * sha256 first, storing it there after a miss. cache_dir NULL disables the
 * cache. A bad or unwritable cache never fails the open; it only logs. */
int spore_kernel_open(const char *path, const char *cache_dir, struct spore_kernel_image *img,
		      struct spore_err *err);

/* Copies the kernel into view (img->loader->load). */
int spore_kernel_load(const struct spore_kernel_image *img, const struct spore_guest_view *view,
		      struct spore_err *err);

void spore_kernel_image_free(struct spore_kernel_image *img);

/* ELF parser, also used by the other loaders on their embedded ELF. Keeps elf
 * by reference in img->elf. */
int spore_elf_parse(const uint8_t *elf, size_t len, struct spore_kernel_image *img,
		    struct spore_err *err);
int spore_elf_load(const struct spore_kernel_image *img, const struct spore_guest_view *view,
		   struct spore_err *err);
/* Where img's segments go in view: each is checked against view and the
 * parsed image (its file bytes within data_len), fill() writes its filesz
 * bytes at dst, and the gaps and each segment's tail (.bss) are zeroed.
 * Shared by spore_elf_load() and the kernel cache's load. */
typedef int (*spore_seg_fill_fn)(void *ctx, uint8_t *dst, const struct spore_kseg *seg,
				 struct spore_err *err);
int spore_kernel_place(const struct spore_kernel_image *img, const struct spore_guest_view *view,
		       uint64_t data_len, spore_seg_fill_fn fill, void *ctx,
		       struct spore_err *err);
/* Parses the first head_len bytes of a file_len-byte ELF: headers and notes
 * must lie in the head, segment data only in the file. img->elf is the head
 * (img->elf_len head_len): spore_elf_load() refuses such an image; the
 * kernel cache loads its segments itself. */
int spore_elf_parse_head(const uint8_t *head, size_t head_len, uint64_t file_len,
			 struct spore_kernel_image *img, struct spore_err *err);
/* The kernel cache's compact form of a parsed ELF: only what gets loaded.
 * An ELF header, its program headers, the Xen note areas (the head,
 * head_len bytes, 8-aligned), then the PT_LOAD data back to back in
 * address order, with runs of zero pages left out (segments split at the
 * longest, up to SPORE_KERNEL_MAX_SEGS; the loader zeroes them). A bootable
 * ELF of the same kernel: 30 of Debian's cloud kernel's 53 MB. out is
 * malloc()ed. */
int spore_elf_compact(const struct spore_kernel_image *img, uint8_t **out, size_t *out_len,
		      size_t *head_len, struct spore_err *err);

/* Decompression (decompress.c). */
#define SPORE_DECOMPRESS_MAX SPORE_KERNEL_MAX_ELF

/* The output cap the loaders pass to spore_decompress(); SPORE_DECOMPRESS_MAX
 * unless a test or the fuzzer lowers it to keep runs fast. */
extern size_t spore_kernel_decompress_max;

/* Identifies a compressed stream by its magic; SPORE_COMP_NONE if unknown. */
enum spore_comp spore_comp_detect(const uint8_t *buf, size_t len);
const char *spore_comp_name(enum spore_comp c);

/* Decompresses one stream of format c into a new malloc()ed buffer.
 * size_trailer: the last 4 bytes of in are Linux's little-endian
 * uncompressed size (bzImage payloads); the output must then be exactly that
 * long, and a claim above max_out is refused before anything is allocated.
 * Without it the output grows up to max_out; more is an error (-EFBIG).
 * max_out must be 1 .. SPORE_DECOMPRESS_MAX. */
int spore_decompress(enum spore_comp c, const uint8_t *in, size_t in_len, bool size_trailer,
		     size_t max_out, uint8_t **out, size_t *out_len, struct spore_err *err);

/* Kernel cache (kernel_cache.c): decompressed ELFs keyed by the sha256 of the
 * kernel file (include/spore/sha256.h), in files DIR/HEX.elf that start
 * with a small header recording the ELF's length and checksum, so a corrupt
 * entry is detected. */

/* Looks up the entry for file_sha. On a hit (returns 1) img is parsed from
 * the entry's head and holds the entry open (from_cache, cache_fd; freed
 * by spore_kernel_image_free()); the segments stay in the file until
 * spore_kcache_load(). Returns 0 on a miss, including an entry whose header
 * or head is bad, which is removed. Negative only for errors that are not
 * the entry's fault (e.g. EACCES on the directory). */
int spore_kcache_open(const char *dir, const uint8_t file_sha[32],
		      struct spore_kernel_image *img, struct spore_err *err);
/* Loads a cache hit into view, as spore_elf_load() does: segments read from
 * the entry straight into guest memory, their sum checked there. A sum that
 * does not match removes the entry and fails with -EBADMSG (load the kernel
 * file again: spore_kernel_open() then rebuilds the entry). */
int spore_kcache_load(const struct spore_kernel_image *img, const struct spore_guest_view *view,
		      struct spore_err *err);
/* The kernel file's sha256 remembered for its identity st (dev, inode,
 * size, mtime, ctime): 1 and sha filled if known, else 0. */
int spore_kcache_source_get(const char *dir, const struct stat *st, uint8_t sha[32]);
/* Remembers sha for st (atomically; failures only cost a rehash later). */
void spore_kcache_source_put(const char *dir, const struct stat *st, const uint8_t sha[32]);
/* An entry's header; what spore_kcache_get() checks, as pure functions. */
#define SPORE_KCACHE_HDR_LEN 128
/* Two 64-bit sums over len bytes as little-endian words (the running sum
 * and the sum of it): cheap, and every byte counts. */
void spore_kcache_sum(const uint8_t *p, size_t len, uint64_t sum[2]);
/* elf: the compact ELF, whose first head_len bytes are its head. */
void spore_kcache_header(uint8_t h[SPORE_KCACHE_HDR_LEN], const uint8_t file_sha[32],
			 const uint8_t *elf, size_t elf_len, size_t head_len, enum spore_comp comp);
/* Checks a whole entry (header then ELF, len bytes) for key file_sha: NULL
 * if usable, else what is wrong with it. */
const char *spore_kcache_check(const uint8_t *entry, size_t len, const uint8_t file_sha[32]);
/* Stores the compact form of the ELF elf (spore_elf_compact) atomically
 * (temporary file, fsync, rename), creating dir. */
int spore_kcache_put(const char *dir, const uint8_t file_sha[32], const uint8_t *elf,
		     size_t elf_len, enum spore_comp comp, struct spore_err *err);

#endif

/* sporectl kernel-info: what spore sees in a kernel file (format,
 * compression, Xen notes, addresses), without touching Xen. */
#include "kernel_image.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: sporectl kernel-info [--cache DIR] KERNEL\n"
		     "\n"
		     "Parse a kernel (ELF vmlinux, bzImage, or compressed vmlinux) and print its\n"
		     "format, compression, Xen ELF notes, entry point, addresses and sizes.\n"
		     "Fails with a clear message if spore cannot boot it as a PV guest.\n"
		     "\n"
		     "Options:\n"
		     "  --cache DIR  Use (and fill) the decompressed-kernel cache in DIR\n");
}

static void features(const char *label, uint32_t mask)
{
	printf("%-18s 0x%08" PRIx32 "\n", label, mask);
}

int cmd_kernel_info(int argc, char **argv, struct spore_err *err)
{
	const char *cache = NULL, *path = NULL;
	struct spore_kernel_image img;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--cache") && i + 1 < argc) {
			cache = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_usage(err, "kernel-info: unknown option '%s'", argv[i]);
		} else if (!path) {
			path = argv[i];
		} else {
			return cli_usage(err, "kernel-info: more than one KERNEL given");
		}
	}
	if (!path) {
		usage(stderr);
		return cli_usage(err, NULL);
	}
	int r = spore_kernel_open(path, cache, &img, err);
	if (r < 0) {
		spore_kernel_image_free(&img);
		return r;
	}
	printf("%-18s %s\n", "file:", path);
	printf("%-18s %" PRIu64 "\n", "file size:", img.file_size);
	printf("%-18s %s\n", "format:", img.loader ? img.loader->name : "?");
	printf("%-18s %s\n", "compression:", spore_comp_name(img.compression));
	printf("%-18s %s\n", "from cache:", img.from_cache ? "yes" : "no");
	printf("%-18s %zu\n", "elf size:", img.elf_len);
	printf("%-18s 0x%016" PRIx64 "\n", "entry:", img.entry);
	printf("%-18s 0x%016" PRIx64 "\n", "virt_base:", img.virt_base);
	printf("%-18s 0x%016" PRIx64 "\n", "elf_paddr_offset:", img.elf_paddr_offset);
	printf("%-18s 0x%016" PRIx64 "\n", "virt_kstart:", img.virt_kstart);
	printf("%-18s 0x%016" PRIx64 "\n", "virt_kend:", img.virt_kend);
	printf("%-18s %" PRIu64 " (%.1f MiB)\n", "kernel span:", img.virt_kend - img.virt_kstart,
	       (img.virt_kend - img.virt_kstart) / 1048576.0);
	if (img.has_hypercall_page)
		printf("%-18s 0x%016" PRIx64 "\n", "hypercall_page:", img.hypercall_page);
	else
		printf("%-18s none\n", "hypercall_page:");
	if (img.init_p2m)
		printf("%-18s 0x%016" PRIx64 "\n", "init_p2m:", img.init_p2m);
	else
		printf("%-18s none\n", "init_p2m:");
	printf("%-18s %s\n", "mod_start_pfn:", img.mod_start_pfn ? "yes" : "no");
	printf("%-18s %s\n", "guest_os:", img.guest_os);
	printf("%-18s %s\n", "guest_version:", img.guest_version);
	printf("%-18s %s\n", "xen_version:", img.xen_version);
	printf("%-18s %s\n", "loader:", img.loader_name);
	printf("%-18s %s\n", "pae_mode:", img.pae_mode);
	printf("%-18s %s\n", "features:", img.features);
	features("required:", img.features_required);
	features("supported:", img.features_supported);
	if (img.has_phys32_entry)
		printf("%-18s 0x%08" PRIx32 "\n", "phys32_entry:", img.phys32_entry);
	if (img.has_hv_start_low)
		printf("%-18s 0x%016" PRIx64 "\n", "hv_start_low:", img.hv_start_low);
	printf("%-18s %u%s\n", "xen notes:", img.xen_note_count,
	       img.notes_from_sections ? " (from SHT_NOTE sections)" : "");
	printf("%-18s %u\n", "segments:", img.nsegs);
	for (unsigned s = 0; s < img.nsegs; s++)
		printf("  paddr 0x%08" PRIx64 "  vaddr 0x%016" PRIx64 "  filesz %10" PRIu64
		       "  memsz %10" PRIu64 "\n", img.segs[s].paddr, img.segs[s].vaddr,
		       img.segs[s].filesz, img.segs[s].memsz);
	spore_kernel_image_free(&img);
	return 0;
}

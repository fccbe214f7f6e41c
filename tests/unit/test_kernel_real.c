/* Kernel loaders against real kernels, when SPORE_TEST_KERNEL names them
 * (colon-separated paths, e.g. Debian's vmlinuz-*-cloud-amd64 and
 * vmlinuz-*-amd64); otherwise a TAP skip. Kernels are never committed. */
#include "kernel_image.h"
#include <spore/clock.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static void check_kernel(const char *path, const char *cache)
{
	struct spore_kernel_image img, again;
	struct spore_err err = {0};

	int64_t t0 = spore_now_ms();
	int r = spore_kernel_open(path, NULL, &img, &err);
	double t_parse = (double)(spore_now_ms() - t0);
	is_int(r, 0, "%s opens: %s", path, err.msg);
	if (r < 0) {
		spore_kernel_image_free(&img);
		return;
	}
	printf("# %s: %s, %s, %zu-byte ELF, entry 0x%llx, kernel 0x%llx-0x%llx, %.0f ms\n", path,
	       img.loader->name, spore_comp_name(img.compression), img.elf_len,
	       (unsigned long long)img.entry, (unsigned long long)img.virt_kstart,
	       (unsigned long long)img.virt_kend, t_parse);
	is_str(img.guest_os, "linux", "GUEST_OS is linux");
	ok(!strncmp(img.xen_version, "xen-3.0", 7), "XEN_VERSION xen-3.0");
	ok(img.virt_base == 0xffffffff80000000ULL, "VIRT_BASE is __START_KERNEL_map");
	ok(img.entry >= img.virt_kstart && img.entry < img.virt_kend, "entry inside the kernel");
	ok(img.init_p2m && (img.init_p2m & 0xfff) == 0 && img.init_p2m < img.virt_base,
	   "INIT_P2M usable (0x%llx)", (unsigned long long)img.init_p2m);
	ok(img.mod_start_pfn, "MOD_START_PFN");
	ok(!(img.features_required & (1U << SPORE_XENFEAT_DOM0)), "not dom0-only");
	ok(img.nsegs >= 1 && img.nsegs <= SPORE_KERNEL_MAX_SEGS, "%u PT_LOAD segments", img.nsegs);

	/* Load, then compare every byte with the ELF. */
	uint64_t span = img.virt_kend - img.virt_kstart;
	uint8_t *mem = malloc(span);
	struct spore_guest_view v = {mem, img.virt_kstart, span};
	memset(mem, 0xcc, span);
	is_int(spore_kernel_load(&img, &v, &err), 0, "loads into a %llu MiB view",
	       (unsigned long long)(span >> 20));
	bool same = true;
	for (unsigned i = 0; i < img.nsegs; i++) {
		const struct spore_kseg *s = &img.segs[i];
		const uint8_t *d = mem + (s->vaddr - img.virt_kstart);
		same &= !memcmp(d, img.elf + s->offset, s->filesz);
		for (uint64_t j = s->filesz; j < s->memsz; j++)
			same &= d[j] == 0;
	}
	ok(same, "loaded bytes match the ELF segments");

	if (img.loader != &spore_loader_elf) {
		r = spore_kernel_open(path, cache, &again, &err);
		ok(r == 0 && !again.from_cache, "first cached open decompresses");
		spore_kernel_image_free(&again);
		t0 = spore_now_ms();
		r = spore_kernel_open(path, cache, &again, &err);
		double t_hit = (double)(spore_now_ms() - t0);
		ok(r == 0 && again.from_cache, "second open is a cache hit (%.0f ms vs %.0f ms)",
		   t_hit, t_parse);
		/* A hit holds only what gets loaded: what it loads must be the
		 * decompressed kernel's bytes, every one. */
		uint8_t *mem2 = malloc(span);
		struct spore_guest_view v2 = {mem2, img.virt_kstart, span};
		memset(mem2, 0x5a, span);
		ok(r == 0 && again.entry == img.entry && again.virt_kstart == img.virt_kstart &&
		   again.virt_kend == img.virt_kend && again.compression == img.compression &&
		   again.loader == img.loader && spore_kernel_load(&again, &v2, &err) == 0 &&
		   !memcmp(mem, mem2, span),
		   "the cache hit loads the same bytes as the decompressed kernel %s", err.msg);
		free(mem2);
		spore_kernel_image_free(&again);
	}
	free(mem);
	spore_kernel_image_free(&img);
}

int main(void)
{
	const char *env = getenv("SPORE_TEST_KERNEL");
	if (!env || !*env) {
		printf("1..0 # SKIP SPORE_TEST_KERNEL not set (colon-separated kernel paths)\n");
		return 0;
	}
	char cache[] = "/tmp/spore-kreal-cache.XXXXXX";
	if (!mkdtemp(cache)) {
		perror("mkdtemp");
		return 1;
	}
	char *list = strdup(env), *save = NULL;
	for (char *p = strtok_r(list, ":", &save); p; p = strtok_r(NULL, ":", &save))
		check_kernel(p, cache);
	free(list);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", cache);
	return tap_done();
}

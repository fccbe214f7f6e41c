/* libFuzzer target for the kernel loaders: probe + parse of arbitrary bytes,
 * load into a view when parsing succeeds, and the kernel cache's compact
 * form of what parsed, which must parse and load to the same bytes. Seeds:
 * `test_kernel_image --write-corpus DIR` writes valid synthetic kernels. */
#include "kernel_image.h"
#include <spore/log.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_OUT  (8U << 20) /* keep decompression bombs fast */
#define FUZZ_MAX_SPAN (8U << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	spore_kernel_decompress_max = FUZZ_MAX_OUT;
	spore_log_set_level(SPORE_LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spore_kernel_image img;
	struct spore_err err = {0};

	if (spore_kernel_parse(data, size, &img, &err) == 0) {
		uint64_t span = img.virt_kend - img.virt_kstart;
		if (span && span <= FUZZ_MAX_SPAN) {
			struct spore_guest_view v = {malloc(span), img.virt_kstart, span};
			if (v.mem && spore_kernel_load(&img, &v, &err) != 0)
				abort(); /* a parsed image must load into its own span */
			uint8_t *c = NULL;
			size_t clen, head;
			struct spore_kernel_image ci;
			memset(&ci, 0, sizeof(ci));
			if (v.mem && spore_elf_compact(&img, &c, &clen, &head, &err) == 0) {
				struct spore_guest_view w = {malloc(span), img.virt_kstart, span};
				if (spore_elf_parse(c, clen, &ci, &err) != 0 ||
				    (w.mem && (spore_elf_load(&ci, &w, &err) != 0 ||
					       memcmp(v.mem, w.mem, span))))
					abort(); /* the compact form is the same kernel */
				free(w.mem);
			} else if (v.mem && err.code != ENOMEM && err.code != E2BIG) {
				abort();
			}
			free(c);
			free(v.mem);
		}
	}
	spore_kernel_image_free(&img);
	return 0;
}

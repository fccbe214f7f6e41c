/* libFuzzer target for the kernel loaders: probe + parse of arbitrary bytes,
 * and load into a view when parsing succeeds. Seeds:
 * `test_kernel_image --write-corpus DIR` writes valid synthetic kernels. */
#include <spore/kernel_image.h>
#include <spore/log.h>

#include <stdlib.h>

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
			free(v.mem);
		}
	}
	spore_kernel_image_free(&img);
	return 0;
}

/* A whole compressed vmlinux (vmlinux.gz, .xz, .zst, ...): decompress, then
 * parse the ELF. Unlike a bzImage payload there is no size trailer (except
 * gzip's own, which is only a hint), so the output grows up to the cap. */
#include "kernel_image.h"

#include <errno.h>
#include <string.h>

static int comp_probe(const uint8_t *buf, size_t len)
{
	return spore_comp_detect(buf, len) != SPORE_COMP_NONE ? 0 : -ENOEXEC;
}

static int comp_parse(const uint8_t *buf, size_t len, struct spore_kernel_image *img,
		      struct spore_err *err)
{
	enum spore_comp c = spore_comp_detect(buf, len);
	uint8_t *elf;
	size_t elf_len;

	img->compression = c;
	int r = spore_decompress(c, buf, len, false, spore_kernel_decompress_max, &elf,
				 &elf_len, err);
	if (r < 0)
		return spore_err_wrap(err, "%s-compressed file", spore_comp_name(c));
	img->own_mem = elf;
	if (elf_len < 4 || memcmp(elf, "\177ELF", 4))
		return spore_err_setx(err, ENOEXEC, "%s-compressed file is not an ELF kernel",
				      spore_comp_name(c));
	return spore_elf_parse(elf, elf_len, img, err);
}

const struct spore_loader spore_loader_compressed = {
	.name = "compressed-elf",
	.probe = comp_probe,
	.parse = comp_parse,
	.load = spore_elf_load,
};

/* bzImage (x86 boot protocol >= 2.08): the setup header gives the payload's
 * offset and length; the payload is a compressed vmlinux ELF, identified by
 * its magic, decompressed and handed to the ELF parser. */
#include "kernel_image.h"
#include <spore/clock.h>
#include <spore/log.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader_priv.h"

/* Setup header fields (Documentation/arch/x86/boot.rst), file offsets. */
#define HDR_SETUP_SECTS    0x1f1
#define HDR_MAGIC          0x202 /* "HdrS" */
#define HDR_VERSION        0x206
#define HDR_PAYLOAD_OFFSET 0x248 /* from the protected-mode code, 2.08+ */
#define HDR_PAYLOAD_LENGTH 0x24c
#define HDR_MIN_LEN        0x250

static int bz_probe(const uint8_t *buf, size_t len)
{
	return len >= HDR_VERSION + 2 && !memcmp(buf + HDR_MAGIC, "HdrS", 4) ? 0 : -ENOEXEC;
}

static int bz_parse(const uint8_t *buf, size_t len, struct spore_kernel_image *img,
		    struct spore_err *err)
{
	if (bz_probe(buf, len) < 0)
		return spore_err_setx(err, ENOEXEC, "not a bzImage (no HdrS setup header)");
	unsigned ver = ld_le16(buf + HDR_VERSION);
	if (ver < 0x208)
		return spore_err_setx(err, ENOEXEC,
				      "bzImage boot protocol %u.%02u is older than 2.08, which "
				      "introduced the payload fields", ver >> 8, ver & 0xff);
	if (len < HDR_MIN_LEN)
		return spore_err_setx(err, EINVAL, "bzImage setup header is truncated (%zu bytes)",
				      len);
	unsigned sects = buf[HDR_SETUP_SECTS] ? buf[HDR_SETUP_SECTS] : 4;
	uint64_t off = (uint64_t)(sects + 1) * 512 + ld_le32(buf + HDR_PAYLOAD_OFFSET);
	uint64_t plen = ld_le32(buf + HDR_PAYLOAD_LENGTH);
	if (!plen || !range_ok(off, plen, len))
		return spore_err_setx(err, EINVAL,
				      "bzImage payload (offset %llu, length %llu) lies outside the "
				      "%zu-byte file (truncated?)", (unsigned long long)off,
				      (unsigned long long)plen, len);
	const uint8_t *p = buf + off;
	enum spore_comp c = spore_comp_detect(p, plen);
	if (c == SPORE_COMP_NONE) {
		uint8_t m[4] = {0};
		memcpy(m, p, plen < 4 ? plen : 4);
		return spore_err_setx(err, ENOEXEC,
				      "bzImage payload has an unknown compression (starts with "
				      "%02x %02x %02x %02x)", m[0], m[1], m[2], m[3]);
	}
	img->compression = c;

	uint8_t *elf;
	size_t elf_len;
	int64_t t0 = spore_now_ms();
	int r = spore_decompress(c, p, plen, true, spore_kernel_decompress_max, &elf, &elf_len,
				 err);
	if (r < 0)
		return spore_err_wrap(err, "bzImage payload");
	log_info("bzImage: %s payload %llu -> %zu bytes in %lld ms", spore_comp_name(c),
		 (unsigned long long)plen, elf_len, (long long)(spore_now_ms() - t0));
	img->own_mem = elf;
	if (elf_len < 4 || memcmp(elf, "\177ELF", 4))
		return spore_err_setx(err, ENOEXEC, "bzImage payload is not an ELF kernel");
	return spore_elf_parse(elf, elf_len, img, err);
}

const struct spore_loader spore_loader_bzimage = {
	.name = "bzImage",
	.probe = bz_probe,
	.parse = bz_parse,
	.load = spore_elf_load,
};

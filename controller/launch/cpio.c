/* newc cpio archives; see cpio.h. */
#include "cpio.h"
#include "file_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEWC_HDR 110u
#define PAD4(x)  (((x) + 3u) & ~(size_t)3u)

/* One header, its name and their padding at p; returns the bytes written. */
static size_t put_header(uint8_t *p, uint32_t ino, uint32_t mode, uint32_t nlink, size_t size,
			 const char *name)
{
	size_t nlen = strlen(name) + 1;
	char hdr[NEWC_HDR + 16];

	/* magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
	 * devminor, rdevmajor, rdevminor, namesize, check */
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ino, mode, 0u, 0u, nlink, 0u, (uint32_t)size, 0u, 0u, 0u, 0u, (uint32_t)nlen, 0u);
	memcpy(p, hdr, NEWC_HDR);
	memcpy(p + NEWC_HDR, name, nlen);
	size_t end = PAD4(NEWC_HDR + nlen);
	memset(p + NEWC_HDR + nlen, 0, end - NEWC_HDR - nlen);
	return end;
}

int spore_cpio_append_file(uint8_t **buf, size_t *len, const char *name, uint32_t mode,
			   const void *data, size_t n, struct spore_err *err)
{
	static const char trailer[] = "TRAILER!!!";
	size_t nlen = strlen(name);

	if (nlen == 0 || nlen > 255 || name[0] == '/' || n > UINT32_MAX - 4096)
		return spore_err_setx(err, EINVAL, "cpio: bad file '%.64s' (%zu bytes)", name, n);
	size_t start = PAD4(*len);
	size_t total = start + PAD4(NEWC_HDR + nlen + 1) + PAD4(n) + PAD4(NEWC_HDR + sizeof(trailer));
	uint8_t *b = realloc(*buf, total);
	if (!b)
		return spore_err_set(err, ENOMEM, "cpio: %zu bytes", total);
	memset(b + *len, 0, start - *len);
	size_t at = start;
	at += put_header(b + at, 1, 0100000u | (mode & 07777u), 1, n, name);
	memcpy(b + at, data, n);
	memset(b + at + n, 0, PAD4(n) - n);
	at += PAD4(n);
	at += put_header(b + at, 0, 0, 1, 0, trailer);
	*buf = b;
	*len = at;
	return 0;
}

int spore_initrd_with_bundle(const char *initrd_path, const struct spore_bundle *b, uint8_t **out,
			     size_t *outlen, struct spore_err *err)
{
	uint8_t *buf = NULL, *rd = NULL;
	size_t len = 0, rdlen = 0;
	const char *why = NULL;
	int r;

	if (spore_bundle_encode(b, &buf, &len, &why) < 0)
		return spore_err_setx(err, EINVAL, "cannot encode the launch bundle: %s",
				      why ? why : "invalid");
	if ((r = spore_read_file(initrd_path, 64 << 20, &rd, &rdlen, err)) < 0)
		spore_err_wrap(err, "sporeinit's initrd");
	else if ((r = spore_cpio_append_file(&rd, &rdlen, SPORE_BUNDLE_INITRD_FILE, 0400, buf, len,
					     err)) == 0) {
		*out = rd;
		*outlen = rdlen;
		rd = NULL;
	}
	free(rd);
	free(buf);
	return r;
}

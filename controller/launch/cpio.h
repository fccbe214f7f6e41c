/* The "newc" cpio format the kernel unpacks as an initramfs. Archives may be
 * concatenated: the kernel unpacks one after the other, each starting on a
 * 4-byte boundary. spore appends one holding the launch bundle to
 * sporeinit's initrd, so the bundle needs no block device of its own. */
#ifndef SPORE_CPIO_H
#define SPORE_CPIO_H

#include <spore/bundle.h>
#include <spore/err.h>

#include <stddef.h>
#include <stdint.h>

/* Appends to buf (a malloc'd buffer of *len bytes, grown with realloc)
 * zero padding to a 4-byte boundary, then a newc archive holding one
 * regular file, name (relative, no NUL inside), mode, owned by root, with
 * data, and the trailer. */
int spore_cpio_append_file(uint8_t **buf, size_t *len, const char *name, uint32_t mode,
			   const void *data, size_t n, struct spore_err *err);

/* sporeinit's initrd (the file at initrd_path, at most 64 MiB: it is a
 * small static binary) with bundle b appended as SPORE_BUNDLE_INITRD_FILE:
 * what launch and spore-runc hand the builder. *out is malloc'd. */
int spore_initrd_with_bundle(const char *initrd_path, const struct spore_bundle *b, uint8_t **out,
			     size_t *outlen, struct spore_err *err);

#endif

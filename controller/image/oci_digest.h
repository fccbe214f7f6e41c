/* Content digests as OCI writes them: "sha256:" + 64 lowercase hex digits.
 *
 * Only sha256 is accepted. A digest string is validated before it is used in
 * a file name or URL, since the blob store's paths are derived from it. */
#ifndef SPORE_OCI_DIGEST_H
#define SPORE_OCI_DIGEST_H

#include "sha256.h"
#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPORE_DIGEST_LEN 71 /* "sha256:" + 64, without the NUL */

/* True if s is exactly "sha256:" followed by 64 lowercase hex digits. */
bool spore_digest_valid(const char *s);

/* Streaming sha256 of everything fed to it, plus a byte count. */
struct spore_hasher {
	struct spore_sha256 sha;
	uint64_t bytes;
};

int spore_hasher_init(struct spore_hasher *h, struct spore_err *err);
void spore_hasher_update(struct spore_hasher *h, const void *buf, size_t len);
/* Writes "sha256:<hex>" to out and frees the context. */
void spore_hasher_final(struct spore_hasher *h, char out[SPORE_DIGEST_LEN + 1]);
void spore_hasher_free(struct spore_hasher *h);

/* Digest of a buffer, as "sha256:<hex>". */
int spore_digest_buf(const void *buf, size_t len, char out[SPORE_DIGEST_LEN + 1],
		     struct spore_err *err);

#endif

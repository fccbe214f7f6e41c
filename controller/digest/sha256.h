/* SHA-256 and its hex form: one implementation for the kernel cache
 * (controller/loader/) and the image store's digests (controller/image/),
 * which do not link each other. */
#ifndef SPORE_SHA256_H
#define SPORE_SHA256_H

#include <spore/err.h>

#include <stddef.h>
#include <stdint.h>

#define SPORE_SHA256_LEN 32
#define SPORE_SHA256_HEX_LEN 64

/* A streaming digest. */
struct spore_sha256 {
	void *ctx; /* SHA256_CTX, kept out of this header */
};
int spore_sha256_init(struct spore_sha256 *h, struct spore_err *err);
void spore_sha256_update(struct spore_sha256 *h, const void *buf, size_t len);
/* Writes the digest and frees the context. */
void spore_sha256_final(struct spore_sha256 *h, uint8_t out[SPORE_SHA256_LEN]);
/* Frees the context without a digest (again, or after final: no-op). */
void spore_sha256_free(struct spore_sha256 *h);

/* The digest of one buffer. */
int spore_sha256(const void *buf, size_t len, uint8_t out[SPORE_SHA256_LEN],
		 struct spore_err *err);
/* 64 lowercase hex digits and a NUL. */
void spore_sha256_hex(const uint8_t sha[SPORE_SHA256_LEN], char hex[SPORE_SHA256_HEX_LEN + 1]);
/* The reverse, of exactly 64 lowercase hex digits (hex need not end there);
 * -EINVAL on anything else. */
int spore_sha256_from_hex(const char *hex, uint8_t sha[SPORE_SHA256_LEN]);

#endif

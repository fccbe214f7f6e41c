/* OpenSSL's direct SHA-256 routines, not EVP: EVP's first use sets up
 * OpenSSL's provider machinery, ~1 ms on hardware and ~35 ms in the emulated
 * sandbox, for the few small digests a launch takes (same code underneath).
 * Re-measure: the `image` step of `SPORE_LOG=debug sporectl launch`. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "sha256.h"

#include <errno.h>
#include <openssl/sha.h>
#include <stdlib.h>

int spore_sha256_init(struct spore_sha256 *h, struct spore_err *err)
{
	SHA256_CTX *ctx = malloc(sizeof(*ctx));
	if (!ctx || !SHA256_Init(ctx)) {
		free(ctx);
		return spore_err_setx(err, ENOMEM, "starting sha256: OpenSSL failed");
	}
	h->ctx = ctx;
	return 0;
}

void spore_sha256_update(struct spore_sha256 *h, const void *buf, size_t len)
{
	SHA256_Update(h->ctx, buf, len);
}

void spore_sha256_final(struct spore_sha256 *h, uint8_t out[SPORE_SHA256_LEN])
{
	SHA256_Final(out, h->ctx);
	spore_sha256_free(h);
}

void spore_sha256_free(struct spore_sha256 *h)
{
	free(h->ctx);
	h->ctx = NULL;
}

int spore_sha256(const void *buf, size_t len, uint8_t out[SPORE_SHA256_LEN],
		 struct spore_err *err)
{
	SHA256_CTX c;
	if (!SHA256_Init(&c) || !SHA256_Update(&c, buf, len) || !SHA256_Final(out, &c))
		return spore_err_setx(err, EIO, "computing sha256: OpenSSL failed");
	return 0;
}

void spore_sha256_hex(const uint8_t sha[SPORE_SHA256_LEN], char hex[SPORE_SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < SPORE_SHA256_LEN; i++) {
		hex[2 * i] = digits[sha[i] >> 4];
		hex[2 * i + 1] = digits[sha[i] & 15];
	}
	hex[SPORE_SHA256_HEX_LEN] = '\0';
}

static int nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int spore_sha256_from_hex(const char *hex, uint8_t sha[SPORE_SHA256_LEN])
{
	for (int i = 0; i < SPORE_SHA256_LEN; i++) {
		int hi = nibble(hex[2 * i]), lo = hi < 0 ? -1 : nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		sha[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

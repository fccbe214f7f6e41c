/* OpenSSL's direct SHA-256 routines, not EVP: EVP's first use sets up
 * OpenSSL's provider machinery, ~1 ms on hardware and ~35 ms in the emulated
 * sandbox, for the few small digests a launch takes (same code underneath).
 * Re-measure: the `image` step of `SPORE_LOG=debug sporectl launch`. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "oci_digest.h"

#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool spore_digest_valid(const char *s)
{
	if (!s || strncmp(s, "sha256:", 7))
		return false;
	for (int i = 0; i < 64; i++) {
		char c = s[7 + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return s[71] == '\0';
}

int spore_hasher_init(struct spore_hasher *h, struct spore_err *err)
{
	SHA256_CTX *ctx = malloc(sizeof(*ctx));
	if (!ctx || !SHA256_Init(ctx)) {
		free(ctx);
		return spore_err_setx(err, ENOMEM, "starting sha256: OpenSSL failed");
	}
	h->ctx = ctx;
	h->bytes = 0;
	return 0;
}

void spore_hasher_update(struct spore_hasher *h, const void *buf, size_t len)
{
	SHA256_Update(h->ctx, buf, len);
	h->bytes += len;
}

void spore_hasher_final(struct spore_hasher *h, char out[SPORE_DIGEST_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256_Final(md, h->ctx);
	strcpy(out, "sha256:");
	for (int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	spore_hasher_free(h);
}

void spore_hasher_free(struct spore_hasher *h)
{
	free(h->ctx);
	h->ctx = NULL;
}

int spore_digest_buf(const void *buf, size_t len, char out[SPORE_DIGEST_LEN + 1],
		     struct spore_err *err)
{
	struct spore_hasher h;
	int r = spore_hasher_init(&h, err);
	if (r < 0)
		return r;
	spore_hasher_update(&h, buf, len);
	spore_hasher_final(&h, out);
	return 0;
}

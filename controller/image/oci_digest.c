/* OCI digests; see oci_digest.h. The hashing is common/sha256.c. */
#include "oci_digest.h"

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
	h->bytes = 0;
	return spore_sha256_init(&h->sha, err);
}

void spore_hasher_update(struct spore_hasher *h, const void *buf, size_t len)
{
	spore_sha256_update(&h->sha, buf, len);
	h->bytes += len;
}

void spore_hasher_final(struct spore_hasher *h, char out[SPORE_DIGEST_LEN + 1])
{
	uint8_t md[SPORE_SHA256_LEN];
	spore_sha256_final(&h->sha, md);
	memcpy(out, "sha256:", 7);
	spore_sha256_hex(md, out + 7);
}

void spore_hasher_free(struct spore_hasher *h)
{
	spore_sha256_free(&h->sha);
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

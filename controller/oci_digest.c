#include <spore/oci_digest.h>

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
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
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		return spore_err_setx(err, ENOMEM, "starting sha256: OpenSSL failed");
	}
	h->ctx = ctx;
	h->bytes = 0;
	return 0;
}

void spore_hasher_update(struct spore_hasher *h, const void *buf, size_t len)
{
	EVP_DigestUpdate(h->ctx, buf, len);
	h->bytes += len;
}

void spore_hasher_final(struct spore_hasher *h, char out[SPORE_DIGEST_LEN + 1])
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_DigestFinal_ex(h->ctx, md, &n);
	strcpy(out, "sha256:");
	for (int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	spore_hasher_free(h);
}

void spore_hasher_free(struct spore_hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
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

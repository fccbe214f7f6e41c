/* libFuzzer target for the launch bundle decoder (sporeinit's untrusted
 * input). Odd first byte: the rest is decoded as is. Even: the rest is a
 * body behind a valid header, so that mutations get past the CRC. A decoded
 * bundle must re-encode, and decode again to the same argv and env. */
#include <spore/bundle.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct spore_bundle a, b;

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why;
	uint8_t *buf, *re;
	size_t len, relen;

	if (size < 1 || size > SPORE_BUNDLE_MAX_SIZE - SPORE_BUNDLE_HDR_SIZE)
		return 0;
	if (data[0] & 1) {
		len = size - 1;
		buf = malloc(len ? len : 1);
		memcpy(buf, data + 1, len);
	} else {
		len = SPORE_BUNDLE_HDR_SIZE + size - 1;
		buf = malloc(len);
		memcpy(buf, SPORE_BUNDLE_MAGIC, 8);
		put32(buf + 8, SPORE_BUNDLE_VERSION);
		put32(buf + 12, (uint32_t)len);
		memcpy(buf + SPORE_BUNDLE_HDR_SIZE, data + 1, size - 1);
		put32(buf + 16, spore_crc32(0, buf + SPORE_BUNDLE_HDR_SIZE, size - 1));
		put32(buf + 20, 0);
	}
	if (spore_bundle_decode(&a, buf, len, &why) == 0) {
		if (spore_bundle_encode(&a, &re, &relen, &why) != 0)
			abort();
		if (spore_bundle_decode(&b, re, relen, &why) != 0 || a.argc != b.argc ||
		    a.envc != b.envc)
			abort();
		for (unsigned i = 0; i < a.argc; i++)
			if (strcmp(a.argv[i], b.argv[i]))
				abort();
		for (unsigned i = 0; i < a.envc; i++)
			if (strcmp(a.envp[i], b.envp[i]))
				abort();
		free(re);
	}
	free(buf);
	return 0;
}

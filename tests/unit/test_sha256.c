/* common/sha256.c: FIPS 180-2's "abc" vector one-shot and streamed, the
 * hex form and its reverse. */
#include "sha256.h"

#include <errno.h>
#include <string.h>

#include "tap.h"

#define ABC_HEX "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

int main(void)
{
	struct spore_err err = {0};
	uint8_t one[SPORE_SHA256_LEN], streamed[SPORE_SHA256_LEN], back[SPORE_SHA256_LEN];
	char hex[SPORE_SHA256_HEX_LEN + 1];
	struct spore_sha256 h;

	is_int(spore_sha256("abc", 3, one, &err), 0, "one-shot digest: %s", err.msg);
	spore_sha256_hex(one, hex);
	is_str(hex, ABC_HEX, "sha256(\"abc\") in lowercase hex");

	is_int(spore_sha256_init(&h, &err), 0, "streaming digest starts: %s", err.msg);
	spore_sha256_update(&h, "a", 1);
	spore_sha256_update(&h, "bc", 2);
	spore_sha256_final(&h, streamed);
	ok(!memcmp(one, streamed, sizeof(one)), "streamed in pieces, the same digest");
	ok(h.ctx == NULL, "final frees the context");
	spore_sha256_free(&h); /* a second free is a no-op */

	is_int(spore_sha256_from_hex(ABC_HEX, back), 0, "hex parses back");
	ok(!memcmp(one, back, sizeof(one)), "to the same bytes");
	is_int(spore_sha256_from_hex("BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", back),
	       -EINVAL, "upper case refused");
	is_int(spore_sha256_from_hex("ba7816", back), -EINVAL, "short hex refused");
	return tap_done();
}

/* libFuzzer target: arbitrary bytes from "xenstored" through the reply
 * side of the xenstore wire code: framing a stream of messages, error
 * replies, directory and watch-event bodies, DIRECTORY_PART assembly. */
#include <spore/xs_wire.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spore_err err = {0};
	struct spore_xs_dirpart dp;
	struct spore_xs_msg m;
	const char *names[8], *path, *token;
	uint32_t u;
	size_t off = 0;
	int n;

	spore_xs_dirpart_init(&dp);
	/* The first byte picks the reader's payload cap, as the client uses
	 * both 4096 and the larger socket limit. */
	size_t cap = size && (data[0] & 1) ? SPORE_XS_REPLY_MAX : XENSTORE_PAYLOAD_MAX;
	while (off < size && (n = spore_xs_parse(data + off, size - off, cap, &m, &err)) > 0) {
		/* Bodies are not NUL-terminated on the wire: give each its own
		 * exact-size copy so reads past the end are caught. */
		char *body = malloc(m.len ? m.len : 1);
		memcpy(body, m.body, m.len);
		m.body = body;
		spore_xs_reply_check(&m, XS_READ, &err);
		spore_xs_error_code(body, m.len);
		spore_xs_split(body, m.len, names, 8);
		spore_xs_parse_u32(body, m.len, &u);
		spore_xs_parse_watch_event(&m, &path, &token, &err);
		if (m.type == XS_DIRECTORY_PART)
			spore_xs_dirpart_feed(&dp, body, m.len, &err);
		free(body);
		off += (size_t)n;
	}
	spore_xs_dirpart_free(&dp);
	return 0;
}

/* libFuzzer target for the control channel's frame decoder: what a
 * guest's sporeinit (untrusted) writes to spored. The input is a byte
 * stream cut into frames as spored cuts its ring; every decoded frame must
 * re-encode to exactly its bytes, and a stream fed in pieces (the first
 * byte says how big) must decode the same as whole. */
#include <spore/chan_proto.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t re[SPORE_CHAN_MAX_FRAME], acc[2 * SPORE_CHAN_MAX_FRAME];

/* Frames decoded from the stream until the first invalid one or its end;
 * returns how many, and their total size in *used. */
static size_t whole(const uint8_t *p, size_t n, size_t *used)
{
	size_t off = 0, frames = 0;
	for (;;) {
		struct spore_chan_msg m;
		const char *why;
		int k = spore_chan_decode(p + off, n - off, &m, &why);
		if (k <= 0)
			break;
		if ((size_t)k > n - off || m.len + SPORE_CHAN_HDR != (size_t)k ||
		    m.payload != p + off + SPORE_CHAN_HDR)
			abort();
		size_t e = spore_chan_encode(re, sizeof(re), m.type, m.stream, m.payload, m.len);
		if (e != (size_t)k || memcmp(re, p + off, e))
			abort();
		(void)spore_chan_from_guest(m.type);
		if (m.type == SPORE_CHAN_HELLO)
			(void)spore_chan_hello_version(&m);
		off += (size_t)k;
		frames++;
	}
	*used = off;
	return frames;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t piece = (size_t)data[0] % 64 + 1, used_whole;
	data++;
	size--;
	size_t want = whole(data, size, &used_whole);

	/* In pieces, as reads of a ring come: the same frames. */
	size_t have = 0, got = 0, fed = 0, used = 0;
	bool bad = false;
	while (fed < size && !bad) {
		size_t k = size - fed < piece ? size - fed : piece;
		if (k > sizeof(acc) - have)
			k = sizeof(acc) - have;
		memcpy(acc + have, data + fed, k);
		have += k;
		fed += k;
		for (;;) {
			struct spore_chan_msg m;
			const char *why;
			int r = spore_chan_decode(acc, have, &m, &why);
			if (r < 0)
				bad = true;
			if (r <= 0)
				break;
			got++;
			used += (size_t)r;
			memmove(acc, acc + r, have - (size_t)r);
			have -= (size_t)r;
		}
	}
	if (got != want || used != used_whole)
		abort();
	return 0;
}

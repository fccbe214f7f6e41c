/* Guest console bytes through the terminal filter (sporectl logs without
 * --raw) and the log record parser: whatever comes in, what goes out holds
 * no escape but ESC [ digits;... m, no C0 control but \n \t \r, no C1,
 * and is valid UTF-8 (checked here, independently of the filter). Also the
 * record parser and the protocol parser on the same bytes. */
#include "term_filter.h"
#include <spore/conlog.h>
#include <spore/svc_proto.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c == 0x1b) {
			if (i + 1 >= n || p[i + 1] != '[')
				abort();
			size_t j = i + 2;
			while (j < n && ((p[j] >= '0' && p[j] <= '9') || p[j] == ';' || p[j] == ':'))
				j++;
			if (j >= n || p[j] != 'm')
				abort();
			i = j + 1;
			continue;
		}
		if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f)
			abort();
		if (c < 0x80) {
			i++;
			continue;
		}
		int len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
		if (!len || c > 0xf4 || i + (size_t)len > n)
			abort();
		uint32_t cp = c & (0xff >> (len + 1));
		for (int k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				abort();
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
			abort();
		i += (size_t)len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct term_filter f;
	unsigned char *out = malloc(size + TERM_FILTER_MAX_SGR + 8);
	size_t k = 0;
	if (!out)
		return 0;
	term_filter_init(&f);
	/* In two calls, split where the first byte says: sequences across reads. */
	size_t cut = size ? data[0] % (size + 1) : 0;
	k += term_filter(&f, (const char *)data, cut, (char *)out);
	k += term_filter(&f, (const char *)data + cut, size - cut, (char *)out + k);
	if (k > size + TERM_FILTER_MAX_SGR + 8)
		abort();
	/* A sequence cut at the end is still held by the filter, not output:
	 * what came out must stand on its own. */
	check(out, k);
	free(out);

	struct spore_conlog_rec r;
	if (spore_conlog_parse((const char *)data, size, &r) == 0 &&
	    (r.msg < (const char *)data || r.msg + r.len > (const char *)data + size))
		abort();
	struct spore_svc_msg m;
	if (spore_svc_parse(data, size, &m) == 0 && m.payload + m.len > data + size)
		abort();
	return 0;
}

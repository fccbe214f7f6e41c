/* Sizes; see size.h. */
#include "size.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int spore_size_parse(const char *s, unsigned bare_shift, uint64_t *out)
{
	static const char units[] = "bkmgtp";
	unsigned __int128 whole = 0, frac = 0, scale = 1, bytes;
	const char *p = s, *u;
	bool more = false; /* fraction digits beyond what is kept, not all 0 */
	unsigned shift = bare_shift;

	if (!s || !isdigit((unsigned char)*p) || bare_shift > 50)
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (unsigned)(*p - '0');
		if (whole > UINT64_MAX)
			return -ERANGE;
	}
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (scale < 1000000000000000000ull) {
				frac = frac * 10 + (unsigned)(*p - '0');
				scale *= 10;
			} else if (*p != '0') {
				more = true;
			}
		}
	}
	if (*p && (u = strchr(units, tolower((unsigned char)*p)))) {
		shift = 10 * (unsigned)(u - units);
		p++;
		/* "kb", "kib": docker's units read both as 1024. */
		if (shift && tolower((unsigned char)*p) == 'i' && tolower((unsigned char)p[1]) == 'b')
			p += 2;
		else if (shift && tolower((unsigned char)*p) == 'b')
			p++;
	}
	if (*p)
		return -EINVAL;
	/* whole < 2^64 and shift <= 50: no overflow in 128 bits. */
	bytes = (whole << shift) + ((frac << shift) + scale - 1) / scale;
	if (more && (frac << shift) % scale == 0)
		bytes++;
	if (bytes > UINT64_MAX)
		return -ERANGE;
	*out = (uint64_t)bytes;
	return 0;
}

void spore_size_format(uint64_t bytes, char *buf, size_t n)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	unsigned i = 0;

	while (i + 1 < sizeof(units) / sizeof(units[0]) && bytes >= (1ull << (10 * (i + 1))))
		i++;
	if (i == 0)
		snprintf(buf, n, "%llu B", (unsigned long long)bytes);
	else if (bytes % (1ull << (10 * i)) == 0)
		snprintf(buf, n, "%llu %s", (unsigned long long)(bytes >> (10 * i)), units[i]);
	else
		snprintf(buf, n, "%.1f %s", (double)bytes / (double)(1ull << (10 * i)), units[i]);
}

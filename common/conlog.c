/* Console log records; see include/spore/conlog.h. */
#include <spore/conlog.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void spore_conlog_root(const char *root, char *out, size_t n)
{
	const char *env = getenv("SPORE_ROOT");
	if (!root)
		root = env && *env ? env : "/var/lib/spore";
	snprintf(out, n, "%s/logs", root);
}

void spore_conlog_dir(const char *root, const char *uuid, char *out, size_t n)
{
	char base[4096];
	spore_conlog_root(root, base, sizeof(base));
	snprintf(out, n, "%s/%s", base, uuid);
}

void spore_conlog_file(const char *dir, unsigned k, char *out, size_t n)
{
	if (k)
		snprintf(out, n, "%s/" SPORE_CONLOG_FILE ".%u", dir, k);
	else
		snprintf(out, n, "%s/" SPORE_CONLOG_FILE, dir);
}

void spore_conlog_ts(int64_t ns, char *out)
{
	time_t s = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;
	if (ns < 0 || !gmtime_r(&s, &tm) || tm.tm_year + 1900 > 9999) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = 70;
		tm.tm_mday = 1;
		frac = 0;
	}
	/* strftime's fields are bounded (unlike %d of an int), so the 30
	 * characters always fit. */
	strftime(out, SPORE_CONLOG_TS_LEN + 1, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, SPORE_CONLOG_TS_LEN + 1 - 19, ".%09ldZ", frac % 1000000000);
}

size_t spore_conlog_encode(char *out, int64_t ns, enum spore_conlog_stream stream, bool partial,
			   const char *msg, size_t n)
{
	if (n > SPORE_CONLOG_MAX_MSG)
		n = SPORE_CONLOG_MAX_MSG;
	spore_conlog_ts(ns, out);
	memcpy(out + SPORE_CONLOG_TS_LEN, stream == SPORE_CONLOG_STDERR ? " stderr " : " stdout ", 8);
	memcpy(out + SPORE_CONLOG_TS_LEN + 8, partial ? "P " : "F ", 2);
	memcpy(out + SPORE_CONLOG_HDR_LEN, msg, n);
	out[SPORE_CONLOG_HDR_LEN + n] = '\n';
	return SPORE_CONLOG_HDR_LEN + n + 1;
}

static int digits(const char *p, int n, long *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (p[i] - '0');
	}
	return 0;
}

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's). */
static int64_t days_from_civil(long y, long m, long d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64_t)era * 146097 + doe - 719468;
}

/* "YYYY-MM-DDTHH:MM:SS", then optional .fraction (1-9 digits), then an
 * optional Z (required if need_z). Returns the characters used or -1. */
static int parse_rfc3339(const char *p, size_t len, bool need_z, int64_t *ns)
{
	long y, mo, d, h, mi, s, frac = 0;
	size_t i = 19;
	if (len < 19 || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' ||
	    p[16] != ':' || digits(p, 4, &y) || digits(p + 5, 2, &mo) || digits(p + 8, 2, &d) ||
	    digits(p + 11, 2, &h) || digits(p + 14, 2, &mi) || digits(p + 17, 2, &s))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -1;
	if (i < len && p[i] == '.') {
		int nd = 0;
		for (i++; i < len && p[i] >= '0' && p[i] <= '9'; i++, nd++)
			if (nd < 9)
				frac = frac * 10 + (p[i] - '0');
		if (nd == 0)
			return -1;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	if (i < len && p[i] == 'Z')
		i++;
	else if (need_z)
		return -1;
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	/* Nanoseconds in 64 bits end in 2262: later is "never". */
	if (secs > INT64_MAX / 1000000000 - 1)
		*ns = INT64_MAX;
	else if (secs < INT64_MIN / 1000000000 + 1)
		*ns = INT64_MIN;
	else
		*ns = secs * 1000000000LL + frac;
	return (int)i;
}

int spore_conlog_parse(const char *line, size_t len, struct spore_conlog_rec *r)
{
	int64_t ns;
	if (len < SPORE_CONLOG_HDR_LEN || len > SPORE_CONLOG_MAX_LINE ||
	    parse_rfc3339(line, len, true, &ns) != SPORE_CONLOG_TS_LEN)
		return -EBADMSG;
	const char *h = line + SPORE_CONLOG_TS_LEN;
	if ((memcmp(h, " stdout ", 8) && memcmp(h, " stderr ", 8)) || (h[8] != 'F' && h[8] != 'P') ||
	    h[9] != ' ')
		return -EBADMSG;
	r->ns = ns;
	r->stream = h[4] == 'e' ? SPORE_CONLOG_STDERR : SPORE_CONLOG_STDOUT;
	r->partial = h[8] == 'P';
	r->msg = line + SPORE_CONLOG_HDR_LEN;
	r->len = len - SPORE_CONLOG_HDR_LEN;
	if (memchr(r->msg, '\n', r->len))
		return -EBADMSG;
	return 0;
}

int spore_conlog_since(const char *s, int64_t now_ns, int64_t *ns)
{
	size_t len = strlen(s);
	int64_t t;
	if (!len)
		return -EINVAL;
	if (parse_rfc3339(s, len, false, &t) == (int)len) {
		*ns = t;
		return 0;
	}
	/* Unix seconds, optionally with a fraction. */
	char *end;
	errno = 0;
	if (s[0] >= '0' && s[0] <= '9') {
		double v = strtod(s, &end);
		if (!errno && !*end && v >= 0 && v < 1e11) {
			*ns = (int64_t)(v * 1e9);
			return 0;
		}
	}
	/* A duration: NUMBER UNIT pairs, units s, m, h. */
	int64_t total = 0;
	const char *p = s;
	while (*p) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		long long v = strtoll(p, &end, 10);
		if (v < 0 || v > 100000000LL)
			return -EINVAL;
		int64_t unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : 0;
		if (!unit)
			return -EINVAL;
		total += v * unit;
		p = end + 1;
	}
	*ns = now_ns - total * 1000000000LL;
	return 0;
}

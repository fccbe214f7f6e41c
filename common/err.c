#include <spore/err.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int err_vset(struct spore_err *err, int code, int with_errno, const char *fmt, va_list ap)
{
	if (code < 0)
		code = -code;
	if (!err)
		return code ? -code : -EIO;
	err->code = code ? code : EIO;
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (n < 0) {
		err->msg[0] = '\0';
		n = 0;
	}
	if (with_errno && code && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(code));
	return -err->code;
}

int spore_err_set(struct spore_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = err_vset(err, code, 1, fmt, ap);
	va_end(ap);
	return r;
}

int spore_err_setx(struct spore_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = err_vset(err, code, 0, fmt, ap);
	va_end(ap);
	return r;
}

int spore_err_wrap(struct spore_err *err, const char *fmt, ...)
{
	char prefix[SPORE_ERR_MSG_MAX], old[SPORE_ERR_MSG_MAX];
	va_list ap;

	if (!err)
		return -EIO;
	if (!err->code)
		err->code = EIO;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Assemble by hand: truncation is intended, and gcc's format checks
	 * cannot see that the parts are bounded. */
	size_t n = strnlen(prefix, sizeof(err->msg) - 1);
	memcpy(err->msg, prefix, n);
	if (old[0] && n + 2 < sizeof(err->msg)) {
		memcpy(err->msg + n, ": ", 2);
		n += 2;
		size_t m = strnlen(old, sizeof(err->msg) - 1 - n);
		memcpy(err->msg + n, old, m);
		n += m;
	}
	err->msg[n] = '\0';
	return -err->code;
}

void spore_err_clear(struct spore_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

/* The length of the valid UTF-8 sequence at p that is not a C1 control,
 * or 0. */
static size_t utf8_len(const unsigned char *p)
{
	size_t len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	if (p[0] == 0xc2)
		lo = 0xa0; /* U+0080..U+009F are the C1 controls */
	else if (p[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f; /* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

const char *spore_printable(const char *s, char *out, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t at = 0;

	if (!n)
		return out;
	while (*p) {
		size_t len = *p >= 0x20 && *p < 0x7f ? 1 : *p >= 0x80 ? utf8_len(p) : 0;
		if (len) {
			if (at + len >= n)
				break;
			memcpy(out + at, p, len);
			at += len;
			p += len;
			continue;
		}
		if (at + 4 >= n)
			break;
		snprintf(out + at, 5, "\\x%02x", *p++);
		at += 4;
	}
	out[at] = '\0';
	return out;
}

void spore_err_print(const char *prog, const char *msg)
{
	char shown[SPORE_ERR_MSG_MAX * 4];
	fprintf(stderr, "%s: %s\n", prog, spore_printable(msg, shown, sizeof(shown)));
}

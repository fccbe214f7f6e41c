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

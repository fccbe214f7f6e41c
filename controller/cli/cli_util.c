#include "cli_util.h"
#include "guest_teardown.h"
#include "pv_builder.h"
#include "size.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_parse_memory(const char *verb, const char *s, uint64_t *mib, struct spore_err *err)
{
	uint64_t bytes;
	char lo[32], hi[32];

	if (spore_size_parse(s, 20, &bytes) == 0 && bytes % (1 << 20) == 0 &&
	    bytes >= (uint64_t)SPORE_MEMORY_MIN_MIB << 20 && bytes <= (uint64_t)SPORE_MEMORY_MAX_MIB << 20) {
		*mib = bytes >> 20;
		return 0;
	}
	spore_size_format((uint64_t)SPORE_MEMORY_MIN_MIB << 20, lo, sizeof(lo));
	spore_size_format((uint64_t)SPORE_MEMORY_MAX_MIB << 20, hi, sizeof(hi));
	return spore_err_setx(err, EINVAL, "%s: --memory '%s' is not a whole number of MiB from %s to %s",
			      verb, s, lo, hi);
}

int cli_usage(struct spore_err *err, const char *fmt, ...)
{
	err->code = CLI_EUSAGE;
	err->msg[0] = '\0';
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -CLI_EUSAGE;
}

int cli_running_guest(struct spore_xc *xc, struct spore_xs *xs, const char *verb, const char *id,
		      struct spore_guest *g, struct spore_dominfo *info, struct spore_err *err)
{
	int r = spore_guest_resolve(xs, id, g, err);
	if (r < 0) {
		spore_err_wrap(err, "%s", verb);
		return r;
	}
	if ((r = spore_guest_find_domain(xc, g, info, err)) < 0)
		return r;
	if (!r || spore_dominfo_shutdown(info) || spore_dominfo_dying(info))
		return spore_err_setx(err, ESRCH, "%s: guest '%s' is not running", verb, id);
	return 0;
}

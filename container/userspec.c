/* See userspec.h. The image's files are hostile input: every line is parsed
 * within its own bounds and malformed lines are skipped, as runc does. */
#include "userspec.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_FIELDS 8

struct field {
	const char *p;
	size_t n;
};

static bool field_is(struct field f, const char *s, size_t n)
{
	return f.n == n && memcmp(f.p, s, n) == 0;
}

/* Decimal id in 0..4294967294 (uid_t -1 is "no change" to the kernel). */
static bool parse_id(const char *p, size_t n, unsigned long long *out)
{
	unsigned long long v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v > 4294967294ULL)
		return false;
	*out = v;
	return true;
}

/* Calls back for each line's fields; stops when cb returns true. */
static bool each_line(const char *text, size_t len, int min_fields,
		      bool (*cb)(struct field *f, int nf, void *ctx), void *ctx)
{
	size_t off = 0;

	if (!text)
		return false;
	while (off < len) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;
		struct field f[MAX_FIELDS];
		int nf = 0;
		size_t start = 0;

		off += n + 1;
		if (n == 0 || line[0] == '#')
			continue;
		for (size_t i = 0; i <= n && nf < MAX_FIELDS; i++) {
			if (i == n || line[i] == ':') {
				f[nf].p = line + start;
				f[nf].n = i - start;
				nf++;
				start = i + 1;
			}
		}
		if (nf >= min_fields && cb(f, nf, ctx))
			return true;
	}
	return false;
}

struct pw_query {
	const char *arg;
	size_t argn;
	bool numeric;
	unsigned long long num;
	/* result */
	unsigned long long uid, gid;
	struct field name, home;
};

static bool pw_match(struct field *f, int nf, void *ctx)
{
	struct pw_query *q = ctx;
	unsigned long long uid, gid;

	if (!parse_id(f[2].p, f[2].n, &uid) || !parse_id(f[3].p, f[3].n, &gid))
		return false;
	if (!field_is(f[0], q->arg, q->argn) && !(q->numeric && uid == q->num))
		return false;
	q->uid = uid;
	q->gid = gid;
	q->name = f[0];
	q->home = nf > 5 ? f[5] : (struct field){"", 0};
	return true;
}

struct gr_query {
	const char *arg;
	size_t argn;
	bool numeric;
	unsigned long long num;
	unsigned long long gid;
	/* supplementary mode */
	struct field member;
	struct userspec_ids *out;
};

static bool gr_match(struct field *f, int nf, void *ctx)
{
	struct gr_query *q = ctx;
	unsigned long long gid;

	(void)nf;
	if (!parse_id(f[2].p, f[2].n, &gid))
		return false;
	if (!field_is(f[0], q->arg, q->argn) && !(q->numeric && gid == q->num))
		return false;
	q->gid = gid;
	return true;
}

static bool gr_member(struct field *f, int nf, void *ctx)
{
	struct gr_query *q = ctx;
	unsigned long long gid;
	const char *m;
	size_t left;

	if (nf < 4 || !parse_id(f[2].p, f[2].n, &gid))
		return false;
	for (m = f[3].p, left = f[3].n; left > 0;) {
		const char *comma = memchr(m, ',', left);
		size_t n = comma ? (size_t)(comma - m) : left;

		if (field_is(q->member, m, n)) {
			if (q->out->ngroups >= USERSPEC_MAX_GROUPS)
				return true;
			q->out->groups[q->out->ngroups++] = (gid_t)gid;
			break;
		}
		if (!comma)
			break;
		m = comma + 1;
		left -= n + 1;
	}
	return false;
}

int userspec_resolve(const char *spec, const char *passwd, size_t passwd_len, const char *group,
		     size_t group_len, struct userspec_ids *out, char *errbuf, size_t errlen)
{
	const char *colon;
	size_t un;
	struct pw_query pq = {0};
	bool found;

	memset(out, 0, sizeof(*out));
	strcpy(out->home, "/");
	if (!spec)
		spec = "";
	colon = strchr(spec, ':');
	un = colon ? (size_t)(colon - spec) : strlen(spec);

	pq.arg = un ? spec : "0";
	pq.argn = un ? un : 1;
	pq.numeric = parse_id(pq.arg, pq.argn, &pq.num);
	if (!pq.numeric && pq.arg[0] >= '0' && pq.arg[0] <= '9' &&
	    strspn(pq.arg, "0123456789") >= pq.argn) {
		snprintf(errbuf, errlen, "uids and gids must be in range 0-4294967294");
		return -1;
	}
	found = each_line(passwd, passwd_len, 4, pw_match, &pq);
	if (found) {
		out->uid = (uid_t)pq.uid;
		out->gid = (gid_t)pq.gid;
		if (pq.home.n > 0 && pq.home.n < sizeof(out->home)) {
			memcpy(out->home, pq.home.p, pq.home.n);
			out->home[pq.home.n] = '\0';
		}
	} else if (pq.numeric) {
		out->uid = (uid_t)pq.num;
	} else {
		snprintf(errbuf, errlen, "unable to find user %.*s: no matching entries in passwd file",
			 (int)(un > 64 ? 64 : un), spec);
		return -1;
	}

	if (colon) {
		struct gr_query gq = {.arg = colon + 1, .argn = strlen(colon + 1)};

		gq.numeric = parse_id(gq.arg, gq.argn, &gq.num);
		if (gq.argn == 0) {
			snprintf(errbuf, errlen, "empty group in user spec");
			return -1;
		}
		if (each_line(group, group_len, 3, gr_match, &gq)) {
			out->gid = (gid_t)gq.gid;
		} else if (gq.numeric) {
			out->gid = (gid_t)gq.num;
		} else {
			snprintf(errbuf, errlen,
				 "unable to find group %.64s: no matching entries in group file", gq.arg);
			return -1;
		}
	} else if (found) {
		struct gr_query gq = {.member = pq.name, .out = out};
		each_line(group, group_len, 4, gr_member, &gq);
	}
	return 0;
}

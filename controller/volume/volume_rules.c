/* Managed volumes' pure rules; see volume_rules.h. */
#include "volume_rules.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

bool spore_volume_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (!len || len > SPORE_VOLUME_NAME_MAX || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		/* isalnum() follows the locale; the rule is ASCII. */
		if (!(c < 0x80 && isalnum(c)) && c != '_' && c != '.' && c != '-')
			return false;
	}
	return (unsigned char)name[0] < 0x80;
}

/* One byte as it is shown: itself, or \xHH. Returns its length. */
static int show_byte(unsigned char c, char one[5])
{
	if (c >= 0x20 && c < 0x7f && c != '\\')
		return snprintf(one, 5, "%c", c);
	return snprintf(one, 5, "\\x%02x", c);
}

const char *spore_volume_printable(const char *s, char *out, size_t n)
{
	const unsigned char *p;
	size_t at = 0, total = 0;
	char one[5];

	if (!n)
		return out;
	for (p = (const unsigned char *)s; *p; p++)
		total += (size_t)show_byte(*p, one);
	/* Cut only if it does not fit, and then leave room for "...". */
	size_t room = total < n ? n - 1 : (n > 4 ? n - 4 : 0);
	for (p = (const unsigned char *)s; *p; p++) {
		size_t len = (size_t)show_byte(*p, one);
		if (at + len > room)
			break;
		memcpy(out + at, one, len);
		at += len;
	}
	if (total >= n && n > 4) {
		memcpy(out + at, "...", 3);
		at += 3;
	}
	out[at] = '\0';
	return out;
}

bool spore_volume_list_has(const char *list, const char *name)
{
	size_t nlen = strlen(name);

	for (const char *p = list ? list : ""; *p;) {
		size_t len = strcspn(p, " ");
		size_t entry = strcspn(p, ": ");
		if (nlen && entry == nlen && entry <= len && !memcmp(p, name, nlen))
			return true;
		p += len;
		p += strspn(p, " ");
	}
	return false;
}

int spore_volume_mount_parse(const char *spec, struct spore_volume_mount *m,
			     struct spore_err *err)
{
	char shown[96], what[96];
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	size_t at = 0;

	memset(m, 0, sizeof(*m));
	spore_volume_printable(spec, shown, sizeof(shown));
	if (spec[0] == '/' || spec[0] == '.' || spec[0] == '~')
		return spore_err_setx(err, EINVAL, "-v '%s': host directories are not supported yet (only named volumes, NAME:/path[:ro])",
				      shown);
	if (!c1)
		return spore_err_setx(err, EINVAL, "-v '%s': expected NAME:/path[:ro] (anonymous volumes are not supported yet)",
				      shown);
	if (c2 && strchr(c2 + 1, ':'))
		return spore_err_setx(err, EINVAL, "-v '%s': expected NAME:/path[:ro]", shown);
	if ((size_t)(c1 - spec) > SPORE_VOLUME_NAME_MAX)
		return spore_err_setx(err, EINVAL, "-v '%s': a volume name has at most %d characters",
				      shown, SPORE_VOLUME_NAME_MAX);
	memcpy(m->name, spec, (size_t)(c1 - spec));
	if (!spore_volume_name_valid(m->name))
		return spore_err_setx(err, EINVAL, "-v '%s': '%s' is not a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)",
				      shown, spore_volume_printable(m->name, what, sizeof(what)));

	/* The target, with repeated and trailing '/' dropped, so that the
	 * duplicate check compares what the container sees. */
	const char *t = c1 + 1, *tend = c2 ? c2 : t + strlen(t);
	if (t == tend || *t != '/')
		return spore_err_setx(err, EINVAL, "-v '%s': the target must be an absolute path in the container",
				      shown);
	for (const char *p = t; p < tend; p++) {
		if (*p == '/' && at && m->target[at - 1] == '/')
			continue;
		if (at == SPORE_VOLUME_TARGET_MAX)
			return spore_err_setx(err, EINVAL, "-v '%s': the target is longer than %d bytes",
					      shown, SPORE_VOLUME_TARGET_MAX);
		m->target[at++] = *p;
	}
	if (at > 1 && m->target[at - 1] == '/')
		at--;
	m->target[at] = '\0';
	if (!strcmp(m->target, "/"))
		return spore_err_setx(err, EINVAL, "-v '%s': a volume cannot be mounted on /", shown);
	for (const char *p = m->target; *p;) {
		size_t n = strcspn(++p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return spore_err_setx(err, EINVAL, "-v '%s': the target has a '.' or '..' component",
					      shown);
		p += n;
	}
	for (const unsigned char *p = (const unsigned char *)m->target; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return spore_err_setx(err, EINVAL, "-v '%s': the target has control characters",
					      shown);
	if (c2) {
		if (!strcmp(c2 + 1, "ro"))
			m->ro = true;
		else if (strcmp(c2 + 1, "rw"))
			return spore_err_setx(err, EINVAL, "-v '%s': mode '%s' is not ro or rw", shown,
					      spore_volume_printable(c2 + 1, what, sizeof(what)));
	}
	return 0;
}

int spore_volume_mount_check(const struct spore_volume_mount *m, size_t n,
			     struct spore_err *err)
{
	const struct spore_volume_mount *last = &m[n - 1];
	char shown[96];

	for (size_t i = 0; i + 1 < n; i++) {
		if (!strcmp(m[i].target, last->target))
			return spore_err_setx(err, EINVAL, "-v: %s is the target of two volumes",
					      spore_volume_printable(last->target, shown, sizeof(shown)));
		if (!strcmp(m[i].name, last->name))
			return spore_err_setx(err, EINVAL, "-v: volume '%s' is given twice (a volume is attached once)",
					      last->name);
	}
	return 0;
}

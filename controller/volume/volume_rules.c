/* Managed volumes' pure rules; see volume_rules.h. */
#include "volume_rules.h"
#include "size.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* A container path t[0..len) into out (SPORE_VOLUME_TARGET_MAX + 1 bytes),
 * with repeated and trailing '/' dropped, so that the duplicate checks
 * compare what the container sees. opt and shown name the option in
 * errors. */
static int target_parse(const char *t, size_t len, char *out, const char *opt, const char *shown,
			struct spore_err *err)
{
	size_t at = 0;

	if (len == 0 || *t != '/')
		return spore_err_setx(err, EINVAL, "%s '%s': the target must be an absolute path in the container",
				      opt, shown);
	for (const char *p = t; p < t + len; p++) {
		if (*p == '/' && at && out[at - 1] == '/')
			continue;
		if (at == SPORE_VOLUME_TARGET_MAX)
			return spore_err_setx(err, EINVAL, "%s '%s': the target is longer than %d bytes",
					      opt, shown, SPORE_VOLUME_TARGET_MAX);
		out[at++] = *p;
	}
	if (at > 1 && out[at - 1] == '/')
		at--;
	out[at] = '\0';
	if (!strcmp(out, "/"))
		return spore_err_setx(err, EINVAL, "%s '%s': nothing can be mounted on /", opt, shown);
	for (const char *p = out; *p;) {
		size_t n = strcspn(++p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return spore_err_setx(err, EINVAL, "%s '%s': the target has a '.' or '..' component",
					      opt, shown);
		p += n;
	}
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return spore_err_setx(err, EINVAL, "%s '%s': the target has control characters",
					      opt, shown);
	return 0;
}

int spore_volume_mount_parse(const char *spec, struct spore_volume_mount *m,
			     struct spore_err *err)
{
	char shown[96], what[96];
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	int r;

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

	const char *t = c1 + 1, *tend = c2 ? c2 : t + strlen(t);
	if ((r = target_parse(t, (size_t)(tend - t), m->target, "-v", shown, err)) < 0)
		return r;
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

/* One docker --tmpfs option; -EINVAL for one it does not know. */
static int tmpfs_option(struct spore_tmpfs_mount *t, const char *o, size_t n, const char *shown,
			struct spore_err *err)
{
	static const struct {
		const char *name;
		uint8_t set, clear;
	} flags[] = {
		{"ro", SPORE_TMPFS_RO, 0},         {"rw", 0, SPORE_TMPFS_RO},
		{"noexec", SPORE_TMPFS_NOEXEC, 0}, {"exec", 0, SPORE_TMPFS_NOEXEC},
		{"nosuid", SPORE_TMPFS_NOSUID, 0}, {"suid", 0, SPORE_TMPFS_NOSUID},
		{"nodev", SPORE_TMPFS_NODEV, 0},   {"dev", 0, SPORE_TMPFS_NODEV},
	};
	char val[64], what[96];
	uint64_t v;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strlen(flags[i].name) == n && !memcmp(o, flags[i].name, n)) {
			t->flags = (uint8_t)((t->flags | flags[i].set) & ~flags[i].clear);
			return 0;
		}
	}
	if (n > 5 && n - 5 < sizeof(val) && !memcmp(o, "size=", 5)) {
		memcpy(val, o + 5, n - 5);
		val[n - 5] = '\0';
		if (spore_size_parse(val, 0, &v) < 0 || v == 0)
			return spore_err_setx(err, EINVAL, "--tmpfs '%s': size '%s' is not a size above 0 (512m, 1g, bytes)",
					      shown, spore_volume_printable(val, what, sizeof(what)));
		t->size = v;
		return 0;
	}
	if (n > 5 && n - 5 < sizeof(val) && !memcmp(o, "mode=", 5)) {
		char *end;
		memcpy(val, o + 5, n - 5);
		val[n - 5] = '\0';
		errno = 0;
		unsigned long m = strtoul(val, &end, 8);
		if (errno || *end || val[0] == '-' || val[0] == '+' || m > 07777)
			return spore_err_setx(err, EINVAL, "--tmpfs '%s': mode '%s' is not octal 0..7777",
					      shown, spore_volume_printable(val, what, sizeof(what)));
		t->mode = (uint32_t)m;
		return 0;
	}
	memcpy(val, o, n < sizeof(val) ? n : sizeof(val) - 1);
	val[n < sizeof(val) ? n : sizeof(val) - 1] = '\0';
	return spore_err_setx(err, EINVAL, "--tmpfs '%s': option '%s' is not size=, mode=, ro, rw, [no]exec, [no]suid or [no]dev",
			      shown, spore_volume_printable(val, what, sizeof(what)));
}

int spore_tmpfs_parse(const char *spec, struct spore_tmpfs_mount *t, struct spore_err *err)
{
	const char *colon = strchr(spec, ':');
	size_t tlen = colon ? (size_t)(colon - spec) : strlen(spec);
	char shown[96];
	int r;

	memset(t, 0, sizeof(*t));
	t->mode = 01777;
	t->flags = SPORE_TMPFS_NOEXEC | SPORE_TMPFS_NOSUID | SPORE_TMPFS_NODEV;
	spore_volume_printable(spec, shown, sizeof(shown));
	if ((r = target_parse(spec, tlen, t->target, "--tmpfs", shown, err)) < 0)
		return r;
	for (const char *o = colon ? colon + 1 : NULL; o && r == 0;) {
		size_t n = strcspn(o, ",");
		if (n == 0)
			return spore_err_setx(err, EINVAL, "--tmpfs '%s': an empty option", shown);
		r = tmpfs_option(t, o, n, shown, err);
		o = o[n] ? o + n + 1 : NULL;
	}
	return r;
}

int spore_mount_targets_check(const struct spore_volume_mount *m, size_t nm,
			      const struct spore_tmpfs_mount *t, size_t nt, struct spore_err *err)
{
	char shown[96];

	for (size_t i = 0; i < nt; i++) {
		const char *dup = NULL;
		for (size_t j = 0; j < nm && !dup; j++)
			if (!strcmp(m[j].target, t[i].target))
				dup = t[i].target;
		for (size_t j = 0; j < i && !dup; j++)
			if (!strcmp(t[j].target, t[i].target))
				dup = t[i].target;
		if (dup)
			return spore_err_setx(err, EINVAL, "--tmpfs: %s is the target of two mounts",
					      spore_volume_printable(dup, shown, sizeof(shown)));
	}
	return 0;
}

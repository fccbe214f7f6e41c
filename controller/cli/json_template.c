/* docker's --format, the subset spore's objects need; see json_template.h.
 * Hand-written: the only library that parses Go templates is Go's own. */
#include "json_template.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* One {{...}} action between p and end (exclusive, braces stripped):
 * "[json ].key.key" or ".". Sets *as_json and the path's span. */
static bool parse_action(const char *p, const char *end, bool *as_json, const char **path,
			 size_t *len)
{
	while (p < end && *p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	*as_json = (size_t)(end - p) > 5 && !strncmp(p, "json ", 5);
	if (*as_json) {
		p += 5;
		while (p < end && *p == ' ')
			p++;
	}
	if (p == end || *p != '.')
		return false;
	for (const char *q = p + 1; q < end; q++) {
		char c = *q;
		bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '_';
		/* ".a..b", ".a." and ". a" are not paths. */
		if (!word && !(c == '.' && q[-1] != '.' && q + 1 < end))
			return false;
	}
	*path = p;
	*len = (size_t)(end - p);
	return true;
}

int json_template_check(const char *tmpl, struct spore_err *err)
{
	const char *p = tmpl;
	int r = 0;

	while (r == 0 && (p = strstr(p, "{{"))) {
		const char *end = strstr(p + 2, "}}"), *path;
		bool as_json;
		size_t len;
		if (!end)
			r = spore_err_setx(err, EINVAL, "--format: '{{' without '}}'");
		else if (!parse_action(p + 2, end, &as_json, &path, &len))
			r = spore_err_setx(err, EINVAL,
					   "--format: '%.*s' is not {{.field}} or {{json .field}}",
					   (int)(end + 2 - p) > 64 ? 64 : (int)(end + 2 - p), p);
		else
			p = end + 2;
	}
	return r;
}

static const json_t *walk(const json_t *v, const char *path, size_t len)
{
	const char *p = path + 1, *end = path + len;

	while (v && p < end) {
		size_t n = strcspn(p, ".");
		char key[128];
		if (n > (size_t)(end - p))
			n = (size_t)(end - p);
		if (!json_is_object(v) || n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		p += n + 1;
	}
	return v;
}

static void put_shown(const char *s, FILE *out)
{
	for (; *s; s++)
		fputc((*s >= 0x20 && *s < 0x7f) || *s == '\t' || *s == '\n' ? *s : '?', out);
}

static void put_value(const json_t *v, bool as_json, FILE *out)
{
	if (!v || (json_is_null(v) && !as_json)) {
		fputs("<no value>", out);
	} else if (json_is_string(v) && !as_json) {
		put_shown(json_string_value(v), out);
	} else {
		/* ASCII only: C1 controls as \u escapes, never raw. */
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
		if (s)
			fputs(s, out);
		free(s);
	}
}

int json_template_apply(const char *tmpl, const json_t *v, FILE *out)
{
	const char *p = tmpl, *open;

	while ((open = strstr(p, "{{"))) {
		const char *end = strstr(open + 2, "}}"), *path;
		bool as_json;
		size_t len;
		fwrite(p, 1, (size_t)(open - p), out);
		if (!end || !parse_action(open + 2, end, &as_json, &path, &len))
			return -EINVAL; /* json_template_check said so first */
		put_value(walk(v, path, len), as_json, out);
		p = end + 2;
	}
	fputs(p, out);
	return ferror(out) ? -EIO : 0;
}

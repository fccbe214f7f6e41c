/* See pathsearch.h. */
#include "pathsearch.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 0 = executable regular file, 126 = regular file without X_OK, 127 = none. */
static int check(const char *p)
{
	struct stat st;

	if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
		return 127;
	return access(p, X_OK) == 0 ? 0 : 126;
}

int pathsearch(const char *file, const char *path, char *out, size_t outlen)
{
	size_t fn = strlen(file);
	int best = 127;

	if (fn == 0)
		return 127;
	if (strchr(file, '/')) {
		if (fn >= outlen)
			return 127;
		memcpy(out, file, fn + 1);
		return check(out);
	}
	if (!path)
		path = PATHSEARCH_DEFAULT;
	for (const char *p = path;; p++) {
		const char *end = strchr(p, ':');
		size_t dn = end ? (size_t)(end - p) : strlen(p);

		/* An empty entry means the current directory, as in execvp. */
		if (dn == 0 ? fn + 1 < outlen : dn + 1 + fn < outlen) {
			if (dn == 0) {
				memcpy(out, file, fn + 1);
			} else {
				memcpy(out, p, dn);
				out[dn] = '/';
				memcpy(out + dn + 1, file, fn + 1);
			}
			int r = check(out);
			if (r == 0)
				return 0;
			if (r == 126)
				best = 126;
		}
		if (!end)
			break;
		p = end;
	}
	out[0] = '\0';
	return best;
}

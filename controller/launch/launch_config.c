/* A launch's configuration in the guest record; see launch_config.h. */
#include "launch_config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define VERSION "1"

int spore_launch_config_encode(const char *const *argv, size_t n, char *out, size_t cap)
{
	size_t at = 0;
	int r = 0;

	if (cap < sizeof(VERSION))
		return -E2BIG;
	memcpy(out, VERSION, sizeof(VERSION) - 1);
	at = sizeof(VERSION) - 1;
	for (size_t i = 0; i < n && r == 0; i++) {
		/* Each byte written leaves room for the NUL. */
		if (at + 2 > cap) {
			r = -E2BIG;
			break;
		}
		out[at++] = '\n';
		for (const char *p = argv[i]; *p && r == 0; p++) {
			bool esc = *p == '\\' || *p == '\n';
			if (at + (esc ? 2 : 1) + 1 > cap) {
				r = -E2BIG;
			} else if (esc) {
				out[at++] = '\\';
				out[at++] = *p == '\n' ? 'n' : '\\';
			} else {
				out[at++] = *p;
			}
		}
	}
	if (r == 0 && at + 1 > cap)
		r = -E2BIG;
	out[r == 0 ? at : 0] = '\0';
	return r;
}

int spore_launch_config_decode(const char *text, char ***argv, size_t *n)
{
	size_t len = strlen(text), count = 0;
	char **v = NULL;
	int r = 0;

	*argv = NULL;
	*n = 0;
	if (strncmp(text, VERSION "\n", sizeof(VERSION)))
		return -EINVAL;
	text += sizeof(VERSION);
	len -= sizeof(VERSION);
	for (size_t i = 0; i <= len; i++)
		count += i == len || text[i] == '\n';
	/* The pointers, then the strings (never longer than the text). */
	v = malloc((count + 1) * sizeof(*v) + len + 1);
	if (!v)
		return -ENOMEM;
	char *s = (char *)(v + count + 1);
	size_t k = 0;
	v[k++] = s;
	for (size_t i = 0; i < len && r == 0; i++) {
		if (text[i] == '\n') {
			*s++ = '\0';
			v[k++] = s;
		} else if (text[i] != '\\') {
			*s++ = text[i];
		} else if (i + 1 < len && (text[i + 1] == '\\' || text[i + 1] == 'n')) {
			*s++ = text[++i] == 'n' ? '\n' : '\\';
		} else {
			r = -EINVAL;
		}
	}
	*s = '\0';
	v[k] = NULL;
	if (r < 0) {
		free(v);
		return r;
	}
	*argv = v;
	*n = k;
	return 0;
}

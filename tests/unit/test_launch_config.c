#include "launch_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* encode then decode gives argv back, whole. */
static int round_trip(const char *const *argv, size_t n)
{
	char buf[512];
	char **out = NULL;
	size_t m = 0;
	int same;

	if (spore_launch_config_encode(argv, n, buf, sizeof(buf)) < 0 ||
	    spore_launch_config_decode(buf, &out, &m) < 0)
		return 0;
	same = m == n && !out[m];
	for (size_t i = 0; same && i < n; i++)
		same = !strcmp(out[i], argv[i]);
	free(out);
	return same;
}

int main(void)
{
	static const char *const plain[] = {"--memory", "64m", "--env", "A=b c", "--", "img", "sh"};
	static const char *const odd[] = {"--env", "X=line1\nline2", "--", "img", "a\\b", "\\n", "",
					  "\\", "end\n"};
	char buf[64], **v = NULL;
	size_t n = 9;

	ok(round_trip(plain, 7), "plain options round-trip");
	ok(round_trip(odd, 9), "newlines, backslashes and empty arguments round-trip");

	spore_launch_config_encode(plain, 3, buf, sizeof(buf));
	is_str(buf, "1\n--memory\n64m\n--env", "the text: a version line, then one argument a line");
	spore_launch_config_encode(odd + 4, 2, buf, sizeof(buf));
	is_str(buf, "1\na\\\\b\n\\\\n", "a backslash is written twice");

	is_int(spore_launch_config_encode(plain, 7, buf, 20), -E2BIG, "too long: -E2BIG");
	is_str(buf, "", "and nothing written");
	/* Exactly full: "1\nab" and its NUL. */
	static const char *const ab[] = {"ab"};
	is_int(spore_launch_config_encode(ab, 1, buf, 5), 0, "a text that just fits");
	is_int(spore_launch_config_encode(ab, 1, buf, 4), -E2BIG, "one byte short");
	static const char *const nl[] = {"\n"};
	is_int(spore_launch_config_encode(nl, 1, buf, 5), 0, "an escape that just fits");
	is_int(spore_launch_config_encode(nl, 1, buf, 4), -E2BIG, "an escape one byte short");

	is_int(spore_launch_config_decode("2\nx", &v, &n), -EINVAL, "another version is refused");
	ok(!v && n == 0, "with nothing returned");
	is_int(spore_launch_config_decode("", &v, &n), -EINVAL, "an empty text is refused");
	is_int(spore_launch_config_decode("1", &v, &n), -EINVAL, "a version without arguments is refused");
	is_int(spore_launch_config_decode("1\na\\", &v, &n), -EINVAL, "a trailing backslash is refused");
	is_int(spore_launch_config_decode("1\na\\t", &v, &n), -EINVAL, "an unknown escape is refused");
	is_int(spore_launch_config_decode("1\n", &v, &n), 0, "one empty argument");
	ok(n == 1 && v && !strcmp(v[0], "") && !v[1], "is one empty string");
	free(v);
	return tap_done();
}

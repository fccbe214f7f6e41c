#include <spore/err.h>
#include <spore/log.h>

#include <errno.h>
#include <string.h>

#include "tap.h"

int main(void)
{
	struct spore_err e = {0};

	is_int(spore_err_set(&e, ENOENT, "open %s", "/x"), -ENOENT, "set returns -code");
	is_int(e.code, ENOENT, "code recorded positive");
	is_str(e.msg, "open /x: No such file or directory", "strerror appended");

	is_int(spore_err_set(&e, -EACCES, "domctl"), -EACCES, "negative code accepted");
	is_int(spore_err_wrap(&e, "create domain %d", 7), -EACCES, "wrap keeps code");
	is_str(e.msg, "create domain 7: domctl: Permission denied", "wrap prefixes context");

	is_int(spore_err_setx(&e, EINVAL, "bad name '%s'", "a/b"), -EINVAL, "setx");
	is_str(e.msg, "bad name 'a/b'", "setx has no strerror suffix");

	is_int(spore_err_setx(&e, 0, "zero"), -EIO, "code 0 becomes EIO");
	is_int(spore_err_set(NULL, E2BIG, "x"), -E2BIG, "NULL err allowed");

	char big[3000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	spore_err_setx(&e, EINVAL, "%s", big);
	is_int(strlen(e.msg), SPORE_ERR_MSG_MAX - 1, "long message truncated, terminated");
	spore_err_wrap(&e, "ctx");
	ok(strncmp(e.msg, "ctx: aaa", 8) == 0, "wrap of a full message keeps the prefix");

	spore_err_clear(&e);
	is_int(e.code, 0, "clear");

	char shown[64];
	is_str(spore_printable("a\033]0;pwned\007b", shown, sizeof(shown)), "a\\x1b]0;pwned\\x07b",
	       "printable: C0 controls shown as \\xHH");
	is_str(spore_printable("\xc2\x9b" "2J \x9b \x7f", shown, sizeof(shown)), "\\xc2\\x9b2J \\x9b \\x7f",
	       "printable: C1 controls, raw or UTF-8, and DEL too");
	is_str(spore_printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\x84", shown, sizeof(shown)),
	       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\x84", "printable: valid UTF-8 passes");
	is_str(spore_printable("\xc0\xaf \xed\xa0\x80 \xe2\x82", shown, sizeof(shown)),
	       "\\xc0\\xaf \\xed\\xa0\\x80 \\xe2\\x82", "printable: overlong, surrogate and cut UTF-8 escaped");
	is_str(spore_printable("abcdef\033", shown, 9), "abcdef", "printable: cut to fit, never half an escape");

	is_int(spore_log_parse_level("debug"), SPORE_LOG_DEBUG, "log level debug");
	is_int(spore_log_parse_level("warn"), SPORE_LOG_WARN, "log level warn");
	is_int(spore_log_parse_level("loud"), -1, "unknown log level");
	is_int(spore_log_parse_level(NULL), -1, "no log level");
	return tap_done();
}

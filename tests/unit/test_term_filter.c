/* What of a guest's console output reaches the terminal (sporectl logs
 * without --raw; controller/console/term_filter.c), and which lines
 * --tail takes (log_read.c). */
#include "log_read.h"
#include "term_filter.h"
#include "tap.h"

#include <string.h>

static char out[8192];

/* Filters s in one call, or byte by byte if split. */
static const char *f(const char *s, size_t n, int split)
{
	struct term_filter t;
	size_t k = 0;
	term_filter_init(&t);
	if (!split) {
		k = term_filter(&t, s, n, out);
	} else {
		for (size_t i = 0; i < n; i++)
			k += term_filter(&t, s + i, 1, out + k);
	}
	out[k] = '\0';
	return out;
}
#define F(lit) f(lit, sizeof(lit) - 1, 0)
#define FS(lit) f(lit, sizeof(lit) - 1, 1)

int main(void)
{
	is_str(F("hello\tworld\r\n"), "hello\tworld\r\n", "text, \\t, \\r, \\n pass");
	is_str(F("\x1b[31mred\x1b[0m"), "\x1b[31mred\x1b[0m", "SGR colours pass");
	is_str(F("\x1b[38;5;196mx\x1b[m"), "\x1b[38;5;196mx\x1b[m", "256-colour SGR and ESC[m pass");
	is_str(FS("\x1b[1;32mok\x1b[0m"), "\x1b[1;32mok\x1b[0m", "... also split byte by byte");
	is_str(F("a\x1b]52;c;aGVsbG8=\x07" "b"), "ab", "OSC 52 (clipboard) dropped, ended by BEL");
	is_str(F("a\x1b]0;title\x1b\\b"), "ab", "OSC title dropped, ended by ST");
	is_str(FS("a\x1b]52;c;aGVsbG8=\x07" "b"), "ab", "... split byte by byte too");
	is_str(F("a\x1bPq#0;2;0;0;0\x1b\\b"), "ab", "DCS (sixel) dropped");
	is_str(F("a\x1b_Gf=100;AAAA\x1b\\b"), "ab", "APC (kitty graphics) dropped");
	is_str(F("a\x1b^pm\x1b\\b\x1bXsos\x1b\\c"), "abc", "PM and SOS dropped");
	is_str(F("a\x1b[2J\x1b[H\x1b[1Ab"), "ab", "cursor moves and clears dropped");
	is_str(F("a\x1b[6nb"), "ab", "a device status query dropped");
	is_str(F("a\x1b[?1049hb"), "ab", "private modes (alternate screen) dropped");
	is_str(F("a\x1b[31;?mb"), "ab", "an SGR with a private byte dropped");
	is_str(F("a\x1b" "cb\x1b(Bc\x1b" "7d"), "abcd", "other escapes dropped (RIS, charset, DECSC)");
	is_str(F("a\x07\x08\x0b\x0c\x00\x7f" "b"), "ab", "BEL, BS, VT, FF, NUL, DEL dropped");
	is_str(F("a\xc2\x9b" "2Jb"), "ab", "8-bit CSI as UTF-8 (U+009B) starts a dropped sequence");
	is_str(F("a\xc2\x9d" "0;t\x07" "b"), "ab", "8-bit OSC as UTF-8 dropped to its end");
	is_str(F("a\xc2\x85" "b"), "ab", "other C1 controls (U+0085) dropped");
	is_str(F("a\x9b" "2Jb"), "a?2Jb", "a raw 0x9b byte is invalid UTF-8: '?', not CSI");
	is_str(F("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	       "UTF-8 text passes");
	is_str(FS("\xe2\x82\xac"), "\xe2\x82\xac", "... split byte by byte too");
	is_str(F("\xc0\xaf"), "??", "overlong encodings are refused");
	is_str(F("\xed\xa0\x80"), "?", "surrogates are refused");
	is_str(F("\xe2\x82x"), "?x", "a cut sequence is '?', the next byte kept");
	is_str(F("\xff\xfe"), "??", "bytes never valid in UTF-8 are '?'");

	/* An unterminated string gives the output back after a bound. */
	static char big[TERM_FILTER_MAX_STRING + 16];
	memcpy(big, "\x1b]", 2);
	memset(big + 2, 'x', TERM_FILTER_MAX_STRING);
	memcpy(big + 2 + TERM_FILTER_MAX_STRING, "VISIBLE", 7);
	const char *r = f(big, 2 + TERM_FILTER_MAX_STRING + 7, 0);
	ok(strstr(r, "VISIBLE") != NULL, "an unterminated OSC cannot hide the rest for ever");
	ok(strchr(r, 0x1b) == NULL, "... and none of it reaches the terminal as an escape");
	/* A long CSI is dropped, not buffered without bound. */
	static char csi[300];
	csi[0] = 0x1b;
	csi[1] = '[';
	memset(csi + 2, '1', 290);
	csi[292] = 'm';
	is_str(f(csi, 293, 0), "", "an SGR longer than the buffer is dropped");

	/* --tail: lines are P records up to an F. */
	struct spore_conlog_rec recs[6] = {
		{.partial = false}, {.partial = true}, {.partial = false},
		{.partial = false}, {.partial = true}, {.partial = true},
	};
	is_int(log_tail_start(recs, 6, -1), 0, "--tail all: from the start");
	is_int(log_tail_start(recs, 6, 0), 6, "--tail 0: nothing");
	is_int(log_tail_start(recs, 6, 1), 4, "--tail 1: the unfinished last line (two P)");
	is_int(log_tail_start(recs, 6, 2), 3, "--tail 2");
	is_int(log_tail_start(recs, 6, 3), 1, "--tail 3: a line of P then F");
	is_int(log_tail_start(recs, 6, 4), 0, "--tail 4: the first line");
	is_int(log_tail_start(recs, 6, 10), 0, "--tail beyond: all");
	is_int(log_tail_start(recs, 3, 1), 1, "--tail 1 ending in F");
	return tap_done();
}

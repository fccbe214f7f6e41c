/* What of a guest's console output may reach the admin's terminal
 * (`sporectl logs` without --raw). The bytes are the guest's and untrusted:
 * escape sequences could set the window title, write the clipboard
 * (OSC 52), send device control strings, or move the cursor to rewrite
 * what was printed before. Kept: printable text (valid UTF-8), \n, \t, \r
 * and plain SGR colour sequences (ESC [ digits;... m). Dropped whole: other
 * CSI sequences, OSC, DCS, APC, PM and SOS strings (up to BEL or ST, or
 * TERM_FILTER_MAX_STRING bytes), other escapes, every other C0 and C1
 * control (also as UTF-8, U+0080..U+009F) and DEL. Invalid UTF-8 bytes
 * become '?'. Pure; the state carries across calls, so a sequence may be
 * split between two reads. */
#ifndef SPORE_TERM_FILTER_H
#define SPORE_TERM_FILTER_H

#include <stddef.h>
#include <stdint.h>

#define TERM_FILTER_MAX_SGR 64
#define TERM_FILTER_MAX_STRING 4096

struct term_filter {
	int state;
	size_t n;                      /* bytes in seq / in the string */
	char seq[TERM_FILTER_MAX_SGR]; /* a CSI sequence being read */
	unsigned char u8[4];           /* a UTF-8 sequence being read */
	int u8n, u8need;
};

void term_filter_init(struct term_filter *f);
/* Filters n bytes into out, which has room for n + TERM_FILTER_MAX_SGR + 4
 * bytes; returns the bytes written. */
size_t term_filter(struct term_filter *f, const char *in, size_t n, char *out);

#endif

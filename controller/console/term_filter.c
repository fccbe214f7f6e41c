/* Filtering untrusted console output for a terminal; see term_filter.h. */
#include "term_filter.h"

#include <string.h>

enum {
	S_TEXT,
	S_ESC,     /* after ESC */
	S_ESC_INT, /* ESC and intermediate bytes (0x20-0x2f): drop until the final */
	S_CSI,     /* ESC [ ...: kept only if it turns out to be SGR */
	S_CSI_DROP,
	S_STRING,     /* OSC/DCS/APC/PM/SOS: dropped until BEL or ST */
	S_STRING_ESC, /* ESC inside a string: \ ends it */
};

void term_filter_init(struct term_filter *f)
{
	memset(f, 0, sizeof(*f));
}

static void start_string(struct term_filter *f)
{
	f->state = S_STRING;
	f->n = 0;
}

/* A code point (or a C0 byte) in text. */
static size_t text(struct term_filter *f, uint32_t cp, const unsigned char *raw, int rawn,
		   char *out)
{
	if (cp == 0x1b) {
		f->state = S_ESC;
		return 0;
	}
	if (cp == '\n' || cp == '\t' || cp == '\r') {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x20 || cp == 0x7f)
		return 0;
	if (cp >= 0x80 && cp <= 0x9f) {
		/* C1 controls: their 8-bit string and CSI introducers start
		 * what they would start, and are dropped. */
		if (cp == 0x9b) {
			f->state = S_CSI;
			f->n = 0;
		} else if (cp == 0x9d || cp == 0x90 || cp == 0x9f || cp == 0x9e || cp == 0x98) {
			start_string(f);
		}
		return 0;
	}
	memcpy(out, raw, (size_t)rawn);
	return (size_t)rawn;
}

/* One byte outside UTF-8 decoding (the escape states read ASCII). */
static size_t escape_byte(struct term_filter *f, unsigned char c, char *out)
{
	switch (f->state) {
	case S_ESC:
		if (c == '[') {
			f->state = S_CSI;
			f->n = 0;
		} else if (c == ']' || c == 'P' || c == '_' || c == '^' || c == 'X') {
			start_string(f);
		} else if (c >= 0x20 && c <= 0x2f) {
			f->state = S_ESC_INT;
		} else if (c == 0x1b) {
			f->state = S_ESC;
		} else {
			f->state = S_TEXT; /* a two-byte escape (ESC c, ESC 7...): dropped */
		}
		return 0;
	case S_ESC_INT:
		if (c < 0x20 || c > 0x2f)
			f->state = S_TEXT;
		return 0;
	case S_CSI:
	case S_CSI_DROP:
		if (c >= 0x40 && c <= 0x7e) { /* the final byte */
			size_t k = 0;
			if (f->state == S_CSI && c == 'm') {
				out[k++] = 0x1b;
				out[k++] = '[';
				memcpy(out + k, f->seq, f->n);
				k += f->n;
				out[k++] = 'm';
			}
			f->state = S_TEXT;
			return k;
		}
		if (c < 0x20 || c > 0x3f) {
			/* Not a CSI byte: the sequence is broken; drop it all. */
			f->state = c == 0x1b ? S_ESC : S_TEXT;
			return 0;
		}
		if (f->state == S_CSI && ((c >= '0' && c <= '9') || c == ';' || c == ':') &&
		    f->n < TERM_FILTER_MAX_SGR - 4)
			f->seq[f->n++] = (char)c;
		else
			f->state = S_CSI_DROP;
		return 0;
	case S_STRING:
		if (c == 0x07)
			f->state = S_TEXT;
		else if (c == 0x1b)
			f->state = S_STRING_ESC;
		else if (++f->n >= TERM_FILTER_MAX_STRING)
			f->state = S_TEXT; /* unterminated: give the output back */
		return 0;
	case S_STRING_ESC:
		/* ST ends it; any other escape does too (a terminal aborts
		 * the string) and is then read as an escape. */
		if (c == '\\') {
			f->state = S_TEXT;
			return 0;
		}
		f->state = S_ESC;
		return escape_byte(f, c, out);
	}
	return 0;
}

size_t term_filter(struct term_filter *f, const char *in, size_t n, char *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (f->state != S_TEXT) {
			k += escape_byte(f, c, out + k);
			continue;
		}
		if (f->u8need) {
			if ((c & 0xc0) == 0x80) {
				f->u8[f->u8n++] = c;
				if (f->u8n < f->u8need)
					continue;
				uint32_t cp = f->u8[0] & (0xff >> (f->u8need + 1));
				for (int j = 1; j < f->u8n; j++)
					cp = (cp << 6) | (f->u8[j] & 0x3f);
				/* Overlong forms, surrogates and beyond U+10FFFF are invalid. */
				static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
				int len = f->u8need;
				f->u8need = 0;
				if (cp < min[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
					out[k++] = '?';
				else
					k += text(f, cp, f->u8, len, out + k);
				continue;
			}
			/* A sequence cut short: '?' for it, then read c afresh. */
			f->u8need = 0;
			out[k++] = '?';
		}
		if (c < 0x80) {
			k += text(f, c, &c, 1, out + k);
		} else if (c >= 0xc2 && c <= 0xf4) {
			f->u8[0] = c;
			f->u8n = 1;
			f->u8need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		} else {
			out[k++] = '?'; /* a stray continuation byte, or never valid */
		}
	}
	return k;
}

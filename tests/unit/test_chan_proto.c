/* The control channel's frames (common/chan_proto.c). */
#include <spore/chan_proto.h>

#include <string.h>

#include "tap.h"

static int dec(const void *b, size_t n, struct spore_chan_msg *m)
{
	const char *why;
	return spore_chan_decode(b, n, m, &why);
}

int main(void)
{
	uint8_t buf[SPORE_CHAN_MAX_FRAME + 16], big[SPORE_CHAN_MAX_PAYLOAD + 1];
	struct spore_chan_msg m;
	const char *why;
	size_t n;

	uint8_t v[2] = {1, 0};
	n = spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_HELLO, 0, v, 2);
	is_int(n, 6, "HELLO encodes to 6 bytes");
	ok(buf[0] == SPORE_CHAN_HELLO && buf[1] == 0 && buf[2] == 2 && buf[3] == 0,
	   "header: type, stream, length little-endian");
	is_int(dec(buf, n, &m), 6, "and decodes");
	is_int(spore_chan_hello_version(&m), 1, "version 1");
	for (size_t k = 0; k < n; k++)
		if (dec(buf, k, &m) != 0)
			ok(0, "a prefix of %zu bytes wants more", k);
	ok(1, "every prefix of a frame wants more bytes");

	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_HELLO, 3, v, 2), 0,
	       "HELLO on a session's stream is refused");
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_HELLO, 0, v, 1), 0,
	       "HELLO of 1 byte is refused");
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_STDOUT, 0, "x", 1), 0,
	       "a session's frame on stream 0 is refused");
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_STDERR, 0, "x", 1), 5,
	       "STDERR on stream 0: the container's stderr");
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_STDERR, 0, NULL, 0), 0,
	       "but never empty there");
	is_int(spore_chan_encode(buf, 5, SPORE_CHAN_STDOUT, 1, "xx", 2), 0,
	       "a frame larger than the buffer is refused");

	memset(big, 'a', sizeof(big));
	n = spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_STDOUT, 255, big, SPORE_CHAN_MAX_PAYLOAD);
	is_int(n, SPORE_CHAN_MAX_FRAME, "the largest frame fits");
	is_int(dec(buf, n, &m), SPORE_CHAN_MAX_FRAME, "and decodes");
	ok(m.stream == 255 && m.len == SPORE_CHAN_MAX_PAYLOAD && m.payload == buf + 4,
	   "stream, length, payload in place");
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_STDOUT, 1, big,
				 SPORE_CHAN_MAX_PAYLOAD + 1),
	       0, "a payload beyond the maximum is refused");
	buf[2] = (SPORE_CHAN_MAX_PAYLOAD + 1) & 0xff;
	buf[3] = (SPORE_CHAN_MAX_PAYLOAD + 1) >> 8;
	is_int(spore_chan_decode(buf, 4, &m, &why), -1,
	       "a header claiming more than the maximum is invalid at once");
	ok(why && strstr(why, "longer"), "and says why (%s)", why ? why : "");

	uint8_t junk[4] = {0x7f, 1, 0, 0};
	is_int(dec(junk, 4, &m), -1, "an unknown type is invalid from its header");
	junk[0] = 0;
	is_int(dec(junk, 4, &m), -1, "type 0 too");

	n = spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_STDERR, 2, NULL, 0);
	is_int(n, 4, "an empty STDERR (EOF) is a header");
	is_int(dec(buf, n, &m), 4, "and decodes");

	uint8_t code = 127;
	n = spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_EXIT, 1, &code, 1);
	is_int(dec(buf, n, &m), 5, "EXIT with its code");
	ok(m.payload[0] == 127, "code 127");
	buf[2] = 2;
	buf[5] = 0;
	is_int(dec(buf, 6, &m), -1, "EXIT of 2 bytes is invalid");

	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_EXEC_ITEM, 1, "aecho", 5), 9,
	       "an argv item");
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_EXEC_ITEM, 1, "xecho", 5), 0,
	       "an item of an unknown kind is refused");
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_EXEC_ITEM, 1, "ae\0ho", 5), 0,
	       "an item with a NUL is refused");
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_EXEC_ITEM, 1, "", 0), 0,
	       "an empty item is refused");
	uint8_t fl = SPORE_CHAN_RUN_STDIN;
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_EXEC_RUN, 1, &fl, 1), 5, "RUN with -i");
	fl = 0x80;
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_EXEC_RUN, 1, &fl, 1), 0,
	       "RUN with an unknown flag is refused");
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_CLOSE, 1, "x", 1), 0,
	       "CLOSE with a payload is refused");

	/* Version 2: a terminal's size with TTY; TOP alone and bare. */
	uint8_t tty[5] = {SPORE_CHAN_RUN_TTY | SPORE_CHAN_RUN_STDIN};
	spore_chan_put_u16(tty + 1, 50);
	spore_chan_put_u16(tty + 3, 300);
	n = spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_EXEC_RUN, 1, tty, 5);
	is_int(n, 9, "RUN with a terminal of 50x300");
	is_int(dec(buf, n, &m), 9, "and decodes");
	ok(spore_chan_u16(m.payload + 1) == 50 && spore_chan_u16(m.payload + 3) == 300,
	   "rows and columns little-endian");
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_EXEC_RUN, 1, tty, 1), 0,
	       "RUN with TTY but no size is refused");
	uint8_t notty[5];
	memcpy(notty, tty, sizeof(notty));
	notty[0] = SPORE_CHAN_RUN_STDIN;
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_EXEC_RUN, 1, notty, 5), 0,
	       "a size without TTY is refused");
	fl = SPORE_CHAN_RUN_TOP;
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_EXEC_RUN, 1, &fl, 1), 5, "RUN TOP");
	fl = SPORE_CHAN_RUN_TOP | SPORE_CHAN_RUN_STDIN;
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_EXEC_RUN, 1, &fl, 1), 0,
	       "TOP with another flag is refused");
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_RESIZE, 1, tty + 1, 4), 8, "RESIZE");
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_RESIZE, 1, tty + 1, 3), 0,
	       "RESIZE of 3 bytes is refused");
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_RESIZE, 0, tty + 1, 4), 0,
	       "RESIZE on stream 0 is refused");
	uint8_t ack[2];
	spore_chan_put_u16(ack, 4096);
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_STDIN_ACK, 3, ack, 2), 6, "STDIN_ACK");
	ok(spore_chan_from_guest(SPORE_CHAN_STDIN_ACK), "... is the guest's to send");
	spore_chan_put_u16(ack, 0);
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_STDIN_ACK, 3, ack, 2), 0,
	       "STDIN_ACK of 0 bytes is refused");
	is_int(spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_STDIN_ACK, 3, ack, 1), 0,
	       "STDIN_ACK of 1 byte is refused");

	ok(spore_chan_from_guest(SPORE_CHAN_HELLO) && spore_chan_from_guest(SPORE_CHAN_STDOUT) &&
		   spore_chan_from_guest(SPORE_CHAN_STDERR) && spore_chan_from_guest(SPORE_CHAN_EXIT),
	   "the guest sends HELLO, STDOUT, STDERR, EXIT");
	ok(!spore_chan_from_guest(SPORE_CHAN_EXEC_ITEM) && !spore_chan_from_guest(SPORE_CHAN_EXEC_RUN) &&
		   !spore_chan_from_guest(SPORE_CHAN_STDIN) && !spore_chan_from_guest(SPORE_CHAN_CLOSE) &&
		   !spore_chan_from_guest(SPORE_CHAN_RESIZE) &&
		   !spore_chan_from_guest(0) && !spore_chan_from_guest(200),
	   "and nothing else");

	/* Two frames back to back: one at a time. */
	n = spore_chan_encode(buf, sizeof(buf), SPORE_CHAN_STDOUT, 1, "hi", 2);
	n += spore_chan_encode(buf + n, sizeof(buf) - n, SPORE_CHAN_STDOUT, 1, NULL, 0);
	is_int(dec(buf, n, &m), 6, "the first of two frames");
	is_int(dec(buf + 6, n - 6, &m), 4, "then the second");
	return tap_done();
}

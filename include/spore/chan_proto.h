/* The control channel between spored (dom0) and sporeinit (the guest's PID
 * 1), carried by the guest's second PV console (device/console/1, the
 * guest's /dev/hvc1): a byte stream, cut into frames here.
 *
 * A frame is a 4-byte header (type, stream, payload length as u16
 * little-endian) and at most SPORE_CHAN_MAX_PAYLOAD bytes, so a whole frame
 * always fits in either direction of the console ring (1024 bytes in,
 * 2048 out). Stream 0 is the channel itself (HELLO); streams 1..255 are
 * exec sessions. The decoder is pure and checks every type's rules before
 * a byte is used: the guest side is untrusted. Shared by spored and
 * sporeinit (musl, static), so it allocates nothing. */
#ifndef SPORE_CHAN_PROTO_H
#define SPORE_CHAN_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 2 added RESIZE, RUN's TTY and TOP, the container's stderr (STDERR on
 * stream 0) and STDIN_ACK's window; spored still serves a version 1
 * sporeinit (a guest started before an upgrade) without them. */
#define SPORE_CHAN_VERSION 2
#define SPORE_CHAN_VERSION_MIN 1
#define SPORE_CHAN_HDR 4
#define SPORE_CHAN_MAX_PAYLOAD 1020
#define SPORE_CHAN_MAX_FRAME (SPORE_CHAN_HDR + SPORE_CHAN_MAX_PAYLOAD)
/* The guest's console device and its xenstore id (device/console/1). */
#define SPORE_CHAN_DEV "/dev/hvc1"
#define SPORE_CHAN_DEVID 1
/* Written "ready" by sporeinit (under its domain's xenstore directory) once
 * its end is raw; spored says nothing before: the tty's default line
 * discipline would echo it back. */
#define SPORE_CHAN_READY_KEY "data/spore/channel"

enum spore_chan_type {
	/* Both ways, stream 0, u16 version (LE). spored sends it when it
	 * connects (and again until answered); sporeinit answers each one,
	 * ending every session of the spored before. */
	SPORE_CHAN_HELLO = 1,
	/* dom0 -> guest, a session's command before RUN: one item, a kind
	 * byte (SPORE_CHAN_ITEM_*) and its text (no NUL). */
	SPORE_CHAN_EXEC_ITEM,
	/* dom0 -> guest: run the session's command; u8 flags (SPORE_CHAN_RUN_*),
	 * with TTY followed by the terminal's u16 rows and columns (LE). */
	SPORE_CHAN_EXEC_RUN,
	/* dom0 -> guest: the session's stdin; empty = EOF. */
	SPORE_CHAN_STDIN,
	/* guest -> dom0: the session's output; empty = that stream's EOF.
	 * Version 2: STDERR on stream 0 is the container's own stderr (not
	 * empty), which spored logs as the stderr stream. */
	SPORE_CHAN_STDOUT,
	SPORE_CHAN_STDERR,
	/* guest -> dom0: the session ended, u8 exit code (docker's: 126 not
	 * executable, 127 not found, 128+N killed by signal N). */
	SPORE_CHAN_EXIT,
	/* dom0 -> guest, empty: the client went away; kill the session. */
	SPORE_CHAN_CLOSE,
	/* dom0 -> guest, version 2: a TTY session's terminal is now u16 rows,
	 * u16 columns (LE). */
	SPORE_CHAN_RESIZE,
	/* guest -> dom0, version 2: u16 (LE, not 0) bytes of a session's
	 * stdin its process took (into its pipe or pty): spored keeps at most
	 * SPORE_CHAN_STDIN_WINDOW bytes of it unacknowledged, so sporeinit
	 * never has more to hold than that, however slowly the process reads. */
	SPORE_CHAN_STDIN_ACK,
	SPORE_CHAN_TYPE_END,
};

#define SPORE_CHAN_ITEM_ARG 'a'
#define SPORE_CHAN_ITEM_ENV 'e'
#define SPORE_CHAN_ITEM_USER 'u'
#define SPORE_CHAN_ITEM_WORKDIR 'w'
#define SPORE_CHAN_RUN_STDIN 0x01 /* stdin is relayed (exec -i); else /dev/null */
/* Version 2. TTY: the process gets a pty (exec -t); its output comes as
 * STDOUT only. TOP: no command (no items): sporeinit writes the guest's
 * process table (ps -ef's columns) as the output. */
#define SPORE_CHAN_STDIN_WINDOW 32768
#define SPORE_CHAN_RUN_TTY 0x02
#define SPORE_CHAN_RUN_TOP 0x04
#define SPORE_CHAN_RUN_FLAGS 0x07

struct spore_chan_msg {
	uint8_t type, stream;
	uint16_t len;
	const uint8_t *payload; /* into the decoded buffer */
};

/* Encodes one frame into buf (cap bytes). Returns its size, or 0 if the
 * frame breaks a rule of its type or does not fit. */
size_t spore_chan_encode(void *buf, size_t cap, uint8_t type, uint8_t stream, const void *payload,
			 size_t len);
/* Decodes the first frame of buf[0..n). Returns its size (> 0), 0 if more
 * bytes are needed, -1 if it is invalid (*why says which rule). */
int spore_chan_decode(const void *buf, size_t n, struct spore_chan_msg *m, const char **why);
/* Whether type may come from the guest (spored refuses the others). */
bool spore_chan_from_guest(uint8_t type);
/* HELLO's version (the payload is checked by the decoder). */
uint16_t spore_chan_hello_version(const struct spore_chan_msg *m);
/* The little-endian u16 at p (HELLO, RESIZE, RUN's terminal size). */
uint16_t spore_chan_u16(const uint8_t *p);
void spore_chan_put_u16(uint8_t *p, uint16_t v);

#endif

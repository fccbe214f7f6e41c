/* The messages between sporectl and spored over spored's unix socket.
 *
 * The socket is SOCK_SEQPACKET: one message per packet, never split or
 * merged, so a message is its packet. Each is an 8-byte header (type,
 * protocol version, payload length) and its payload; a receiver checks the
 * length against the packet's size and the type's own rules
 * (spore_svc_parse) before it uses a byte. */
#ifndef SPORE_SVC_PROTO_H
#define SPORE_SVC_PROTO_H

#include <spore/err.h>

#include <stddef.h>
#include <stdint.h>

#define SPORE_SVC_SOCK "/run/spore/spored.sock"
#define SPORE_SVC_VERSION 1
#define SPORE_SVC_MAX_PAYLOAD 16384
#define SPORE_SVC_MAX_MSG (sizeof(struct spore_svc_hdr) + SPORE_SVC_MAX_PAYLOAD)
#define SPORE_SVC_MAX_TEXT 256

enum spore_svc_type {
	SPORE_SVC_PING = 1, /* C->S, empty */
	SPORE_SVC_PONG,     /* S->C, struct spore_svc_pong */
	SPORE_SVC_ATTACH,   /* C->S, struct spore_svc_attach */
	SPORE_SVC_ATTACHED, /* S->C, empty: the history follows, then live output */
	SPORE_SVC_OUTPUT,   /* S->C, 1..MAX_PAYLOAD bytes the guest wrote (untrusted) */
	SPORE_SVC_INPUT,    /* C->S, 1..MAX_PAYLOAD bytes for the guest's console */
	SPORE_SVC_EOF,      /* S->C, empty: the guest stopped and all its output was sent */
	SPORE_SVC_ERROR,    /* S->C, struct spore_svc_error_hdr + 1..MAX_TEXT printable bytes */
	SPORE_SVC_LAUNCHED, /* C->S, struct spore_svc_launched; no answer */
	/* C->S: struct spore_svc_exec, then the command's items, each a kind
	 * byte (include/spore/chan_proto.h's SPORE_CHAN_ITEM_*), its text and
	 * a NUL; at least one argument. Answered by EXEC_STDOUT/STDERR and
	 * one EXEC_EXIT, or an ERROR. */
	SPORE_SVC_EXEC,
	SPORE_SVC_EXEC_STDIN,  /* C->S, 0..MAX_PAYLOAD bytes for the process; empty = EOF */
	SPORE_SVC_EXEC_STDOUT, /* S->C, 1..MAX_PAYLOAD bytes it wrote (untrusted) */
	SPORE_SVC_EXEC_STDERR, /* S->C, the same from its stderr */
	SPORE_SVC_EXEC_EXIT,   /* S->C, u32 exit code 0..255 (docker's); the last message */
	SPORE_SVC_EXEC_RESIZE, /* C->S, struct spore_svc_winsize: a TTY session's terminal */
	/* S->C, 1..MAX_PAYLOAD bytes the container wrote to its stderr
	 * (untrusted), to an attached client; OUTPUT is its stdout (and,
	 * with a tty, everything). */
	SPORE_SVC_OUTPUT_ERR,
	SPORE_SVC_TYPE_END,
};

struct spore_svc_hdr {
	uint16_t type;
	uint16_t version;
	uint32_t len; /* payload bytes */
};

struct spore_svc_pong {
	uint32_t pid;
	uint32_t consoles; /* guest consoles served */
};

struct spore_svc_attach {
	char uuid[36];    /* the guest's full UUID, lower-case hex and dashes */
	uint32_t history; /* bytes of recent output to send first (0: none) */
};
/* In history: no more than the guest's current domain wrote (as far as this
 * spored logged it), not an earlier run's under the same UUID (a start's). */
#define SPORE_SVC_HISTORY_DOMAIN 0x80000000u

struct spore_svc_winsize {
	uint16_t rows, cols;
};

struct spore_svc_exec {
	char uuid[36];  /* the guest's full UUID */
	uint32_t flags; /* SPORE_SVC_EXEC_* */
	struct spore_svc_winsize tty; /* with EXEC_TTY: the terminal's size */
};
#define SPORE_SVC_EXEC_STDIN_OPEN 0x1 /* exec -i: stdin relayed, else /dev/null */
#define SPORE_SVC_EXEC_TTY 0x2	      /* exec -t: a pty; all output as EXEC_STDOUT */
/* sporectl top: no items; the output is the guest's process table. */
#define SPORE_SVC_EXEC_TOP 0x4
/* An item's text at most: one control channel frame holds it. */
#define SPORE_SVC_EXEC_ITEM_MAX 1019

struct spore_svc_error_hdr {
	uint32_t code; /* positive errno */
};

/* A launch's phases, as /metrics names them (its step label): each runs
 * from the first step hook of the phase (controller/builder/step_hook.h)
 * to the next phase's; spore_launch_phase_of maps a hook's name. */
enum spore_launch_phase {
	SPORE_LAUNCH_IMAGE,   /* "image": the image from the cache or registry, volumes, disks made */
	SPORE_LAUNCH_RECORD,  /* "record": the record's first write */
	SPORE_LAUNCH_BUNDLE,  /* "bundle": the initrd with the launch bundle */
	SPORE_LAUNCH_DISKS,   /* "disks": loop devices ("loop-*" hooks) */
	SPORE_LAUNCH_BUILD,   /* "build": the PV builder's steps (kernel ... introduce) */
	SPORE_LAUNCH_DEVICES, /* "devices": vbd and vif nodes ("vbd", "vif") */
	SPORE_LAUNCH_BOOT,    /* "boot": unpause, the console's attach, netback's vif up */
	SPORE_LAUNCH_RUNNING, /* "running": the record's "running" write */
	SPORE_LAUNCH_NPHASES,
};
/* A launch time above this is refused (a day). */
#define SPORE_LAUNCH_MAX_NS (86400ull * 1000000000ull)

/* What sporectl measured of one launch (launch, start, boot, spore-runc's
 * create), sent when the guest runs or the launch failed. */
struct spore_svc_launched {
	uint32_t failed;  /* 0: the guest runs; 1: the launch failed */
	uint32_t reached; /* bit p: phase p began (a failed launch stops short) */
	uint64_t ns[SPORE_LAUNCH_NPHASES]; /* each phase's time; 0 if not reached */
	uint64_t total_ns; /* the first step to the end: the phases' sum */
};

/* The phase's name ("image", ...), NULL past the last. */
const char *spore_launch_phase_name(int phase);
/* The phase a step hook's name belongs to (an unknown name: the builder's,
 * SPORE_LAUNCH_BUILD). */
enum spore_launch_phase spore_launch_phase_of(const char *step);

/* A received message: payload points into the packet. */
struct spore_svc_msg {
	uint16_t type;
	uint32_t len;
	const uint8_t *payload;
};

/* Pure. Checks a packet of n bytes: header, version, length equal to the
 * rest, a known type and that type's length and content rules. 0 or
 * -EBADMSG. */
int spore_svc_parse(const void *buf, size_t n, struct spore_svc_msg *m);

/* Sends one message (MSG_NOSIGNAL; MSG_DONTWAIT if nonblocking is set).
 * 0 or -errno (-EAGAIN when a nonblocking socket is full). */
int spore_svc_send(int fd, enum spore_svc_type type, const void *payload, size_t len,
		   int nonblocking);
/* An ERROR message: code and a printf text (truncated to MAX_TEXT). */
int spore_svc_send_error(int fd, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Receives one message into buf (SPORE_SVC_MAX_MSG bytes) and parses it.
 * 1 for a message, 0 at the end of the connection, -EAGAIN, -EBADMSG for a
 * malformed one (err says why) or -errno. */
int spore_svc_recv(int fd, void *buf, struct spore_svc_msg *m, struct spore_err *err);

/* Connects to spored's socket (path, or SPORE_SVC_SOCK for NULL). */
int spore_svc_connect(const char *path, struct spore_err *err);

/* The text of an ERROR message, as a NUL-terminated string (out has
 * MAX_TEXT + 1 bytes), and its code. */
int spore_svc_error_text(const struct spore_svc_msg *m, char *out);

#endif

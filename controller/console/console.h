/* Relaying a guest console, served by spored over its socket
 * (include/spore/svc_proto.h), to the user's terminal.
 *
 * The terminal is put in raw mode while attached and restored on every
 * path. Ctrl+] (0x1d) typed by the user detaches, as in telnet/virsh. */
#ifndef SPORE_CONSOLE_H
#define SPORE_CONSOLE_H

#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>

#define CONSOLE_ESCAPE 0x1d /* Ctrl+] */

enum console_end {
	CONSOLE_DETACHED = 1, /* the user typed Ctrl+] */
	CONSOLE_CLOSED,       /* spored said EOF: the guest stopped, its output all sent */
	CONSOLE_STOPPED,      /* stop_fd became readable (e.g. the domain died) */
	CONSOLE_LOST,         /* spored closed the connection (it stopped) */
};

struct console_relay {
	int in_fd;   /* user input (stdin), -1 for none; output goes on after its EOF */
	int out_fd;  /* user output (stdout) */
	int err_fd;  /* the container's stderr (stderr); 0: to out_fd */
	int svc_fd;  /* the attached connection to spored */
	int stop_fd; /* optional: readable means stop; -1 for none */
	bool raw;    /* put in_fd's terminal in raw mode while relaying */
	bool no_escape; /* Ctrl+] is input like any other (spore-runc's terminal: no user to detach) */
};

/* Relays until one of enum console_end happens; returns it (> 0) or a
 * negative errno with err filled (an ERROR from spored included). */
int console_relay_run(const struct console_relay *c, struct spore_err *err);

/* How many bytes at the end of buf are an escape sequence not yet complete
 * (ESC, ESC [ with parameters but no final byte, ESC O): 0 if none. The
 * relay holds such a tail until the rest arrives (briefly), so that a
 * terminal's reply such as a cursor position report (ESC [ 50 ; 5 R)
 * reaches the guest in one piece: busybox's line editor takes an ESC
 * followed by nothing within 50 ms for the Esc key, and the rest as typed
 * text. */
size_t console_incomplete_escape(const char *buf, size_t n);

/* Scans n bytes of user input for the escape byte; returns its offset or
 * -1. Separate so it is unit tested. */
long console_find_escape(const char *buf, long n);

/* How many bytes at the end of buf are an escape sequence not yet complete
 * (ESC, ESC [ with parameters but no final byte, ESC O): 0 if none. The
 * relay holds such a tail until the rest arrives (briefly), so that a
 * terminal's reply such as a cursor position report (ESC [ 50 ; 5 R)
 * reaches the guest in one piece: busybox's line editor takes an ESC
 * followed by nothing within 50 ms for the Esc key, and the rest as typed
 * text. */
size_t console_incomplete_escape(const char *buf, size_t n);

#endif

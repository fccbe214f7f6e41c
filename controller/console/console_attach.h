/* Attaching the user's terminal to a guest's console (served by
 * xenconsoled), shared by `boot --attach`, `console` and `launch --attach`. */
#ifndef SPORECTL_CONSOLE_ATTACH_H
#define SPORECTL_CONSOLE_ATTACH_H

#include "domctl.h"
#include <spore/err.h>
#include <spore/xenstore.h>

#include <stdbool.h>
#include <stdint.h>

enum attach_end {
	ATTACH_DETACHED = 1, /* Ctrl+]: the guest runs on */
	ATTACH_SHUTDOWN,     /* the guest shut down (reason in *reason) */
	ATTACH_GONE,         /* the domain no longer exists */
};

/* Logs (debug) that domid was unpaused, with a wall-clock timestamp. */
void log_unpaused(uint32_t domid);

/* Waits (without fixed sleeps: a xenstore watch) until xenconsoled has
 * published the guest's pty, up to timeout_ms, and opens it. Returns the
 * fd or a negative errno. */
int console_open_pty(struct spore_xs *xs, uint32_t domid, int timeout_ms, struct spore_err *err);
/* Its pieces, for a caller that waits for other things at the same time:
 * the node to watch, one attempt (the fd, -EAGAIN while there is no pty yet,
 * or a negative errno) and the error for a timeout. */
void console_tty_path(uint32_t domid, char *buf, size_t n);
int console_try_open_pty(struct spore_xs *xs, uint32_t domid, struct spore_err *err);
int console_timeout(struct spore_err *err, uint32_t domid, int timeout_ms);

/* Relays between the terminal and pty_fd until the user detaches (Ctrl+],
 * unless no_escape) or the domain shuts down or disappears. With
 * status, the exit status sporeinit reports goes there as soon as it is
 * written (status_len bytes; "" if none came): another sporectl (destroy)
 * may tear the guest down, record and all, before this one looks. */
int console_attach(struct spore_xc *xc, struct spore_xs *xs, uint32_t domid, int pty_fd,
		   bool no_escape, unsigned *reason, char *status, size_t status_len, struct spore_err *err);

#endif

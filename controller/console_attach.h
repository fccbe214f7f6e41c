/* Attaching the user's terminal to a guest's console (served by
 * xenconsoled), shared by `boot --attach`, `console` and `launch --attach`. */
#ifndef SPORECTL_CONSOLE_ATTACH_H
#define SPORECTL_CONSOLE_ATTACH_H

#include <spore/domctl.h>
#include <spore/err.h>
#include <spore/xenstore.h>

#include <stdbool.h>
#include <stdint.h>

enum attach_end {
	ATTACH_DETACHED = 1, /* Ctrl+]: the guest runs on */
	ATTACH_SHUTDOWN,     /* the guest shut down (reason in *reason) */
	ATTACH_GONE,         /* the domain no longer exists */
};

/* Waits (without fixed sleeps: a xenstore watch) until xenconsoled has
 * published the guest's pty, up to timeout_ms, and opens it. Returns the
 * fd or a negative errno. */
/* Logs (debug) that domid was unpaused, with a wall-clock timestamp. */
void log_unpaused(uint32_t domid);

int console_open_pty(struct spore_xs *xs, uint32_t domid, int timeout_ms, struct spore_err *err);

/* Relays between the terminal and pty_fd until the user detaches or the
 * domain shuts down or disappears. If unpause is set, the domain is
 * unpaused once the relay is ready, so no early output is missed. */
int console_attach(struct spore_xc *xc, struct spore_xs *xs, uint32_t domid, int pty_fd,
		   bool unpause, unsigned *reason, struct spore_err *err);

#endif

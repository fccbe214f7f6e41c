/* Attaching the user's terminal to a guest's console (served by spored),
 * shared by `boot --attach`, `console` and `launch --attach`. */
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

/* Connects to spored and attaches to guest uuid's console, with up to
 * history bytes of its recent output first. Returns the connection's fd
 * once spored has said ATTACHED, or a negative errno (spored's ERROR, or
 * spored not reachable). */
int console_connect(const char *uuid, uint32_t history, struct spore_err *err);

/* Whether spored is there: it answers a PING, or takes more than 2 s to
 * (listening but busy). */
bool console_spored_answers(void);

/* Relays between the terminal and spored (svc_fd, from console_connect)
 * until the user detaches (Ctrl+], unless no_escape) or the domain shuts down or disappears (its last
 * output relayed first). A spored that goes away meanwhile is reconnected
 * to (uuid) without history. With
 * status, the exit status sporeinit reports goes there as soon as it is
 * written (status_len bytes; "" if none came): another sporectl (destroy)
 * may tear the guest down, record and all, before this one looks. */
int console_attach(struct spore_xc *xc, struct spore_xs *xs, uint32_t domid, const char *uuid,
		   int *svc_fd, bool no_escape, unsigned *reason, char *status, size_t status_len,
		   struct spore_err *err);

#endif

/* spored's end of the control channel to each guest's sporeinit: the
 * guest's second PV console (device/console/1), its page mapped through
 * /dev/xen/gntdev and its event channel bound through /dev/xen/evtchn
 * (network/netback/'s xendev.c), carrying the frames of
 * include/spore/chan_proto.h.
 *
 * A guest's channel is served once its frontend has written ring-ref and
 * port and said Initialised (3): mapped, bound, backend Connected (4), then
 * HELLO until sporeinit answers. A restarted spored finds the live guests'
 * channels the same way (the frontend stays Connected) and greets them
 * again. The guest is untrusted: every key it wrote is checked, every frame
 * decoded whole before use, and a broken rule cuts the channel off for
 * that domain (logged, numbers only) without touching the others.
 * Frames are taken from the ring whole (the consumer index never stops
 * inside one), so a spored killed at any moment leaves the next one at a
 * frame's start. */
#ifndef SPORED_CHANNEL_H
#define SPORED_CHANNEL_H

#include "domctl.h"
#include <spore/err.h>
#include <spore/xenstore.h>

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

/* Channels served at most (poll slots: one each). */
#define CHAN_MAX 256

struct chanset;

int chanset_new(struct chanset **sp, struct spore_xc *xc, struct spore_xs *xs,
		struct spore_err *err);
void chanset_free(struct chanset *s);
/* Watches dom0's backend/console/ (a launch writes a guest's channel). */
int chanset_watch(struct chanset *s, struct spore_err *err);
/* Every xenstore event: the introduce/release watches, ours. */
void chanset_event(struct chanset *s, const struct spore_xs_event *ev);
/* Looks at what the events named (before the reaper destroys a domain:
 * its grant is unmapped first). */
void chanset_run(struct chanset *s);
size_t chanset_pollfds(struct chanset *s, struct pollfd *p, size_t max, int *timeout_ms);
void chanset_polled(struct chanset *s, const struct pollfd *p, size_t n);
/* sporectl exec through the channels: each client's session is a stream
 * of its guest's channel. */
struct server;
struct server_client;
struct spore_svc_msg;
void chanset_set_server(struct chanset *s, struct server *srv);
/* Where the container's own stderr (STDERR frames on stream 0) goes. */
struct backend;
void chanset_set_backend(struct chanset *s, struct backend *b);
/* SPORE_SVC_EXEC: opens a session in the guest, or answers an ERROR. */
void chanset_exec(struct chanset *s, struct server_client *c, const struct spore_svc_msg *m);
/* SPORE_SVC_EXEC_STDIN of a client with a session. */
void chanset_exec_stdin(struct chanset *s, struct server_client *c, const struct spore_svc_msg *m);
/* SPORE_SVC_EXEC_RESIZE of a client with a session (a TTY's new size). */
void chanset_exec_resize(struct chanset *s, struct server_client *c, const struct spore_svc_msg *m);

/* Channels connected, and greeted (sporeinit answered HELLO). */
size_t chanset_count(const struct chanset *s, size_t *greeted);

#endif

/* spored's console backend: spore's guests' console 0, in place of
 * xenconsoled.
 *
 * The builder writes console/type "spore", which xenconsoled skips
 * (tools/console/daemon/io.c: any type but "xenconsoled"). spored finds each
 * guest's domain by its handle (the record's UUID) when xenstored announces
 * it (@introduceDomain) or when a client asks, maps its ring (PV: ring-ref
 * is the page's MFN) and binds its event channel. Output goes to the
 * guest's log (logfile.h) and to the attached clients; input from them goes
 * to the ring. The ring's consumer index moves only once the bytes are in
 * the log, so a killed spored loses nothing the ring still holds: the next
 * one takes it from there. A guest's console is let go when its domain
 * shuts down or dies (last output first), and its log when its record goes. */
#ifndef SPORED_BACKEND_H
#define SPORED_BACKEND_H

#include "domctl.h"
#include "logfile.h"
#include "server.h"
#include <spore/err.h>
#include <spore/svc_proto.h>
#include <spore/xenstore.h>

#include <poll.h>
#include <stdbool.h>

struct backend;

int backend_new(struct backend **bp, struct spore_xc *xc, struct spore_xs *xs, const char *root,
		const struct logfile_limits *lim, struct spore_err *err);
void backend_free(struct backend *b);
void backend_set_server(struct backend *b, struct server *s);
/* Its watches (@introduceDomain; it also reads @releaseDomain and the
 * records' events, which the reaper sets). */
int backend_watch(struct backend *b, struct spore_err *err);
void backend_event(struct backend *b, const struct spore_xs_event *ev);
/* Does what the events since the last call ask for; the first call serves
 * every running guest and removes the logs of records that went. */
void backend_run(struct backend *b);
/* Its fd to poll; *timeout_ms is lowered to 0 when a console has more
 * to take. */
size_t backend_pollfds(struct backend *b, struct pollfd *p, size_t max, int *timeout_ms);
void backend_polled(struct backend *b, const struct pollfd *p, size_t n);
size_t backend_nconsoles(const struct backend *b);
/* The console output bytes taken from guest uuid's ring since this spored
 * serves it; false if it serves no such console. */
bool backend_console_bytes(const struct backend *b, const char *uuid, uint64_t *bytes);

/* The container's stderr, from its control channel: to the log as the
 * stderr stream and to the attached clients as OUTPUT_ERR (dropped, with
 * a warning, while no console of uuid is served). held: whether an
 * attached client has mark bytes or more still to take. */
void backend_stderr(struct backend *b, const char *uuid, const void *buf, size_t n);
bool backend_stderr_held(struct backend *b, const char *uuid, size_t mark);

/* A client's ATTACH and INPUT. */
void backend_attach(struct backend *b, struct server_client *c, const struct spore_svc_attach *a);
void backend_input(struct backend *b, struct server_client *c, const void *buf, size_t n);

#endif

/* Event channels through /dev/xen/evtchn: bind, notify, and a pollable fd
 * that becomes readable when a bound port fires. A fired port stays masked
 * until spore_evtchn_unmask(). */
#ifndef SPORE_EVTCHN_H
#define SPORE_EVTCHN_H

#include <spore/err.h>

#include <stdint.h>

#define SPORE_EVTCHN_PATH "/dev/xen/evtchn"

struct spore_evtchn;

int spore_evtchn_open(struct spore_evtchn **ep, struct spore_err *err);
void spore_evtchn_close(struct spore_evtchn *e);
/* Readable when an event is pending; non-blocking. */
int spore_evtchn_fd(const struct spore_evtchn *e);

/* Each bind returns the local port. */
int spore_evtchn_bind_interdomain(struct spore_evtchn *e, uint32_t domid, uint32_t remote_port,
				  struct spore_err *err);
int spore_evtchn_bind_unbound(struct spore_evtchn *e, uint32_t domid, struct spore_err *err);
int spore_evtchn_bind_virq(struct spore_evtchn *e, uint32_t virq, struct spore_err *err);
int spore_evtchn_unbind(struct spore_evtchn *e, uint32_t port, struct spore_err *err);
int spore_evtchn_notify(struct spore_evtchn *e, uint32_t port, struct spore_err *err);
/* The next fired port, or -EAGAIN if none is pending. */
int spore_evtchn_pending(struct spore_evtchn *e, struct spore_err *err);
int spore_evtchn_unmask(struct spore_evtchn *e, uint32_t port, struct spore_err *err);

#endif

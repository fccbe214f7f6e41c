/* Event channels: allocating the builder's store and console ports
 * (hypercall), and a backend's end of a guest's channel through
 * /dev/xen/evtchn (spored's console backend). */
#ifndef SPORE_EVTCHN_H
#define SPORE_EVTCHN_H

#include "hypercall.h"

#include <stdint.h>

/* An unbound port in domid that remote may bind. Returns the port. */
int spore_xc_evtchn_alloc_unbound(struct spore_xc *xc, uint32_t domid, uint32_t remote,
				  struct spore_err *err);

/* /dev/xen/evtchn: one fd for all of a process's bound ports. Its fd is
 * readable when some port fired; reading gives the ports (uint32 each),
 * each masked until spore_evtchn_unmask. */
int spore_evtchn_open(struct spore_err *err);
/* Binds remote_port of domid to a new local port; returns that port. */
int spore_evtchn_bind(int fd, uint32_t domid, uint32_t remote_port, struct spore_err *err);
void spore_evtchn_unbind(int fd, uint32_t port);
int spore_evtchn_notify(int fd, uint32_t port);
/* Fired ports, up to max; 0 when none. */
int spore_evtchn_pending(int fd, uint32_t *ports, size_t max);
void spore_evtchn_unmask(int fd, uint32_t port);

#endif

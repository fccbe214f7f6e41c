/* Event channels, for the builder: the store and console ports. */
#ifndef SPORE_EVTCHN_H
#define SPORE_EVTCHN_H

#include "hypercall.h"

#include <stdint.h>

/* An unbound port in domid that remote may bind. Returns the port. */
int spore_xc_evtchn_alloc_unbound(struct spore_xc *xc, uint32_t domid, uint32_t remote,
				  struct spore_err *err);

#endif

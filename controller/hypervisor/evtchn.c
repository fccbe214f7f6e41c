/* Event channels; see evtchn.h. */
#include "hypercall.h"
#include "evtchn.h"

#include <xen/event_channel.h>

int spore_xc_evtchn_alloc_unbound(struct spore_xc *xc, uint32_t domid, uint32_t remote,
				  struct spore_err *err)
{
	struct evtchn_alloc_unbound *op = spore_xc_buf_alloc(xc, sizeof(*op), err);
	if (!op)
		return spore_xc_errcode(err);
	op->dom = (domid_t)domid;
	op->remote_dom = (domid_t)remote;
	long r = spore_xc_hypercall(xc, __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
				    (uintptr_t)op, 0, 0, 0);
	int port = (int)op->port;
	spore_xc_buf_free(xc, op, sizeof(*op));
	if (r < 0)
		return spore_err_set(err, (int)-r, "evtchn alloc_unbound (domain %u)", domid);
	return port;
}

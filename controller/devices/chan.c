/* The control channel's xenstore entries; see chan.h. */
#include "chan.h"

#include "dev_pair.h"

#include <spore/chan_proto.h>

#include <inttypes.h>

int spore_chan_nodes(struct xs_node_list *l, uint32_t domid, struct spore_err *err)
{
	struct dev_pair p;

	/* Both sides start Initialising: the frontend grants its page and
	 * says Initialised, and spored, seeing that, maps it and says
	 * Connected (hvc_xen's frontend reads no backend feature). */
	dev_pair_begin(&p, l, "console", domid, 0, SPORE_CHAN_DEVID);
	dev_pair_back(&p, "type", SPORE_CHAN_BACKEND_TYPE);
	dev_pair_back(&p, "protocol", "%u", SPORE_CHAN_VERSION);
	if (l->err)
		return spore_err_set(err, -l->err, "control channel nodes of domain %" PRIu32, domid);
	return 0;
}

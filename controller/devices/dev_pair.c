/* A PV device's backend/frontend directories; see dev_pair.h. */
#include "dev_pair.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void add(struct dev_pair *p, const char *dir, const struct spore_xs_perm *perms,
		const char *key, const char *fmt, va_list ap)
{
	char *val = NULL;

	if (p->l->err)
		return;
	if (vasprintf(&val, fmt, ap) < 0) {
		p->l->err = -ENOMEM;
		return;
	}
	xs_node_add(p->l, val, 2, perms, "%s/%s", dir, key);
	free(val);
}

void dev_pair_back(struct dev_pair *p, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(p, p->be, p->back_perms, key, fmt, ap);
	va_end(ap);
}

void dev_pair_front(struct dev_pair *p, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(p, p->fe, p->front_perms, key, fmt, ap);
	va_end(ap);
}

void dev_pair_front_dom0(struct dev_pair *p, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(p, p->fe, p->back_perms, key, fmt, ap);
	va_end(ap);
}

void dev_pair_begin(struct dev_pair *p, struct xs_node_list *l, const char *type, uint32_t domid,
		    uint32_t backend_domid, unsigned devid)
{
	dev_pair_begin_at(p, l, "backend", type, domid, backend_domid, devid, 1);
}

void dev_pair_begin_at(struct dev_pair *p, struct xs_node_list *l, const char *root,
		       const char *type, uint32_t domid, uint32_t backend_domid, unsigned devid,
		       unsigned backend_state)
{
	*p = (struct dev_pair){
		.l = l,
		/* The backend's side: owned by dom0, readable by the guest;
		 * the frontend's: owned by the guest, readable by dom0. */
		.back_perms = {{backend_domid, 'n'}, {domid, 'r'}},
		.front_perms = {{domid, 'n'}, {backend_domid, 'r'}},
	};
	snprintf(p->be, sizeof(p->be), "/local/domain/%" PRIu32 "/%s/%s/%" PRIu32 "/%u",
		 backend_domid, root, type, domid, devid);
	snprintf(p->fe, sizeof(p->fe), "/local/domain/%" PRIu32 "/device/%s/%u", domid, type,
		 devid);
	xs_node_add(l, "", 2, p->back_perms, "%s", p->be);
	dev_pair_back(p, "frontend", "%s", p->fe);
	dev_pair_back(p, "frontend-id", "%" PRIu32, domid);
	dev_pair_back(p, "online", "1");
	dev_pair_back(p, "state", "%u", backend_state);
	xs_node_add(l, "", 2, p->front_perms, "%s", p->fe);
	dev_pair_front(p, "backend", "%s", p->be);
	dev_pair_front(p, "backend-id", "%" PRIu32, backend_domid);
	dev_pair_front(p, "state", "1");
}

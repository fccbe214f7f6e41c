/* The guest record's first write; see guest_record_new.h. */
#include "guest_record_new.h"
#include <spore/log.h>

#include <errno.h>
#include <string.h>

#define PROBES 256  /* claims read per draw before giving up */
#define REDRAWS 8   /* draws after losing a race to a concurrent launch */

/* 1 if another guest holds value for key, 0 if nobody (or g) does. */
static int held(struct spore_xs *xs, const char *key, const char *value, const char *uuid,
		struct spore_err *err)
{
	char owner[40];
	int r = spore_guest_claim_owner(xs, key, value, owner, sizeof(owner), err);
	if (r == -ENOENT) {
		spore_err_clear(err);
		return 0;
	}
	return r < 0 ? r : strcmp(owner, uuid) != 0;
}

/* From *attempt on, the first address (then MAC) nobody holds. */
static int pick(struct spore_xs *xs, struct spore_guest *g, const uint8_t uuid[16],
		unsigned *addr_try, unsigned *mac_try, struct spore_net_plan *p,
		struct spore_err *err)
{
	int r = 1;

	for (unsigned i = 0; i < PROBES && r > 0; i++, ++*addr_try) {
		spore_net_plan_addr(uuid, *addr_try, p);
		spore_net_plan_record(p, g);
		if ((r = held(xs, "ipv4", g->ipv4, g->uuid, err)) < 0)
			return r;
	}
	if (r > 0)
		return spore_err_setx(err, EADDRINUSE, "no free guest address found in 10.75.0.0/16");
	--*addr_try;
	r = 1;
	for (unsigned i = 0; i < PROBES && r > 0; i++, ++*mac_try) {
		spore_net_plan_mac(uuid, *mac_try, p->mac);
		spore_net_plan_record(p, g);
		if ((r = held(xs, "mac", g->mac, g->uuid, err)) < 0)
			return r;
	}
	if (r > 0)
		return spore_err_setx(err, EADDRINUSE, "no free guest MAC address found");
	--*mac_try;
	return 0;
}

int spore_guest_record_new(struct spore_xs *xs, struct spore_guest *g, const uint8_t uuid[16],
			    struct spore_net_plan *plan, struct spore_err *err)
{
	unsigned addr_try = 0, mac_try = 0;
	int r;

	if (!plan)
		return spore_guest_write(xs, g, err);
	for (unsigned round = 0;; round++) {
		if ((r = pick(xs, g, uuid, &addr_try, &mac_try, plan, err)) < 0)
			return r;
		r = spore_guest_write(xs, g, err);
		if (r != -EEXIST || round == REDRAWS)
			return r;
		/* Lost a race: to the name (final) or to the address or MAC
		 * (draw again past what was taken). */
		struct spore_err e = {0};
		if (held(xs, "name", g->name, g->uuid, &e) != 0)
			return r;
		log_info("guest %s: %s; drawing again", g->name, err->msg);
		spore_err_clear(err);
		addr_try++;
		mac_try++;
	}
}

/* The guest record's first write: the record that a launch (or boot) makes
 * before anything else, as "building" with its owner, and with the network
 * the addresses it claims. The only constructor of a record. */
#ifndef SPORE_GUEST_RECORD_NEW_H
#define SPORE_GUEST_RECORD_NEW_H

#include "net_plan.h"
#include <spore/err.h>
#include <spore/guest_record.h>
#include <spore/xenstore.h>

#include <stdint.h>

/* Writes g as a new record. With plan != NULL, first plans an address and a
 * MAC nobody holds and puts them in g (and *plan); if another launch takes
 * them first (-EEXIST from the record's claims), draws again, a bounded
 * number of times. A name taken meanwhile is -EEXIST at once. */
int spore_guest_record_new(struct spore_xs *xs, struct spore_guest *g, const uint8_t uuid[16],
			    struct spore_net_plan *plan, struct spore_err *err);

#endif

/* How list and inspect show a guest: one JSON object per guest, the same
 * in both (cmd_list.c). */
#ifndef SPORECTL_GUEST_VIEW_H
#define SPORECTL_GUEST_VIEW_H

#include "domctl.h"
#include <spore/guest_record.h>

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Marks a "running" record whose domain is down or gone as exited (at now,
 * unless it says when): the record may lag behind Xen. */
void guest_settle(struct spore_guest *g, const struct spore_dominfo *doms, size_t ndoms,
		  int64_t now);

/* The guest as list --json and inspect print it; status is the STATUS
 * column's text (spore_guest_status). */
json_t *guest_json(const struct spore_guest *g, const char *status);

#endif

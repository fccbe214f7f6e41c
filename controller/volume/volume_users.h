/* Which guests use a volume. A guest's record (include/spore/guest_record.h)
 * lists the volumes it has attached in its `volumes` key, written by launch
 * with the rest of the record, before any device exists; so the record is
 * the one truth for "in use", and it goes when the guest goes (the reaper,
 * destroy). A guest uses its volumes until its record says `exited`. */
#ifndef SPORE_VOLUME_USERS_H
#define SPORE_VOLUME_USERS_H

#include <spore/err.h>
#include <spore/guest_record.h>
#include <spore/xenstore.h>

#include <stdbool.h>
#include <stddef.h>

/* Pure: whether g holds volume name (listed, and not exited). */
bool spore_volume_guest_uses(const struct spore_guest *g, const char *name);

/* Pure: the index in guests (n records) of the first that uses name, or -1. */
int spore_volume_find_user(const struct spore_guest *guests, size_t n, const char *name);

/* How many guests use volume name (0: none), from one scan of the records;
 * the first user's record goes to *first when not NULL and there is one. */
int spore_volume_users(struct spore_xs *xs, const char *name, struct spore_guest *first,
		       struct spore_err *err);

#endif

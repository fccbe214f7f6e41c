/* Anonymous volumes (an image's VOLUMEs, README "Volumes"): removed with
 * their guest's record. */
#ifndef SPORE_ANON_VOLUMES_H
#define SPORE_ANON_VOLUMES_H

#include <spore/guest_record.h>

/* Removes the volumes list names (a record's SPORE_REC_ANONYMOUS), once
 * that record is gone, except those another guest lists (a user may name
 * one with -v). Failures are logged, not returned: the guest is gone
 * either way, and `volume prune` takes what is left. */
void spore_anon_volumes_remove(const char *list);

/* The same for a removed record (the reap's hook, guest_reap.h). */
void spore_anon_volumes_removed(const struct spore_guest *g);

#endif

/* Guest names: unique across running guests, chosen or generated. */
#ifndef SPORECTL_GUEST_NAME_H
#define SPORECTL_GUEST_NAME_H

#include <spore/err.h>
#include <spore/xenstore.h>

#include <stddef.h>

/* Copies want into out after checking it is valid and unused, or makes a
 * fresh "spore-xxxxxxxx" name when want is NULL. */
int guest_name_pick(struct spore_xs *xs, const char *want, char *out, size_t n,
		    struct spore_err *err);

#endif

/* Which guests use a volume; see volume_users.h. */
#include "volume_users.h"
#include "volume_rules.h"

#include <stdlib.h>
#include <string.h>

bool spore_volume_guest_uses(const struct spore_guest *g, const char *name)
{
	return strcmp(g->state, "exited") && spore_volume_list_has(g->volumes, name);
}

int spore_volume_find_user(const struct spore_guest *guests, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (spore_volume_guest_uses(&guests[i], name))
			return (int)i;
	return -1;
}

int spore_volume_users(struct spore_xs *xs, const char *name, struct spore_guest *first,
		       struct spore_err *err)
{
	struct spore_guest *g = NULL;
	size_t n = 0;
	int users = 0, r = spore_guest_list(xs, &g, &n, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (!spore_volume_guest_uses(&g[i], name))
			continue;
		if (!users++ && first)
			*first = g[i];
	}
	free(g);
	return users;
}

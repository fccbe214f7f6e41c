/* Anonymous volumes' removal; see anon_volumes.h. */
#include "anon_volumes.h"

#include "volume_store.h"
#include "volume_users.h"
#include <spore/log.h>
#include <spore/xenstore.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void spore_anon_volumes_remove(const char *list)
{
	struct spore_volume_store vs = {.lock_fd = -1};
	struct spore_xs *xs = NULL;
	struct spore_guest *g = NULL;
	struct spore_err e = {0};
	size_t n = 0;

	if (!list || !list[strspn(list, " ")])
		return;
	/* Exclusive, as volume rm: no launch is between its in-use check and
	 * its record meanwhile. */
	if (spore_volume_store_open(&vs, NULL, true, &e) < 0 || spore_xs_open(&xs, &e) < 0 ||
	    spore_guest_list(xs, &g, &n, &e) < 0) {
		log_warn("removing anonymous volumes: %s", e.msg);
		goto out;
	}
	for (const char *p = list + strspn(list, " "); *p;) {
		size_t len = strcspn(p, " ");
		char name[SPORE_VOLUME_NAME_MAX + 1];

		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		p += len;
		p += strspn(p, " ");
		if (!spore_volume_name_valid(name))
			continue;
		int u = spore_volume_find_user(g, n, name);
		if (u >= 0) {
			log_info("anonymous volume %s is kept: guest %s uses it", name, g[u].name);
			continue;
		}
		memset(&e, 0, sizeof(e));
		int r = spore_volume_remove(&vs, name, NULL, &e);
		if (r < 0 && r != -ENOENT)
			log_warn("removing anonymous volume %s: %s", name, e.msg);
		else if (r == 0)
			log_info("removed anonymous volume %s", name);
	}
out:
	free(g);
	spore_xs_close(xs);
	spore_volume_store_close(&vs);
}

void spore_anon_volumes_removed(const struct spore_guest *g)
{
	spore_anon_volumes_remove(g->anonymous);
}

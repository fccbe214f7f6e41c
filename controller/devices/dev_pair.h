/* The two xenstore directories every PV device has: the backend's
 * (/local/domain/<backend>/backend/<type>/<domid>/<devid>), which dom0 owns
 * and the guest reads, and the frontend's
 * (/local/domain/<domid>/device/<type>/<devid>), which the guest owns and
 * dom0 reads. dev_pair_begin writes both with the keys that link them
 * (frontend, frontend-id, online / backend, backend-id) and state 1
 * (Initialising) on each side; the device's own keys follow. Appends to a
 * node list, whose err holds the first failure (include/spore/xenstore.h). */
#ifndef SPORE_DEV_PAIR_H
#define SPORE_DEV_PAIR_H

#include <spore/xenstore.h>

#include <stdint.h>

struct dev_pair {
	struct xs_node_list *l;
	char be[96], fe[96];
	struct spore_xs_perm back_perms[2], front_perms[2];
};

void dev_pair_begin(struct dev_pair *p, struct xs_node_list *l, const char *type, uint32_t domid,
		    uint32_t backend_domid, unsigned devid);
/* As dev_pair_begin, with the backend under /local/domain/<backend>/<root>/
 * instead of backend/, and its first state given (a backend that is known
 * to be ready can say InitWait, 2, at once). */
void dev_pair_begin_at(struct dev_pair *p, struct xs_node_list *l, const char *root,
		       const char *type, uint32_t domid, uint32_t backend_domid, unsigned devid,
		       unsigned backend_state);
/* A backend key; the value is printf-formatted. */
void dev_pair_back(struct dev_pair *p, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A frontend key, the guest's. */
void dev_pair_front(struct dev_pair *p, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A frontend key that stays dom0's (the guest reads it). */
void dev_pair_front_dom0(struct dev_pair *p, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

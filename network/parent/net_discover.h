/* sporenet's discovery of guests: a xenstore watch on the guest records
 * (/spore/guests, README "Networking"), no polling. The privileged parent
 * uses it; a record becomes an attach through net_attach_from_record(). */
#ifndef SPORE_NET_DISCOVER_H
#define SPORE_NET_DISCOVER_H

#include "net_config.h"
#include "net_record.h"
#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>

struct net_discover;

typedef char net_uuid[37];

/* Connects to xenstore and watches the records. */
int net_discover_open(struct net_discover **dp, struct spore_err *err);
void net_discover_close(struct net_discover *d);
/* Readable when watch events may be pending. */
int net_discover_fd(const struct net_discover *d);

/* Takes every pending event: the records they touched are added to
 * *uuids (a malloc'd array of *n; free() it), or *all is set when the
 * whole set must be read again (the watch's first firing, the records'
 * parent changing); *frontends is set when a watched frontend's state
 * changed. Returns 0 or a connection error. */
int net_discover_events(struct net_discover *d, net_uuid **uuids, size_t *n, bool *all,
			bool *frontends, struct spore_err *err);
/* Every record's uuid (malloc'd array of *n). */
int net_discover_list(struct net_discover *d, net_uuid **uuids, size_t *n,
		      struct spore_err *err);

/* What a record asks of sporenet. */
enum net_record_state {
	NET_RECORD_NONE,    /* no record, or no vif key: no network */
	NET_RECORD_ATTACH,  /* attach holds the guest's network */
	NET_RECORD_INVALID, /* has a vif but does not parse: msg says why */
};
struct net_record_result {
	enum net_record_state state;
	struct net_attach attach;
	char msg[256];
};
/* Reads the records of uuids (one pipelined batch) into res[0..n). Returns
 * 0 or a connection error. */
int net_discover_read(struct net_discover *d, const net_uuid *uuids, size_t n,
		      struct net_record_result *res, struct spore_err *err);

/* A userspace vif (launch --net-backend userspace): the frontend's keys
 * (-ENOENT if it has none), the backend's state (written only while the
 * backend directory exists), and the watch on the frontend's state. */
int net_discover_frontend(struct net_discover *d, unsigned domid, unsigned dev,
			  struct net_frontend *fe, struct spore_err *err);
int net_discover_backend_state(struct net_discover *d, unsigned domid, unsigned dev,
			       unsigned state, struct spore_err *err);
int net_discover_watch_frontend(struct net_discover *d, unsigned domid, unsigned dev, bool on,
				struct spore_err *err);

#endif

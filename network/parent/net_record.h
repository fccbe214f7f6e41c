/* A guest's network as its guest record describes it (README
 * "Networking"): the record's string keys turned into sporenet's attach.
 *
 * The record is dom0-written, but every value is checked as if it were
 * hostile: a record that does not parse is skipped with a message, never
 * half-used. Pure: no I/O. */
#ifndef SPORE_NET_RECORD_H
#define SPORE_NET_RECORD_H

#include "net_config.h"
#include <spore/err.h>

/* The record keys sporenet reads, in this order (net_record_keys[i] names
 * field i of struct net_record); NULL values are absent keys. */
#define NET_RECORD_NKEYS 14
extern const char *const net_record_keys[NET_RECORD_NKEYS];

struct net_record {
	const char *name, *domid, *vif, *ipv4, *gateway4, *dns4, *ipv6, *gateway6, *dns6, *mac,
		*mtu, *ports, *allow_dom0, *net_backend;
	/* Not a record key: the mac of the vif's backend node
	 * (/local/domain/0/backend/vif/<domid>/<n>/mac, which netback's
	 * interface was made from; spore-net/vif/... for a userspace vif). */
	const char *backend_mac;
};

/* Parses "vif<domid>.<n>" (no leading zeros, domid 1..32751, n 0..255). */
int net_vif_parse(const char *vif, unsigned *domid, unsigned *dev);

/* Builds the attach of the guest uuid from its record. Required: vif
 * ("vif<domid>.<n>", of the record's domid once that is recorded: launch
 * records the domid after the vif; and the backend's mac must be the
 * record's: the interface is this guest's), ipv4 ("A.B.C.D/8..29"),
 * gateway4 and dns4 (distinct hosts in the guest's network), ipv6
 * ("ADDR/64"), gateway6 and dns6 (distinct, in the guest's /64), mac
 * (unicast). Optional: mtu (default 1500), ports (space-separated
 * net_fwd_parse specs, at most NET_MAX_FWD), allow-dom0 ("0" or "1"),
 * net-backend ("kernel", the default, or "userspace": the attach then has
 * userspace set, with the vif's domid and device number). The
 * guest keeps libslirp's DHCP (it offers the planned address). -EINVAL with
 * err naming the key on anything else. */
int net_attach_from_record(const char *uuid, const struct net_record *r, struct net_attach *a,
			   struct spore_err *err);

/* The frontend's side of a userspace vif, as the guest wrote it (hostile:
 * every key checked). */
struct net_frontend {
	unsigned state; /* XenbusState */
	uint32_t tx_ref, rx_ref, evtchn;
	bool rx_sg; /* it takes multi-slot rx packets */
};
/* The frontend keys read, in this order (NULL values are absent keys). */
#define NET_FRONTEND_NKEYS 6
extern const char *const net_frontend_keys[NET_FRONTEND_NKEYS];
/* Parses the frontend's keys (vals[i] for net_frontend_keys[i]). Only the
 * state is needed below Connected (4); at Connected the rings' grant refs,
 * the event channel and request-rx-copy = 1 are required (a frontend that
 * wants page flipping is refused). -EINVAL with err naming the key. */
int net_frontend_parse(const char *const vals[NET_FRONTEND_NKEYS], struct net_frontend *fe,
		       struct spore_err *err);
#endif

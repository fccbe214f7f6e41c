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
#define NET_RECORD_NKEYS 13
extern const char *const net_record_keys[NET_RECORD_NKEYS];

struct net_record {
	const char *name, *domid, *vif, *ipv4, *gateway4, *dns4, *ipv6, *gateway6, *dns6, *mac,
		*mtu, *ports, *allow_dom0;
	/* Not a record key: the mac of the vif's backend node
	 * (/local/domain/0/backend/vif/<domid>/<n>/mac), which netback's
	 * interface was made from. */
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
 * net_fwd_parse specs, at most NET_MAX_FWD), allow-dom0 ("0" or "1"). The
 * guest keeps libslirp's DHCP (it offers the planned address). -EINVAL with
 * err naming the key on anything else. */
int net_attach_from_record(const char *uuid, const struct net_record *r, struct net_attach *a,
			   struct spore_err *err);

#endif

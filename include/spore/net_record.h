/* A guest's network as its guest record describes it (README
 * "Networking"): the record's string keys turned into sporenet's attach.
 *
 * The record is dom0-written, but every value is checked as if it were
 * hostile: a record that does not parse is skipped with a message, never
 * half-used. Pure: no I/O. */
#ifndef SPORE_NET_RECORD_H
#define SPORE_NET_RECORD_H

#include <spore/err.h>
#include <spore/net_config.h>

/* The record keys sporenet reads, in this order (net_record_keys[i] names
 * field i of struct net_record); NULL values are absent keys. */
#define NET_RECORD_NKEYS 13
extern const char *const net_record_keys[NET_RECORD_NKEYS];

struct net_record {
	const char *name, *domid, *vif, *ipv4, *gateway4, *dns4, *ipv6, *gateway6, *dns6, *mac,
		*mtu, *ports, *allow_dom0;
};

/* Builds the attach of the guest uuid from its record. Required: vif (which
 * must be "vif<domid>.<n>" of the record's domid), ipv4 ("A.B.C.D/8..29"),
 * gateway4 and dns4 (distinct hosts in the guest's network), ipv6
 * ("ADDR/64"), gateway6 and dns6 (distinct, in the guest's /64), mac
 * (unicast). Optional: mtu (default 1500), ports (space-separated
 * net_fwd_parse specs, at most NET_MAX_FWD), allow-dom0 ("0" or "1"). The
 * guest keeps libslirp's DHCP (it offers the planned address). -EINVAL with
 * err naming the key on anything else. */
int net_attach_from_record(const char *uuid, const struct net_record *r, struct net_attach *a,
			   struct spore_err *err);

#endif

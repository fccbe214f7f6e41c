/* One guest attachment of sporenet: interface, addresses, options.
 *
 * The structs are plain data so the privileged parent can hand them to a
 * worker as a fixed-size message. The parsers are pure. Published ports
 * are in the -p format sporectl shares (include/spore/port_spec.h). */
#ifndef SPORE_NET_CONFIG_H
#define SPORE_NET_CONFIG_H

#include <spore/err.h>
#include <spore/port_spec.h>

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_MTU_DEFAULT 1500
#define NET_MTU_MIN 1280  /* IPv6's minimum */
#define NET_MTU_MAX 65520 /* libslirp's IF_MTU_MAX is 65521 */

struct net_attach {
	char ifname[IFNAMSIZ];
	/* The guest record it came from (empty for --attach): for status. */
	char uuid[37], name[65];
	struct in_addr guest4, gateway4, dns4, net4, mask4;
	uint8_t prefix4;
	/* A ULA /64 derived from the guest's IPv4 address so that it is unique
	 * per guest: fd53:706f:7265:<low 16 bits of guest4>::/64, with the
	 * gateway at ::2, DNS at ::3 and the guest at ::<guest4>. */
	struct in6_addr prefix6, guest6, gateway6, dns6;
	bool has_mac;
	uint8_t mac[6];
	bool allow_dom0;
	bool no_dhcp; /* the guest configures itself; libslirp's DHCP server off */
	uint32_t mtu; /* of the guest link; libslirp's throughput follows it */
	size_t n_fwd;
	struct net_fwd fwd[NET_MAX_FWD];
	/* Served through the guest's rings (launch --net-backend userspace):
	 * no interface; ifname only names the vif (vif<domid>.<devid>). */
	bool userspace;
	uint32_t domid, devid;
};

/* Parses "IFNAME:GUEST_IPV4/PREFIX:GATEWAY[:MAC]" into a (zeroed) attach and
 * derives the DNS alias (the first free address after the gateway) and the
 * IPv6 addresses. */
/* A userspace vif's rings as its frontend published them (guest-written,
 * checked by the parent's parser; the worker maps only these). */
struct net_rings {
	uint32_t tx_ref, rx_ref, evtchn;
	uint32_t rx_sg;
};

int net_attach_parse(const char *spec, struct net_attach *a, struct spore_err *err);
/* Parses an MTU in [NET_MTU_MIN, NET_MTU_MAX]. */
int net_mtu_parse(const char *s, uint32_t *mtu, struct spore_err *err);
/* True for a usable interface name (what the kernel would accept). */
bool net_ifname_valid(const char *name);
/* Parses "aa:bb:cc:dd:ee:ff"; refuses multicast and all-zero addresses. */
int net_mac_parse(const char *s, uint8_t mac[6]);

#endif

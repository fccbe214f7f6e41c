/* The destination filter applied to guest frames before libslirp sees them.
 *
 * libslirp turns any destination a guest writes into a dom0 socket, and its
 * disable_host_loopback only covers the gateway alias: a crafted packet to
 * 127.0.0.1 still reaches dom0's loopback. So the guest may only talk to
 * libslirp's own service addresses (gateway, DNS on port 53, DHCP, NDP) and
 * to ordinary unicast destinations outside its virtual network. Refused:
 * 0/8, 127/8, 169.254/16, 224/4, 240/4 and broadcast, ::, ::1, fe80::/10,
 * ff00::/8, ::ffff:0:0/96, other addresses inside the guest's own virtual
 * networks, and dom0's own addresses (but for TCP with ACK from a published
 * port: the guest's side of a connection from a client on dom0's own
 * address). allow_dom0 lifts only the loopback and dom0-address rules. The gateway also takes the guest's side of
 * published ports: TCP segments with ACK set and UDP, from a published
 * guest port.
 *
 * Sources are checked first: a guest speaks only from its own addresses
 * (IPv4: its address, or 0.0.0.0 for DHCP's discover and ARP probes; IPv6:
 * its own /64 but for libslirp's gateway and DNS addresses there, link-local
 * fe80::/10, or :: for neighbour discovery), and an ARP packet's sender
 * hardware address is the frame's. Another guest's or dom0's address as
 * source is NET_DROP_SRC_IP. Pure: no I/O. */
#ifndef SPORE_NET_FILTER_H
#define SPORE_NET_FILTER_H

#include "net_config.h"
#include "net_frame.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_FILTER_MAX_DOM0 64

struct net_filter {
	/* IPv4 virtual network as configured in libslirp; the guest's address. */
	struct in_addr net4, mask4, gateway4, dns4, guest4;
	bool dhcp;
	/* IPv6; in6 false disables IPv6 entirely. */
	bool in6;
	struct in6_addr prefix6, gateway6, dns6;
	uint8_t prefix6_len;
	bool allow_dom0;
	/* Published guest ports: the guest answers connections that libslirp
	 * forwards from dom0 with the gateway as their source. */
	size_t n_fwd;
	struct {
		uint16_t port;
		bool udp;
	} fwd[NET_MAX_FWD];
	/* dom0's own addresses (getifaddrs), refused unless allow_dom0. */
	size_t n_dom0_4, n_dom0_6;
	struct in_addr dom0_4[NET_FILTER_MAX_DOM0];
	struct in6_addr dom0_6[NET_FILTER_MAX_DOM0];
};

/* Sets up the filter for an attachment (IPv6 on, DHCP unless no_dhcp, no
 * dom0 addresses yet). */
void net_filter_init(struct net_filter *flt, const struct net_attach *a);

/* Decides on a frame parsed by net_frame_parse() (whose source MAC the
 * caller checked): NET_PASS, NET_DROP_SRC_IP or NET_DROP_DST. */
enum net_verdict net_filter_check(const struct net_filter *flt, const struct net_frame *f);

/* Adds a dom0 address (AF_INET/AF_INET6, addr points at in_addr/in6_addr);
 * duplicates are ignored. Returns 0, or -ENOSPC when the table is full. */
int net_filter_add_dom0(struct net_filter *flt, int family, const void *addr);

#endif

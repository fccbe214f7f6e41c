/* The privileged side of a guest attachment: the AF_PACKET socket on the
 * guest's backend interface, and the interface settings that keep dom0's own
 * IP stack out of the guest's reach. Needs CAP_NET_RAW / CAP_NET_ADMIN. */
#ifndef SPORE_NET_PACKET_H
#define SPORE_NET_PACKET_H

#include <spore/err.h>

#include <stdint.h>

/* Opens a non-blocking AF_PACKET socket bound to ifname receiving every
 * protocol, with PACKET_AUXDATA on and a classic BPF filter that passes only
 * incoming frames whose source MAC is mac (any source if mac is NULL). The
 * filter is attached before the bind, so no other frame is ever queued.
 * Returns the fd or a negative errno. */
int net_packet_open(const char *ifname, const uint8_t *mac, struct spore_err *err);

/* Brings ifname up with the given MTU and stops dom0's stack from answering the guest on it
 * directly: IPv6 off, strict reverse-path filter, no ARP replies, no
 * forwarding. The frames still reach the packet socket. */
int net_iface_prepare(const char *ifname, unsigned mtu, struct spore_err *err);

#endif

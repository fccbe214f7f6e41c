/* Destination filter for guest frames; see net_filter.h for the policy. */
#include "net_filter.h"

#include <errno.h>
#include <string.h>

/* DHCP and DNS are the only services reached on libslirp's own addresses
 * besides ICMP echo; anything else to the DNS alias would be forwarded to
 * dom0's resolver host on an arbitrary port. */
#define PORT_DNS 53
#define PORT_DHCP_SERVER 67
#define PORT_DHCP_CLIENT 68

#define TCP_FLAG_ACK 0x10

#define ICMP_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST 128
#define ND_ROUTER_SOLICIT 133
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136

static bool in4_net(uint32_t a, uint32_t net, int bits)
{
	uint32_t mask = bits ? ~(uint32_t)0 << (32 - bits) : 0;
	return (a & mask) == net;
}

static bool in6_prefix(const struct in6_addr *a, const struct in6_addr *p, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (bits > 128)
		return false;
	if (memcmp(a->s6_addr, p->s6_addr, whole))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a->s6_addr[whole] & mask) == (p->s6_addr[whole] & mask);
}

static bool in6_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static bool is_dom0_4(const struct net_filter *flt, struct in_addr a)
{
	for (size_t i = 0; i < flt->n_dom0_4 && i < NET_FILTER_MAX_DOM0; i++)
		if (flt->dom0_4[i].s_addr == a.s_addr)
			return true;
	return false;
}

static bool is_dom0_6(const struct net_filter *flt, const struct in6_addr *a)
{
	for (size_t i = 0; i < flt->n_dom0_6 && i < NET_FILTER_MAX_DOM0; i++)
		if (in6_eq(&flt->dom0_6[i], a))
			return true;
	return false;
}

/* Traffic to one of libslirp's service addresses: DNS only on port 53. */
static enum net_verdict service_port(const struct net_frame *f, bool dns, int echo_type)
{
	if (f->l4_proto == IPPROTO_ICMP || f->l4_proto == IPPROTO_ICMPV6)
		return f->icmp_type == echo_type ? NET_PASS : NET_DROP_DST;
	if (dns)
		return f->dport == PORT_DNS ? NET_PASS : NET_DROP_DST;
	return NET_PASS;
}

/* The guest's side of a connection libslirp forwarded from a published
 * port: from that port, and for TCP never opening a connection. */
static bool fwd_reply(const struct net_filter *flt, const struct net_frame *f)
{
	bool udp = f->l4_proto == IPPROTO_UDP;
	if (f->l4_proto == IPPROTO_TCP) {
		if (!(f->tcp_flags & TCP_FLAG_ACK))
			return false;
	} else if (!udp) {
		return false;
	}
	for (size_t i = 0; i < flt->n_fwd && i < NET_MAX_FWD; i++)
		if (flt->fwd[i].port == f->sport && flt->fwd[i].udp == udp)
			return true;
	return false;
}

static enum net_verdict check4(const struct net_filter *flt, const struct net_frame *f)
{
	uint32_t d = ntohl(f->dst4.s_addr);
	uint32_t net = ntohl(flt->net4.s_addr), mask = ntohl(flt->mask4.s_addr);

	/* DHCP from an unconfigured guest: 0.0.0.0 -> 255.255.255.255:67. */
	if (flt->dhcp && f->l4_proto == IPPROTO_UDP && f->dport == PORT_DHCP_SERVER &&
	    f->sport == PORT_DHCP_CLIENT &&
	    (d == 0xffffffffu || f->dst4.s_addr == flt->gateway4.s_addr))
		return NET_PASS;
	if (f->dst4.s_addr == flt->dns4.s_addr)
		return service_port(f, true, ICMP_ECHO_REQUEST);
	if (f->dst4.s_addr == flt->gateway4.s_addr) {
		/* The gateway is dom0's loopback when allow_dom0 is set (libslirp's
		 * host alias), otherwise only an ICMP echo responder. */
		if (flt->allow_dom0)
			return service_port(f, false, ICMP_ECHO_REQUEST);
		if (fwd_reply(flt, f))
			return NET_PASS;
		return f->l4_proto == IPPROTO_ICMP && f->icmp_type == ICMP_ECHO_REQUEST
			       ? NET_PASS
			       : NET_DROP_DST;
	}
	if ((d & mask) == (net & mask)) /* nothing else lives on the virtual net */
		return NET_DROP_DST;
	if (in4_net(d, 0x00000000, 8) || in4_net(d, 0xa9fe0000, 16) ||
	    in4_net(d, 0xe0000000, 4) || in4_net(d, 0xf0000000, 4))
		return NET_DROP_DST;
	if (in4_net(d, 0x7f000000, 8))
		return flt->allow_dom0 ? NET_PASS : NET_DROP_DST;
	/* A client on one of dom0's own addresses reached a published port:
	 * libslirp gives the guest that address as the peer. TCP only: libslirp
	 * opens nothing for a segment with ACK set, but would for UDP. */
	if (is_dom0_4(flt, f->dst4))
		return flt->allow_dom0 || (f->l4_proto == IPPROTO_TCP && fwd_reply(flt, f))
			       ? NET_PASS
			       : NET_DROP_DST;
	return NET_PASS;
}

static bool is_ndp(const struct net_frame *f)
{
	return f->l4_proto == IPPROTO_ICMPV6 &&
	       (f->icmp_type == ND_ROUTER_SOLICIT || f->icmp_type == ND_NEIGHBOR_SOLICIT ||
		f->icmp_type == ND_NEIGHBOR_ADVERT);
}

static enum net_verdict check6(const struct net_filter *flt, const struct net_frame *f)
{
	static const struct in6_addr fe80 = {{{0xfe, 0x80}}};
	static const struct in6_addr ff02 = {{{0xff, 0x02}}};
	static const struct in6_addr ff00 = {{{0xff, 0x00}}};
	static const struct in6_addr v4mapped = {{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}}};
	static const struct in6_addr any6 = {{{0}}};
	const struct in6_addr *d = &f->dst6;

	if (!flt->in6)
		return NET_DROP_DST;
	/* Neighbour discovery stays on the link: libslirp answers router and
	 * neighbour solicitations (for its fe80:: router address too). */
	if (is_ndp(f))
		return in6_prefix(d, &ff02, 16) || in6_prefix(d, &fe80, 10) ||
				       in6_eq(d, &flt->gateway6) || in6_eq(d, &flt->dns6)
			       ? NET_PASS
			       : NET_DROP_DST;
	if (in6_eq(d, &flt->dns6))
		return service_port(f, true, ICMP6_ECHO_REQUEST);
	if (in6_eq(d, &flt->gateway6)) {
		if (flt->allow_dom0)
			return service_port(f, false, ICMP6_ECHO_REQUEST);
		return f->l4_proto == IPPROTO_ICMPV6 && f->icmp_type == ICMP6_ECHO_REQUEST
			       ? NET_PASS
			       : NET_DROP_DST;
	}
	if (in6_prefix(d, &flt->prefix6, flt->prefix6_len))
		return NET_DROP_DST;
	if (in6_eq(d, &any6) || in6_prefix(d, &fe80, 10) || in6_prefix(d, &ff00, 8) ||
	    in6_prefix(d, &v4mapped, 96))
		return NET_DROP_DST;
	/* libslirp 4.7 cannot proxy ICMPv6 echo beyond itself and logs a
	 * critical for each attempt: do not let a guest flood the log. */
	if (f->l4_proto == IPPROTO_ICMPV6)
		return NET_DROP_DST;
	if (IN6_IS_ADDR_LOOPBACK(d))
		return flt->allow_dom0 ? NET_PASS : NET_DROP_DST;
	if (is_dom0_6(flt, d)) /* as for IPv4 */
		return flt->allow_dom0 || (f->l4_proto == IPPROTO_TCP && fwd_reply(flt, f))
			       ? NET_PASS
			       : NET_DROP_DST;
	return NET_PASS;
}

/* libslirp answers whatever source a guest writes (and learns ARP pairs
 * from it): only the guest's own addresses may appear as a source. */
static bool src4_ok(const struct net_filter *flt, const struct net_frame *f)
{
	if (f->src4.s_addr == flt->guest4.s_addr)
		return true;
	if (f->src4.s_addr != 0)
		return false;
	if (f->ip_version == 0) /* an ARP probe */
		return true;
	return flt->dhcp && f->l4_proto == IPPROTO_UDP && f->sport == PORT_DHCP_CLIENT &&
	       f->dport == PORT_DHCP_SERVER;
}

static bool src6_ok(const struct net_filter *flt, const struct net_frame *f)
{
	static const struct in6_addr fe80 = {{{0xfe, 0x80}}};
	static const struct in6_addr any6 = {{{0}}};
	const struct in6_addr *s = &f->src6;

	if (in6_prefix(s, &fe80, 10))
		return true;
	if (in6_eq(s, &any6)) /* duplicate address detection */
		return is_ndp(f);
	return in6_prefix(s, &flt->prefix6, flt->prefix6_len) && !in6_eq(s, &flt->gateway6) &&
	       !in6_eq(s, &flt->dns6);
}

enum net_verdict net_filter_check(const struct net_filter *flt, const struct net_frame *f)
{
	switch (f->ip_version) {
	case 0:
		if (f->ethertype != NET_ETH_P_ARP)
			return NET_DROP_ETHERTYPE;
		return src4_ok(flt, f) && !memcmp(f->arp_sha, f->src_mac, 6) ? NET_PASS
										 : NET_DROP_SRC_IP;
	case 4:
		if (!src4_ok(flt, f))
			return NET_DROP_SRC_IP;
		return check4(flt, f);
	case 6:
		if (flt->in6 && !src6_ok(flt, f))
			return NET_DROP_SRC_IP;
		return check6(flt, f);
	default:
		return NET_DROP_MALFORMED;
	}
}

void net_filter_init(struct net_filter *flt, const struct net_attach *a)
{
	memset(flt, 0, sizeof(*flt));
	flt->net4 = a->net4;
	flt->mask4 = a->mask4;
	flt->gateway4 = a->gateway4;
	flt->dns4 = a->dns4;
	flt->guest4 = a->guest4;
	flt->dhcp = !a->no_dhcp;
	flt->in6 = true;
	flt->prefix6 = a->prefix6;
	flt->prefix6_len = 64;
	flt->gateway6 = a->gateway6;
	flt->dns6 = a->dns6;
	flt->allow_dom0 = a->allow_dom0;
	for (size_t i = 0; i < a->n_fwd && i < NET_MAX_FWD; i++) {
		flt->fwd[i].port = a->fwd[i].guest_port;
		flt->fwd[i].udp = a->fwd[i].udp;
	}
	flt->n_fwd = a->n_fwd < NET_MAX_FWD ? a->n_fwd : NET_MAX_FWD;
}

int net_filter_add_dom0(struct net_filter *flt, int family, const void *addr)
{
	if (family == AF_INET) {
		struct in_addr a;
		memcpy(&a, addr, sizeof(a));
		if (is_dom0_4(flt, a))
			return 0;
		if (flt->n_dom0_4 >= NET_FILTER_MAX_DOM0)
			return -ENOSPC;
		flt->dom0_4[flt->n_dom0_4++] = a;
		return 0;
	}
	if (family == AF_INET6) {
		struct in6_addr a;
		memcpy(&a, addr, sizeof(a));
		if (is_dom0_6(flt, &a))
			return 0;
		if (flt->n_dom0_6 >= NET_FILTER_MAX_DOM0)
			return -ENOSPC;
		flt->dom0_6[flt->n_dom0_6++] = a;
		return 0;
	}
	return -EAFNOSUPPORT;
}

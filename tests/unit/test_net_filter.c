/* Destination filter: what a guest may and may not reach. */
#include "net_filter.h"

#include <errno.h>

#include "net_pkt.h"
#include "tap.h"

static uint8_t b[2048];
static struct net_filter flt;

static enum net_verdict v4(const char *dst, int proto, uint16_t dport)
{
	struct net_frame f;
	size_t n = pkt_ipv4(b, "10.75.0.15", dst, proto, 40000, dport, 4);
	if (net_frame_parse(b, n, &f) != NET_PASS)
		return NET_DROP_MALFORMED;
	return net_filter_check(&flt, &f);
}

static enum net_verdict v4_from(const char *src, const char *dst)
{
	struct net_frame f;
	size_t n = pkt_ipv4(b, src, dst, IPPROTO_TCP, 40000, 80, 4);
	if (net_frame_parse(b, n, &f) != NET_PASS)
		return NET_DROP_MALFORMED;
	return net_filter_check(&flt, &f);
}

static enum net_verdict v6_from(const char *src, int proto)
{
	struct net_frame f;
	size_t n = pkt_ipv6(b, src, "2001:db8::7", proto, 40000, 80, 4);
	if (net_frame_parse(b, n, &f) != NET_PASS)
		return NET_DROP_MALFORMED;
	return net_filter_check(&flt, &f);
}

static enum net_verdict v6(const char *dst, int proto, uint16_t dport)
{
	struct net_frame f;
	size_t n = pkt_ipv6(b, "fd53:706f:7265:f::a4b:f", dst, proto, 40000, dport, 4);
	if (net_frame_parse(b, n, &f) != NET_PASS)
		return NET_DROP_MALFORMED;
	return net_filter_check(&flt, &f);
}

/* A TCP segment with the given flags from the guest's sport to dst. */
static enum net_verdict tcp_from(uint16_t sport, const char *dst, uint8_t flags)
{
	struct net_frame f;
	size_t n = pkt_ipv4(b, "10.75.0.15", dst, IPPROTO_TCP, sport, 40000, 0);
	b[14 + 20 + 13] = flags;
	if (net_frame_parse(b, n, &f) != NET_PASS)
		return NET_DROP_MALFORMED;
	return net_filter_check(&flt, &f);
}

static enum net_verdict udp_from(uint16_t sport, const char *dst)
{
	struct net_frame f;
	size_t n = pkt_ipv4(b, "10.75.0.15", dst, IPPROTO_UDP, sport, 40000, 4);
	if (net_frame_parse(b, n, &f) != NET_PASS)
		return NET_DROP_MALFORMED;
	return net_filter_check(&flt, &f);
}

static enum net_verdict icmp6(const char *dst, uint8_t type)
{
	struct net_frame f;
	size_t n = pkt_ipv6(b, "fe80::1", dst, IPPROTO_ICMPV6, 0, 0, 24);
	b[14 + 40] = type;
	if (net_frame_parse(b, n, &f) != NET_PASS)
		return NET_DROP_MALFORMED;
	return net_filter_check(&flt, &f);
}

static void common_rules(const char *mode)
{
	/* Ordinary destinations. */
	is_int(v4("192.0.2.7", IPPROTO_TCP, 80), NET_PASS, "%s: TCP to the internet", mode);
	is_int(v4("198.51.100.1", IPPROTO_UDP, 123), NET_PASS, "%s: UDP to the internet", mode);
	is_int(v4("192.0.2.7", IPPROTO_ICMP, 0), NET_PASS, "%s: ping to the internet", mode);
	is_int(v4("10.1.2.3", IPPROTO_TCP, 22), NET_PASS, "%s: another private network", mode);
	/* Service addresses. */
	is_int(v4("10.75.0.3", IPPROTO_UDP, 53), NET_PASS, "%s: DNS alias, UDP 53", mode);
	is_int(v4("10.75.0.3", IPPROTO_TCP, 53), NET_PASS, "%s: DNS alias, TCP 53", mode);
	is_int(v4("10.75.0.3", IPPROTO_TCP, 22), NET_DROP_DST, "%s: DNS alias, TCP 22", mode);
	is_int(v4("10.75.0.3", IPPROTO_ICMP, 0), NET_PASS, "%s: ping the DNS alias", mode);
	is_int(v4("10.75.0.2", IPPROTO_ICMP, 0), NET_PASS, "%s: ping the gateway", mode);
	is_int(v4("255.255.255.255", IPPROTO_UDP, 67), NET_DROP_DST,
	       "%s: broadcast from port 40000 is not DHCP", mode);
	/* Never reachable. */
	is_int(v4("0.0.0.0", IPPROTO_TCP, 80), NET_DROP_DST, "%s: 0.0.0.0", mode);
	is_int(v4("0.1.2.3", IPPROTO_TCP, 80), NET_DROP_DST, "%s: 0/8", mode);
	is_int(v4("169.254.169.254", IPPROTO_TCP, 80), NET_DROP_DST, "%s: metadata 169.254/16",
	       mode);
	is_int(v4("224.0.0.251", IPPROTO_UDP, 5353), NET_DROP_DST, "%s: multicast", mode);
	is_int(v4("239.255.255.250", IPPROTO_UDP, 1900), NET_DROP_DST, "%s: SSDP multicast", mode);
	is_int(v4("255.255.255.255", IPPROTO_UDP, 9), NET_DROP_DST, "%s: limited broadcast", mode);
	is_int(v4("240.0.0.1", IPPROTO_UDP, 9), NET_DROP_DST, "%s: reserved 240/4", mode);
	is_int(v4("10.75.0.255", IPPROTO_UDP, 9), NET_DROP_DST, "%s: subnet broadcast", mode);
	is_int(v4("10.75.0.99", IPPROTO_TCP, 80), NET_DROP_DST, "%s: other virtual-net address",
	       mode);
	is_int(v4("10.75.0.15", IPPROTO_TCP, 80), NET_DROP_DST, "%s: the guest itself", mode);

	is_int(v6("2001:db8::1", IPPROTO_TCP, 443), NET_PASS, "%s: TCP to the v6 internet", mode);
	is_int(v6("fd53:706f:7265:f::3", IPPROTO_UDP, 53), NET_PASS, "%s: v6 DNS alias", mode);
	is_int(v6("fd53:706f:7265:f::3", IPPROTO_TCP, 80), NET_DROP_DST, "%s: v6 DNS alias port 80",
	       mode);
	is_int(v6("fd53:706f:7265:f::2", IPPROTO_ICMPV6, 0), NET_PASS, "%s: ping6 the gateway",
	       mode);
	is_int(v6("2001:db8::1", IPPROTO_ICMPV6, 0), NET_DROP_DST,
	       "%s: external ping6 (unsupported by libslirp 4.7)", mode);
	is_int(v6("fe80::1", IPPROTO_TCP, 22), NET_DROP_DST, "%s: link-local", mode);
	is_int(v6("febf::1", IPPROTO_TCP, 22), NET_DROP_DST, "%s: fe80::/10 upper end", mode);
	is_int(v6("ff02::1", IPPROTO_UDP, 9), NET_DROP_DST, "%s: v6 multicast", mode);
	is_int(v6("ff05::1:3", IPPROTO_UDP, 547), NET_DROP_DST, "%s: site multicast", mode);
	is_int(v6("::ffff:127.0.0.1", IPPROTO_TCP, 22), NET_DROP_DST, "%s: v4-mapped loopback",
	       mode);
	is_int(v6("::ffff:192.0.2.7", IPPROTO_TCP, 22), NET_DROP_DST, "%s: any v4-mapped", mode);
	is_int(v6("::", IPPROTO_TCP, 22), NET_DROP_DST, "%s: unspecified", mode);
	is_int(v6("fd53:706f:7265:f::99", IPPROTO_TCP, 22), NET_DROP_DST,
	       "%s: other address in the guest's /64", mode);
	/* NDP on the link. */
	is_int(icmp6("ff02::2", 133), NET_PASS, "%s: router solicitation", mode);
	is_int(icmp6("ff02::1:ff00:2", 135), NET_PASS, "%s: neighbour solicitation", mode);
	is_int(icmp6("fe80::2", 135), NET_PASS, "%s: unicast NS to the router", mode);
	is_int(icmp6("2001:db8::1", 135), NET_DROP_DST, "%s: NS off-link", mode);
	is_int(icmp6("ff02::16", 143), NET_DROP_DST, "%s: MLD report", mode);
}

int main(void)
{
	struct net_attach a;
	struct spore_err err = {0};
	struct in_addr dom0;
	struct in6_addr dom0_6;
	struct net_frame f;
	size_t n;

	is_int(net_attach_parse("vif3.0:10.75.0.15/24:10.75.0.2", &a, &err), 0, "attach parses");
	is_int(net_fwd_parse("8080:80", &a.fwd[0], &err), 0, "forward 80/tcp");
	is_int(net_fwd_parse("5353:53/udp", &a.fwd[1], &err), 0, "forward 53/udp");
	a.n_fwd = 2;
	net_filter_init(&flt, &a);
	inet_pton(AF_INET, "192.168.1.10", &dom0);
	inet_pton(AF_INET6, "2001:db8:1::10", &dom0_6);
	is_int(net_filter_add_dom0(&flt, AF_INET, &dom0), 0, "dom0 v4 address added");
	is_int(net_filter_add_dom0(&flt, AF_INET, &dom0), 0, "duplicate ignored");
	is_int(flt.n_dom0_4, 1, "one dom0 v4 address");
	is_int(net_filter_add_dom0(&flt, AF_INET6, &dom0_6), 0, "dom0 v6 address added");
	is_int(net_filter_add_dom0(&flt, AF_PACKET, &dom0), -EAFNOSUPPORT, "bad family");

	common_rules("default");
	is_int(v4("127.0.0.1", IPPROTO_TCP, 22), NET_DROP_DST, "127.0.0.1");
	is_int(v4("127.1.2.3", IPPROTO_TCP, 22), NET_DROP_DST, "127/8");
	is_int(v4("192.168.1.10", IPPROTO_TCP, 22), NET_DROP_DST, "dom0's own address");
	is_int(v4("192.168.1.11", IPPROTO_TCP, 22), NET_PASS, "dom0's neighbour");
	is_int(v4("10.75.0.2", IPPROTO_TCP, 22), NET_DROP_DST, "TCP to the gateway (dom0 alias)");
	is_int(v4("10.75.0.2", IPPROTO_UDP, 53), NET_DROP_DST, "UDP to the gateway");
	is_int(v6("::1", IPPROTO_TCP, 22), NET_DROP_DST, "::1");
	is_int(v6("2001:db8:1::10", IPPROTO_TCP, 22), NET_DROP_DST, "dom0's own v6 address");
	is_int(v6("fd53:706f:7265:f::2", IPPROTO_TCP, 22), NET_DROP_DST, "TCP to the v6 gateway");

	/* Replies from published ports go to the gateway. */
	is_int(tcp_from(80, "10.75.0.2", 0x12), NET_PASS, "SYN-ACK from a published port");
	is_int(tcp_from(80, "10.75.0.2", 0x10), NET_PASS, "ACK from a published port");
	is_int(tcp_from(80, "10.75.0.2", 0x02), NET_DROP_DST, "SYN from a published port");
	is_int(tcp_from(81, "10.75.0.2", 0x10), NET_DROP_DST, "ACK from another port");
	is_int(tcp_from(53, "10.75.0.2", 0x10), NET_DROP_DST, "TCP from a UDP-published port");
	is_int(udp_from(53, "10.75.0.2"), NET_PASS, "UDP from a published UDP port");
	is_int(udp_from(80, "10.75.0.2"), NET_DROP_DST, "UDP from a TCP-published port");
	is_int(tcp_from(80, "10.75.0.3", 0x10), NET_DROP_DST, "published port to the DNS alias");
	is_int(tcp_from(80, "127.0.0.1", 0x10), NET_DROP_DST, "published port to loopback");
	is_int(tcp_from(80, "192.168.1.10", 0x12), NET_PASS,
	       "SYN-ACK from a published port to a client on dom0's own address");
	is_int(tcp_from(80, "192.168.1.10", 0x10), NET_PASS, "ACK from it too");
	is_int(tcp_from(80, "192.168.1.10", 0x02), NET_DROP_DST, "SYN from it to dom0's address");
	is_int(tcp_from(81, "192.168.1.10", 0x10), NET_DROP_DST, "ACK from another port to dom0");
	is_int(udp_from(53, "192.168.1.10"), NET_DROP_DST,
	       "UDP from a published UDP port to dom0's address (libslirp would open a socket)");

	/* DHCP. */
	n = pkt_ipv4(b, "0.0.0.0", "255.255.255.255", IPPROTO_UDP, 68, 67, 300);
	net_frame_parse(b, n, &f);
	is_int(net_filter_check(&flt, &f), NET_PASS, "DHCP discover");
	n = pkt_ipv4(b, "10.75.0.15", "10.75.0.2", IPPROTO_UDP, 68, 67, 300);
	net_frame_parse(b, n, &f);
	is_int(net_filter_check(&flt, &f), NET_PASS, "DHCP renewal to the server");
	a.no_dhcp = true;
	net_filter_init(&flt, &a);
	net_filter_add_dom0(&flt, AF_INET, &dom0);
	ok(!flt.dhcp, "no_dhcp turns the DHCP rule off");
	n = pkt_ipv4(b, "0.0.0.0", "255.255.255.255", IPPROTO_UDP, 68, 67, 300);
	net_frame_parse(b, n, &f);
	is_int(net_filter_check(&flt, &f), NET_DROP_SRC_IP,
	       "DHCP discover with DHCP off (0.0.0.0 is no source then)");
	a.no_dhcp = false;
	net_filter_init(&flt, &a);
	net_filter_add_dom0(&flt, AF_INET, &dom0);
	net_filter_add_dom0(&flt, AF_INET6, &dom0_6);

	/* Sources: the guest's own addresses only. */
	is_int(v4_from("10.75.0.16", "192.0.2.7"), NET_DROP_SRC_IP, "from another guest's IPv4");
	is_int(v4_from("192.168.1.10", "192.0.2.7"), NET_DROP_SRC_IP, "from dom0's IPv4");
	is_int(v4_from("10.75.0.2", "192.0.2.7"), NET_DROP_SRC_IP, "from the gateway's IPv4");
	is_int(v4_from("10.75.0.2", "10.75.0.2"), NET_DROP_SRC_IP, "from the gateway to itself");
	is_int(v4_from("0.0.0.0", "192.0.2.7"), NET_DROP_SRC_IP, "from 0.0.0.0, not DHCP");
	is_int(v4_from("10.75.0.15", "192.0.2.7"), NET_PASS, "from its own IPv4");
	is_int(v6_from("fd53:706f:7265:10::a4b:10", IPPROTO_TCP), NET_DROP_SRC_IP,
	       "from another guest's IPv6");
	is_int(v6_from("2001:db8:1::10", IPPROTO_TCP), NET_DROP_SRC_IP, "from dom0's IPv6");
	is_int(v6_from("fd53:706f:7265:f::2", IPPROTO_TCP), NET_DROP_SRC_IP,
	       "from the IPv6 gateway");
	is_int(v6_from("fd53:706f:7265:f::3", IPPROTO_UDP), NET_DROP_SRC_IP,
	       "from the IPv6 DNS alias");
	is_int(v6_from("::", IPPROTO_TCP), NET_DROP_SRC_IP, "from ::, not neighbour discovery");
	is_int(v6_from("fd53:706f:7265:f:5054:ff:fe12:3456", IPPROTO_TCP), NET_PASS,
	       "from an address of its own /64 (SLAAC)");
	n = pkt_ipv6(b, "::", "ff02::1:ff12:3456", IPPROTO_ICMPV6, 0, 0, 24);
	b[14 + 40] = 135;
	net_frame_parse(b, n, &f);
	is_int(net_filter_check(&flt, &f), NET_PASS, "duplicate address detection from ::");
	static const uint8_t other_mac[6] = {0x02, 0, 0, 0, 0, 0x16};
	n = pkt_arp(b, pkt_guest_mac, "10.75.0.15", "10.75.0.2");
	net_frame_parse(b, n, &f);
	is_int(net_filter_check(&flt, &f), NET_PASS, "ARP from its own address");
	n = pkt_arp(b, pkt_guest_mac, "0.0.0.0", "10.75.0.15");
	net_frame_parse(b, n, &f);
	is_int(net_filter_check(&flt, &f), NET_PASS, "ARP probe");
	n = pkt_arp(b, pkt_guest_mac, "10.75.0.16", "10.75.0.2");
	net_frame_parse(b, n, &f);
	is_int(net_filter_check(&flt, &f), NET_DROP_SRC_IP, "ARP claiming another guest's IPv4");
	n = pkt_arp(b, pkt_guest_mac, "10.75.0.2", "10.75.0.15");
	net_frame_parse(b, n, &f);
	is_int(net_filter_check(&flt, &f), NET_DROP_SRC_IP, "ARP claiming the gateway's IPv4");
	n = pkt_arp(b, other_mac, "10.75.0.15", "10.75.0.2");
	net_frame_parse(b, n, &f);
	is_int(net_filter_check(&flt, &f), NET_DROP_SRC_IP, "ARP claiming another MAC");

	/* Unknown frames do not pass. */
	memset(&f, 0, sizeof(f));
	f.ethertype = 0x88cc;
	is_int(net_filter_check(&flt, &f), NET_DROP_ETHERTYPE, "non-IP, non-ARP");
	f.ip_version = 5;
	is_int(net_filter_check(&flt, &f), NET_DROP_MALFORMED, "bogus IP version");

	flt.in6 = false;
	is_int(v6("2001:db8::1", IPPROTO_TCP, 443), NET_DROP_DST, "IPv6 off drops IPv6");
	flt.in6 = true;

	flt.allow_dom0 = true;
	common_rules("allow-dom0");
	is_int(v4("127.0.0.1", IPPROTO_TCP, 22), NET_PASS, "allow-dom0: 127.0.0.1");
	is_int(v4("192.168.1.10", IPPROTO_TCP, 22), NET_PASS, "allow-dom0: dom0's address");
	is_int(v4("10.75.0.2", IPPROTO_TCP, 22), NET_PASS, "allow-dom0: gateway is dom0");
	is_int(v6("::1", IPPROTO_TCP, 22), NET_PASS, "allow-dom0: ::1");
	is_int(v6("2001:db8:1::10", IPPROTO_TCP, 22), NET_PASS, "allow-dom0: dom0's v6 address");
	is_int(v6("fd53:706f:7265:f::2", IPPROTO_TCP, 22), NET_PASS, "allow-dom0: v6 gateway");

	/* A full table refuses more. */
	for (int i = 0; i < NET_FILTER_MAX_DOM0 + 1; i++) {
		struct in_addr x = {htonl(0x0a000000u + (uint32_t)i)};
		int r = net_filter_add_dom0(&flt, AF_INET, &x);
		if (i == NET_FILTER_MAX_DOM0)
			is_int(r, -ENOSPC, "dom0 table full");
	}
	return tap_done();
}

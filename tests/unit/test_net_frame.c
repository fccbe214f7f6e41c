/* Frame parser: well-formed frames, and every way a guest can lie about
 * lengths. */
#include "net_frame.h"

#include "net_pkt.h"
#include "tap.h"

static uint8_t b[70000];

int main(void)
{
	struct net_frame f;
	size_t n;

	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_TCP, 40000, 80, 10);
	is_int(net_frame_parse(b, n, &f), NET_PASS, "IPv4 TCP parses");
	is_int(f.ip_version, 4, "version 4");
	is_int(f.l4_proto, IPPROTO_TCP, "proto TCP");
	is_int(f.dport, 80, "dport");
	is_int(f.sport, 40000, "sport");
	is_int(f.l4_len, 30, "l4 length from the IP header");
	ok(f.dst4.s_addr == inet_addr("192.0.2.7"), "dst address");
	ok(!memcmp(f.src_mac, pkt_guest_mac, 6), "source MAC");

	/* Ethernet padding after the IP packet is fine and ignored. */
	is_int(net_frame_parse(b, n + 20, &f), NET_PASS, "trailing padding accepted");
	is_int(f.l3_len, n - 14, "l3 length ignores padding");

	for (size_t cut = 0; cut < n; cut++)
		if (net_frame_parse(b, cut, &f) == NET_PASS) {
			ok(0, "truncated IPv4 TCP frame at %zu refused", cut);
			goto trunc_done;
		}
	ok(1, "every truncation of an IPv4 TCP frame is refused");
trunc_done:
	is_int(net_frame_parse(NULL, 0, &f), NET_DROP_MALFORMED, "NULL frame");

	/* Bogus IPv4 lengths. */
	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_UDP, 5000, 53, 4);
	is_int(net_frame_parse(b, n, &f), NET_PASS, "IPv4 UDP parses");
	b[14 + 2] = 0xff; /* total length beyond the frame */
	is_int(net_frame_parse(b, n, &f), NET_DROP_MALFORMED, "IP total length > frame");
	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_UDP, 5000, 53, 4);
	pkt_put16(b + 14 + 2, 10); /* total length < header */
	is_int(net_frame_parse(b, n, &f), NET_DROP_MALFORMED, "IP total length < IHL");
	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_UDP, 5000, 53, 4);
	b[14] = 0x44; /* IHL 16 bytes */
	is_int(net_frame_parse(b, n, &f), NET_DROP_MALFORMED, "IHL < 5");
	b[14] = 0x4f; /* IHL 60 > total */
	is_int(net_frame_parse(b, n, &f), NET_DROP_MALFORMED, "IHL beyond total length");
	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_UDP, 5000, 53, 40);
	b[14] = 0x46;
	is_int(net_frame_parse(b, n, &f), NET_DROP_IP_OPTIONS, "IPv4 options refused");
	b[14] = 0x55;
	is_int(net_frame_parse(b, n, &f), NET_DROP_MALFORMED, "IP version 5 in an IPv4 frame");
	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_UDP, 5000, 53, 4);
	pkt_put16(b + 14 + 20 + 4, 200);
	is_int(net_frame_parse(b, n, &f), NET_DROP_MALFORMED, "UDP length > IP payload");
	pkt_put16(b + 14 + 20 + 4, 4);
	is_int(net_frame_parse(b, n, &f), NET_DROP_MALFORMED, "UDP length < header");
	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_TCP, 1, 2, 0);
	b[14 + 20 + 12] = 0xf0; /* data offset 60 > segment */
	is_int(net_frame_parse(b, n, &f), NET_DROP_MALFORMED, "TCP data offset beyond segment");
	b[14 + 20 + 12] = 0x40;
	is_int(net_frame_parse(b, n, &f), NET_DROP_MALFORMED, "TCP data offset < 20");

	/* Fragments. */
	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_UDP, 5000, 53, 4);
	pkt_put16(b + 14 + 6, 0x2000);
	is_int(net_frame_parse(b, n, &f), NET_DROP_FRAGMENT, "MF set is a fragment");
	pkt_put16(b + 14 + 6, 0x0001);
	is_int(net_frame_parse(b, n, &f), NET_DROP_FRAGMENT, "offset != 0 is a fragment");

	/* ICMP, other protocols. */
	n = pkt_ipv4(b, "10.75.0.15", "10.75.0.2", IPPROTO_ICMP, 0, 0, 8);
	is_int(net_frame_parse(b, n, &f), NET_PASS, "ICMP echo parses");
	is_int(f.icmp_type, 8, "ICMP type");
	b[14 + 9] = IPPROTO_GRE;
	is_int(net_frame_parse(b, n, &f), NET_DROP_PROTO, "GRE refused");

	/* IPv6. */
	n = pkt_ipv6(b, "fd53:706f:7265:f::a4b:f", "2001:db8::1", IPPROTO_TCP, 1000, 443, 3);
	is_int(net_frame_parse(b, n, &f), NET_PASS, "IPv6 TCP parses");
	is_int(f.ip_version, 6, "version 6");
	is_int(f.dport, 443, "v6 dport");
	is_int(f.l4_len, 23, "v6 payload length");
	for (size_t cut = 0; cut < n; cut++)
		if (net_frame_parse(b, cut, &f) == NET_PASS) {
			ok(0, "truncated IPv6 frame at %zu refused", cut);
			goto trunc6_done;
		}
	ok(1, "every truncation of an IPv6 TCP frame is refused");
trunc6_done:
	pkt_put16(b + 14 + 4, 0);
	is_int(net_frame_parse(b, n, &f), NET_DROP_MALFORMED, "payload length 0 (jumbo) refused");
	pkt_put16(b + 14 + 4, 0xffff);
	is_int(net_frame_parse(b, n, &f), NET_DROP_MALFORMED, "payload length beyond frame");
	n = pkt_ipv6(b, "fd53::1", "2001:db8::1", IPPROTO_UDP, 1, 2, 0);
	b[14 + 6] = IPPROTO_ROUTING;
	is_int(net_frame_parse(b, n, &f), NET_DROP_IP_OPTIONS, "routing header refused");
	b[14 + 6] = IPPROTO_HOPOPTS;
	is_int(net_frame_parse(b, n, &f), NET_DROP_IP_OPTIONS, "hop-by-hop refused");
	b[14 + 6] = IPPROTO_FRAGMENT;
	is_int(net_frame_parse(b, n, &f), NET_DROP_IP_OPTIONS, "fragment header refused");
	b[14 + 6] = 59; /* no next header */
	is_int(net_frame_parse(b, n, &f), NET_DROP_PROTO, "no-next-header refused");
	b[14] = 0x40;
	is_int(net_frame_parse(b, n, &f), NET_DROP_MALFORMED, "IPv4 version in an IPv6 frame");

	/* Big frames: GSO-sized IPv4 within its 16-bit length. */
	n = pkt_ipv4(b, "10.75.0.15", "192.0.2.7", IPPROTO_TCP, 1, 2, 65000);
	is_int(net_frame_parse(b, n, &f), NET_PASS, "64 KB IPv4 TCP frame parses");

	/* Ethertypes. */
	memset(b, 0, 60);
	n = pkt_arp(b, pkt_guest_mac, "10.75.0.15", "10.75.0.2");
	is_int(net_frame_parse(b, n, &f), NET_PASS, "ARP parses");
	ok(!memcmp(f.arp_sha, pkt_guest_mac, 6) && f.src4.s_addr == inet_addr("10.75.0.15") &&
		   f.dst4.s_addr == inet_addr("10.75.0.2"),
	   "... its sender's addresses and its target's");
	is_int(net_frame_parse(b, 41, &f), NET_DROP_MALFORMED, "short ARP refused");
	b[14 + 5] = 16;
	is_int(net_frame_parse(b, n, &f), NET_DROP_MALFORMED, "ARP for other than IPv4 refused");
	memset(b, 0, 60);
	pkt_eth(b, 0x0806);
	is_int(net_frame_parse(b, 42, &f), NET_DROP_MALFORMED, "ARP of no hardware type refused");
	pkt_eth(b, 0x8100);
	is_int(net_frame_parse(b, 60, &f), NET_DROP_ETHERTYPE, "VLAN tag refused");
	pkt_eth(b, 0x88cc);
	is_int(net_frame_parse(b, 60, &f), NET_DROP_ETHERTYPE, "LLDP refused");
	is_int(net_frame_parse(b, 13, &f), NET_DROP_MALFORMED, "runt frame");

	is_str(net_verdict_name(NET_DROP_DST), "destination", "verdict names");
	is_str(net_verdict_name((enum net_verdict)99), "unknown", "unknown verdict name");
	return tap_done();
}

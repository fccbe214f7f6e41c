/* Ethernet/IPv4/IPv6 header parsing of guest frames; see net_frame.h. */
#include "net_frame.h"

#include <string.h>

static const char *const verdict_names[NET_VERDICT_COUNT] = {
	[NET_PASS] = "pass",
	[NET_DROP_MALFORMED] = "malformed",
	[NET_DROP_ETHERTYPE] = "ethertype",
	[NET_DROP_FRAGMENT] = "fragment",
	[NET_DROP_IP_OPTIONS] = "ip-options",
	[NET_DROP_PROTO] = "protocol",
	[NET_DROP_DST] = "destination",
	[NET_DROP_SRC_MAC] = "source-mac",
	[NET_DROP_SRC_IP] = "source-ip",
};

const char *net_verdict_name(enum net_verdict v)
{
	if ((unsigned)v >= NET_VERDICT_COUNT)
		return "unknown";
	return verdict_names[v];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Checks the L4 header fits and records ports / ICMP type. */
static enum net_verdict parse_l4(const uint8_t *buf, struct net_frame *f)
{
	const uint8_t *l4 = buf + f->l4_off;

	switch (f->l4_proto) {
	case IPPROTO_TCP:
		if (f->l4_len < 20 || (size_t)(l4[12] >> 4) * 4 < 20 ||
		    (size_t)(l4[12] >> 4) * 4 > f->l4_len)
			return NET_DROP_MALFORMED;
		f->tcp_flags = l4[13];
		break;
	case IPPROTO_UDP:
		/* The UDP length must match the IP payload exactly: the checksum
		 * fixer and libslirp must agree on what the datagram is. */
		if (f->l4_len < 8 || get16(l4 + 4) != f->l4_len)
			return NET_DROP_MALFORMED;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (f->l4_len < 4)
			return NET_DROP_MALFORMED;
		f->icmp_type = l4[0];
		return NET_PASS;
	default:
		return NET_DROP_PROTO;
	}
	f->sport = get16(l4);
	f->dport = get16(l4 + 2);
	return NET_PASS;
}

static enum net_verdict parse_ipv4(const uint8_t *buf, size_t len, struct net_frame *f)
{
	const uint8_t *ip = buf + f->l3_off;
	size_t avail = len - f->l3_off;

	if (avail < 20 || ip[0] >> 4 != 4)
		return NET_DROP_MALFORMED;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	size_t tot = get16(ip + 2);
	if (ihl < 20 || tot < ihl || tot > avail)
		return NET_DROP_MALFORMED;
	if (ihl != 20)
		return NET_DROP_IP_OPTIONS;
	if (get16(ip + 6) & 0x3fff) /* MF or a fragment offset */
		return NET_DROP_FRAGMENT;
	f->ip_version = 4;
	f->l3_len = tot;
	f->l4_proto = ip[9];
	f->l4_off = f->l3_off + ihl;
	f->l4_len = tot - ihl;
	memcpy(&f->src4, ip + 12, 4);
	memcpy(&f->dst4, ip + 16, 4);
	return parse_l4(buf, f);
}

static enum net_verdict parse_ipv6(const uint8_t *buf, size_t len, struct net_frame *f)
{
	const uint8_t *ip = buf + f->l3_off;
	size_t avail = len - f->l3_off;

	if (avail < 40 || ip[0] >> 4 != 6)
		return NET_DROP_MALFORMED;
	size_t plen = get16(ip + 4);
	/* plen 0 would be a jumbogram (hop-by-hop option): refused. */
	if (plen == 0 || plen > avail - 40)
		return NET_DROP_MALFORMED;
	f->ip_version = 6;
	f->l3_len = 40 + plen;
	f->l4_proto = ip[6];
	f->l4_off = f->l3_off + 40;
	f->l4_len = plen;
	memcpy(&f->src6, ip + 8, 16);
	memcpy(&f->dst6, ip + 24, 16);
	switch (f->l4_proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_ICMPV6:
		return parse_l4(buf, f);
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_ESP:
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
		return NET_DROP_IP_OPTIONS;
	default:
		return NET_DROP_PROTO;
	}
}

enum net_verdict net_frame_parse(const uint8_t *buf, size_t len, struct net_frame *f)
{
	memset(f, 0, sizeof(*f));
	if (!buf || len < NET_ETH_HLEN)
		return NET_DROP_MALFORMED;
	memcpy(f->dst_mac, buf, 6);
	memcpy(f->src_mac, buf + 6, 6);
	f->ethertype = get16(buf + 12);
	f->l3_off = NET_ETH_HLEN;

	switch (f->ethertype) {
	case NET_ETH_P_ARP:
		if (len - NET_ETH_HLEN < 28)
			return NET_DROP_MALFORMED;
		f->l3_len = 28;
		/* Only Ethernet/IPv4 ARP means anything to libslirp. */
		if (get16(buf + 14) != 1 || get16(buf + 16) != NET_ETH_P_IPV4 || buf[18] != 6 ||
		    buf[19] != 4)
			return NET_DROP_MALFORMED;
		memcpy(f->arp_sha, buf + 22, 6);
		memcpy(&f->src4, buf + 28, 4);
		memcpy(&f->dst4, buf + 38, 4);
		return NET_PASS;
	case NET_ETH_P_IPV4:
		return parse_ipv4(buf, len, f);
	case NET_ETH_P_IPV6:
		return parse_ipv6(buf, len, f);
	default:
		return NET_DROP_ETHERTYPE;
	}
}

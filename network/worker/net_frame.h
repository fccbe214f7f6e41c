/* Parsing of Ethernet frames received from a guest (hostile input).
 *
 * net_frame_parse() only reads inside [buf, buf+len) and trusts no length
 * field it has not checked against len. It accepts ARP, IPv4 without options
 * or fragments, and IPv6 whose next header is directly TCP, UDP or ICMPv6:
 * extension headers are refused rather than walked, since libslirp does not
 * process them either and a routing header could change the destination. */
#ifndef SPORE_NET_FRAME_H
#define SPORE_NET_FRAME_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_ETH_HLEN 14
#define NET_ETH_P_IPV4 0x0800
#define NET_ETH_P_ARP 0x0806
#define NET_ETH_P_IPV6 0x86dd

/* Why a frame was refused; also the index of the drop counters. */
enum net_verdict {
	NET_PASS = 0,
	NET_DROP_MALFORMED,  /* truncated or inconsistent lengths */
	NET_DROP_ETHERTYPE,  /* not ARP, IPv4 or IPv6 (VLAN tags included) */
	NET_DROP_FRAGMENT,   /* IPv4 fragment: reassembly is libslirp's CVE hotspot */
	NET_DROP_IP_OPTIONS, /* IPv4 options or IPv6 extension headers */
	NET_DROP_PROTO,      /* L4 protocol other than TCP, UDP, ICMP(v6) */
	NET_DROP_DST,        /* destination refused by the filter */
	NET_DROP_SRC_MAC,    /* not from the guest's MAC */
	NET_DROP_SRC_IP,     /* not from the guest's address (spoofed) */
	NET_VERDICT_COUNT,
};

const char *net_verdict_name(enum net_verdict v);

struct net_frame {
	uint8_t dst_mac[6], src_mac[6];
	uint16_t ethertype;
	int ip_version;       /* 4, 6, or 0 for ARP */
	size_t l3_off;        /* start of the IP header */
	size_t l3_len;        /* IP header + payload, from the IP length field */
	uint8_t l4_proto;     /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP(V6) */
	size_t l4_off, l4_len;
	struct in_addr src4, dst4; /* ARP: the sender's and target's */
	uint8_t arp_sha[6];        /* ARP: the sender's hardware address */
	struct in6_addr src6, dst6;
	uint16_t sport, dport; /* host order; TCP and UDP only */
	uint8_t tcp_flags;
	uint8_t icmp_type;     /* ICMP and ICMPv6 only */
};

/* Fills f from the frame; returns NET_PASS or the reason to drop it. */
enum net_verdict net_frame_parse(const uint8_t *buf, size_t len, struct net_frame *f);

#endif

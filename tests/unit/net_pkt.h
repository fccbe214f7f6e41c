/* Builders of Ethernet frames for the sporenet unit tests. Each returns the
 * frame length; the IPv4 header checksum is valid, the L4 checksum is left
 * as the caller's "partial" value. */
#ifndef SPORE_TEST_NET_PKT_H
#define SPORE_TEST_NET_PKT_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

static const uint8_t pkt_guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t pkt_gw_mac[6] = {0x52, 0x55, 0x0a, 0x4b, 0x00, 0x01};

static void pkt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t pkt_eth(uint8_t *b, uint16_t type)
{
	memcpy(b, pkt_gw_mac, 6);
	memcpy(b + 6, pkt_guest_mac, 6);
	pkt_put16(b + 12, type);
	return 14;
}

/* L4 header + payload at b: TCP (20 bytes), UDP (8) or ICMP echo (8). */
static size_t pkt_l4(uint8_t *b, int proto, uint16_t sport, uint16_t dport, size_t payload)
{
	size_t h;
	if (proto == IPPROTO_TCP) {
		h = 20;
		memset(b, 0, h);
		pkt_put16(b, sport);
		pkt_put16(b + 2, dport);
		b[12] = 5 << 4;
		b[13] = 0x02; /* SYN */
		pkt_put16(b + 14, 65535);
	} else if (proto == IPPROTO_UDP) {
		h = 8;
		memset(b, 0, h);
		pkt_put16(b, sport);
		pkt_put16(b + 2, dport);
		pkt_put16(b + 4, (uint16_t)(h + payload));
	} else {
		h = 8;
		memset(b, 0, h);
		b[0] = proto == IPPROTO_ICMPV6 ? 128 : 8; /* echo request */
	}
	for (size_t i = 0; i < payload; i++)
		b[h + i] = (uint8_t)(i * 7 + 1);
	return h + payload;
}

static size_t pkt_ipv4(uint8_t *b, const char *src, const char *dst, int proto, uint16_t sport,
		       uint16_t dport, size_t payload)
{
	size_t off = pkt_eth(b, 0x0800);
	uint8_t *ip = b + off;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	pkt_put16(ip + 6, 0x4000); /* DF */
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	size_t l4 = pkt_l4(ip + 20, proto, sport, dport, payload);
	pkt_put16(ip + 2, (uint16_t)(20 + l4));
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	pkt_put16(ip + 10, (uint16_t)~sum);
	return off + 20 + l4;
}

static size_t pkt_ipv6(uint8_t *b, const char *src, const char *dst, int proto, uint16_t sport,
		       uint16_t dport, size_t payload)
{
	size_t off = pkt_eth(b, 0x86dd);
	uint8_t *ip = b + off;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[6] = (uint8_t)proto;
	ip[7] = 64;
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	size_t l4 = pkt_l4(ip + 40, proto, sport, dport, payload);
	pkt_put16(ip + 4, (uint16_t)l4);
	return off + 40 + l4;
}

/* An Ethernet/IPv4 ARP request from sha/spa for tpa (42 bytes). */
static inline size_t pkt_arp(uint8_t *b, const uint8_t sha[6], const char *spa, const char *tpa)
{
	size_t off = pkt_eth(b, 0x0806);
	uint8_t *a = b + off;
	memset(a, 0, 28);
	pkt_put16(a, 1);
	pkt_put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	pkt_put16(a + 6, 1);
	memcpy(a + 8, sha, 6);
	inet_pton(AF_INET, spa, a + 14);
	inet_pton(AF_INET, tpa, a + 24);
	return off + 28;
}

#endif

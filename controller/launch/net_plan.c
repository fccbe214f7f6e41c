/* Network address planning; see net_plan.h. */
#include "net_plan.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

bool spore_net_host_ok(uint16_t host)
{
	return host > 3 && host != 0xffff;
}

void spore_net_plan_addr(const uint8_t uuid[16], unsigned attempt, struct spore_net_plan *p)
{
	static const uint8_t ula[6] = {0xfd, 0x53, 0x70, 0x6f, 0x72, 0x65}; /* "\xfdSpore" */
	uint16_t h = (uint16_t)(uuid[0] << 8 | uuid[1]);

	/* The attempt'th usable host at or after the UUID's, cyclically. */
	for (unsigned n = 0;; h++) {
		if (spore_net_host_ok(h) && n++ == attempt % 65532)
			break;
	}
	memcpy(p->ip4, (uint8_t[4]){10, 75, (uint8_t)(h >> 8), (uint8_t)h}, 4);
	memcpy(p->gw4, (uint8_t[4]){10, 75, 0, 1}, 4);
	memcpy(p->dns4, (uint8_t[4]){10, 75, 0, 3}, 4);
	memset(p->ip6, 0, 16);
	memcpy(p->ip6, ula, 6);
	p->ip6[6] = (uint8_t)(h >> 8);
	p->ip6[7] = (uint8_t)h;
	memcpy(p->gw6, p->ip6, 16);
	memcpy(p->dns6, p->ip6, 16);
	p->ip6[14] = 0x01; /* ::100 */
	p->gw6[15] = 0x01;
	p->dns6[15] = 0x03;
	p->mtu = SPORE_NET_MTU;
}

void spore_net_plan_mac(const uint8_t uuid[16], unsigned attempt, uint8_t mac[6])
{
	/* Bytes 10..14 of a version 4 UUID are random (6 and 8 carry the
	 * version and variant); a redraw adds a large odd step (mod 2^40). */
	uint64_t v = 0;
	for (int i = 10; i < 15; i++)
		v = v << 8 | uuid[i];
	v = (v + (uint64_t)attempt * 0x9e3779b97fULL) & 0xffffffffffULL;
	mac[0] = 0x02; /* locally administered, unicast */
	for (int i = 5; i >= 1; i--, v >>= 8)
		mac[i] = (uint8_t)v;
}

void spore_net_plan_record(const struct spore_net_plan *p, struct spore_guest *g)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET, p->ip4, a, sizeof(a));
	snprintf(g->ipv4, sizeof(g->ipv4), "%s/16", a);
	inet_ntop(AF_INET, p->gw4, g->gateway4, sizeof(g->gateway4));
	inet_ntop(AF_INET, p->dns4, g->dns4, sizeof(g->dns4));
	inet_ntop(AF_INET6, p->ip6, a, sizeof(a));
	snprintf(g->ipv6, sizeof(g->ipv6), "%s/64", a);
	inet_ntop(AF_INET6, p->gw6, g->gateway6, sizeof(g->gateway6));
	inet_ntop(AF_INET6, p->dns6, g->dns6, sizeof(g->dns6));
	snprintf(g->mac, sizeof(g->mac), "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0], p->mac[1],
		 p->mac[2], p->mac[3], p->mac[4], p->mac[5]);
	g->mtu = p->mtu;
}

void spore_net_plan_bundle(const struct spore_net_plan *p, struct spore_bundle *b)
{
	b->has_ipv4 = b->has_ipv6 = true;
	memcpy(b->ipv4.addr, p->ip4, 4);
	b->ipv4.prefix = 16;
	memcpy(b->ipv4.gateway, p->gw4, 4);
	memcpy(b->ipv6.addr, p->ip6, 16);
	b->ipv6.prefix = 64;
	memcpy(b->ipv6.gateway, p->gw6, 16);
	b->mtu = p->mtu;
	b->ndns = 2;
	b->dns[0].len = 4;
	memcpy(b->dns[0].addr, p->dns4, 4);
	b->dns[1].len = 16;
	memcpy(b->dns[1].addr, p->dns6, 16);
}

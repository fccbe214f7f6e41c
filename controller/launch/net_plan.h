/* A guest's planned network, shared with sporenet through the guest record
 * (README "Networking"): IPv4 10.75.X.Y/16 with the gateway at 10.75.0.1 and
 * DNS at 10.75.0.3; IPv6 fd53:706f:7265:<X.Y as 16 bits hex>::/64 with the
 * guest at ::100, the gateway at ::1 and DNS at ::3; a locally administered
 * MAC 02:xx:xx:xx:xx:xx; MTU 1500. Pure: candidates are drawn from the
 * guest's UUID; guest_record_new.h claims them. */
#ifndef SPORE_NET_PLAN_H
#define SPORE_NET_PLAN_H

#include <spore/bundle.h>
#include <spore/guest_record.h>

#include <stdbool.h>
#include <stdint.h>

#define SPORE_NET_MTU 1500

struct spore_net_plan {
	uint8_t ip4[4], gw4[4], dns4[4];
	uint8_t ip6[16], gw6[16], dns6[16];
	uint8_t mac[6];
	uint32_t mtu;
};

/* The low 16 bits of an address in 10.75.0.0/16 that a guest may have: not
 * .0.0 (network), .0.1 (gateway), .0.2, .0.3 (DNS) nor .255.255. */
bool spore_net_host_ok(uint16_t host);
/* Pure: the attempt'th free-for-all candidate address (distinct attempts,
 * distinct addresses, starting from the UUID's first bytes) with the
 * gateways and DNS that go with it. */
void spore_net_plan_addr(const uint8_t uuid[16], unsigned attempt, struct spore_net_plan *p);
/* Pure: the attempt'th candidate MAC (02: then the UUID's random bytes). */
void spore_net_plan_mac(const uint8_t uuid[16], unsigned attempt, uint8_t mac[6]);
/* Pure: the plan as record keys (ipv4, gateway4, dns4, ipv6, gateway6,
 * dns6, mac, mtu) and as the launch bundle's addresses, DNS and MTU. */
void spore_net_plan_record(const struct spore_net_plan *p, struct spore_guest *g);
void spore_net_plan_bundle(const struct spore_net_plan *p, struct spore_bundle *b);

#endif

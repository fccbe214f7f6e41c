#include "net_plan.h"

#include <string.h>

#include "tap.h"

int main(void)
{
	uint8_t uuid[16] = {0x01, 0x02, 0x33, 0x44, 0x55, 0x66, 0x47, 0x88,
			    0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x10};
	struct spore_net_plan p;
	struct spore_guest g;
	static struct spore_bundle b;

	ok(!spore_net_host_ok(0) && !spore_net_host_ok(1) && !spore_net_host_ok(2) &&
		   !spore_net_host_ok(3) && !spore_net_host_ok(0xffff),
	   "network, gateway, .0.2, DNS and broadcast are not guests'");
	ok(spore_net_host_ok(4) && spore_net_host_ok(0x0100) && spore_net_host_ok(0xfffe),
	   "other hosts are");

	memset(&g, 0, sizeof(g));
	spore_net_plan_addr(uuid, 0, &p);
	spore_net_plan_mac(uuid, 0, p.mac);
	spore_net_plan_record(&p, &g);
	is_str(g.ipv4, "10.75.1.2/16", "IPv4 from the UUID's first bytes");
	is_str(g.gateway4, "10.75.0.1", "IPv4 gateway");
	is_str(g.dns4, "10.75.0.3", "IPv4 DNS");
	is_str(g.ipv6, "fd53:706f:7265:102::100/64", "IPv6: prefix from the IPv4's low 16 bits, ::100");
	is_str(g.gateway6, "fd53:706f:7265:102::1", "IPv6 gateway");
	is_str(g.dns6, "fd53:706f:7265:102::3", "IPv6 DNS");
	is_str(g.mac, "02:bb:cc:dd:ee:ff", "MAC: 02 and the UUID's random bytes");
	is_int(g.mtu, 1500, "MTU");

	spore_net_plan_addr(uuid, 1, &p);
	spore_net_plan_record(&p, &g);
	is_str(g.ipv4, "10.75.1.3/16", "the next attempt, the next address");
	spore_net_plan_mac(uuid, 1, p.mac);
	spore_net_plan_record(&p, &g);
	ok(strcmp(g.mac, "02:bb:cc:dd:ee:ff") && !strncmp(g.mac, "02:", 3),
	   "a redrawn MAC differs, still locally administered");

	/* Reserved hosts are skipped, and the range wraps. */
	uint8_t low[16] = {0};
	spore_net_plan_addr(low, 0, &p);
	spore_net_plan_record(&p, &g);
	is_str(g.ipv4, "10.75.0.4/16", "host 0.0 moves past the reserved .0.0-.0.3");
	uint8_t high[16] = {0xff, 0xfe};
	spore_net_plan_addr(high, 1, &p);
	spore_net_plan_record(&p, &g);
	is_str(g.ipv4, "10.75.0.4/16", "past .255.254: wraps, skipping broadcast and reserved");
	is_str(g.ipv6, "fd53:706f:7265:4::100/64", "its IPv6 prefix");

	int distinct = 1;
	char seen[64][64];
	for (unsigned i = 0; i < 64; i++) {
		spore_net_plan_addr(high, i, &p);
		spore_net_plan_record(&p, &g);
		snprintf(seen[i], sizeof(seen[i]), "%s", g.ipv4);
		for (unsigned j = 0; j < i; j++)
			distinct &= strcmp(seen[i], seen[j]) != 0;
		distinct &= spore_net_host_ok((uint16_t)(p.ip4[2] << 8 | p.ip4[3]));
	}
	ok(distinct, "64 attempts give 64 distinct usable addresses");

	spore_bundle_init(&b);
	spore_net_plan_addr(uuid, 0, &p);
	spore_net_plan_bundle(&p, &b);
	ok(b.has_ipv4 && b.ipv4.prefix == 16 && b.ipv4.addr[2] == 1 && b.ipv4.addr[3] == 2 &&
		   b.ipv4.gateway[3] == 1,
	   "bundle IPv4 with gateway");
	ok(b.has_ipv6 && b.ipv6.prefix == 64 && b.ipv6.addr[14] == 1 && b.ipv6.gateway[15] == 1,
	   "bundle IPv6 with gateway");
	ok(b.ndns == 2 && b.dns[0].len == 4 && b.dns[0].addr[3] == 3 && b.dns[1].len == 16 &&
		   b.dns[1].addr[15] == 3,
	   "bundle DNS: 10.75.0.3 and ::3");
	is_int(b.mtu, 1500, "bundle MTU");
	return tap_done();
}

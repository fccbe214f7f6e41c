/* Guest record -> sporenet attach: the contract's record parses into the
 * addresses libslirp gets; every bad value is refused, naming its key. */
#include "net_record.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "tap.h"

#define UUID "0b5e1a2c-1111-4222-8333-444455556666"

static const char *addr6(const struct in6_addr *a)
{
	static char s[INET6_ADDRSTRLEN];
	return inet_ntop(AF_INET6, a, s, sizeof(s));
}

static const char *addr4(struct in_addr a)
{
	static char s[INET_ADDRSTRLEN];
	return inet_ntop(AF_INET, &a, s, sizeof(s));
}

/* A record as the controller writes it (README "Networking"). */
static struct net_record good(void)
{
	return (struct net_record){
		.name = "web", .domid = "7", .vif = "vif7.0", .ipv4 = "10.75.12.34/16",
		.gateway4 = "10.75.0.1", .dns4 = "10.75.0.3",
		.ipv6 = "fd53:706f:7265:c22::100/64", .gateway6 = "fd53:706f:7265:c22::1",
		.dns6 = "fd53:706f:7265:c22::3", .mac = "02:0b:5e:1a:2c:11", .mtu = "1500",
		.ports = "0.0.0.0:8080:80/tcp 127.0.0.1:5353:53/udp", .allow_dom0 = "0",
		.backend_mac = "02:0B:5E:1A:2C:11",
	};
}

/* One field of the good record replaced: refused, and the message names
 * the key named (the key changed, or the one it now clashes with). */
static void refused_as(const char *key, const char *val, const char *why, const char *named)
{
	struct net_record r = good();
	const char **f = (const char **)&r;
	struct net_attach a;
	struct spore_err err = {0};
	size_t i;
	for (i = 0; i < NET_RECORD_NKEYS; i++)
		if (!strcmp(net_record_keys[i], key))
			break;
	if (i == NET_RECORD_NKEYS) {
		ok(0, "no key %s", key);
		return;
	}
	f[i] = val;
	int rc = net_attach_from_record(UUID, &r, &a, &err);
	char want[64];
	snprintf(want, sizeof(want), "bad %s ", named);
	ok(rc == -EINVAL && strstr(err.msg, want) && strstr(err.msg, UUID), "%s: %s", why,
	   err.msg);
}

static void refused(const char *key, const char *val, const char *why)
{
	refused_as(key, val, why, key);
}

int main(void)
{
	struct spore_err err = {0};
	struct net_attach a;
	struct net_record r = good();

	is_int(net_attach_from_record(UUID, &r, &a, &err), 0, "the contract's record parses");
	is_str(a.ifname, "vif7.0", "interface");
	is_str(a.uuid, UUID, "uuid kept");
	is_str(a.name, "web", "name kept");
	is_str(addr4(a.guest4), "10.75.12.34", "guest IPv4");
	is_int(a.prefix4, 16, "/16");
	is_str(addr4(a.net4), "10.75.0.0", "network");
	is_str(addr4(a.mask4), "255.255.0.0", "mask");
	is_str(addr4(a.gateway4), "10.75.0.1", "gateway");
	is_str(addr4(a.dns4), "10.75.0.3", "DNS");
	is_str(addr6(&a.guest6), "fd53:706f:7265:c22::100", "guest IPv6");
	is_str(addr6(&a.prefix6), "fd53:706f:7265:c22::", "the /64");
	is_str(addr6(&a.gateway6), "fd53:706f:7265:c22::1", "gateway6");
	is_str(addr6(&a.dns6), "fd53:706f:7265:c22::3", "dns6");
	ok(a.has_mac && a.mac[0] == 2 && a.mac[5] == 0x11, "MAC");
	is_int(a.mtu, 1500, "MTU");
	ok(!a.allow_dom0, "allow-dom0 0");
	ok(!a.no_dhcp, "DHCP offers the planned address");
	is_int(a.n_fwd, 2, "two ports");
	ok(!a.fwd[0].udp && a.fwd[0].host_port == 8080 && a.fwd[0].guest_port == 80, "tcp port");
	ok(a.fwd[1].udp && a.fwd[1].host_port == 5353 && !strcmp(addr4(a.fwd[1].host_addr),
		"127.0.0.1"), "udp port on 127.0.0.1");

	r.allow_dom0 = "1";
	r.ports = "";
	r.mtu = NULL;
	r.name = NULL;
	is_int(net_attach_from_record(UUID, &r, &a, &err), 0, "optional keys");
	ok(a.allow_dom0, "allow-dom0 1");
	is_int(a.n_fwd, 0, "empty ports: none");
	is_int(a.mtu, 1500, "no mtu: 1500");
	is_str(a.name, "", "no name");
	r = good();
	r.ports = NULL;
	r.allow_dom0 = NULL;
	r.mtu = "9000";
	is_int(net_attach_from_record(UUID, &r, &a, &err), 0, "no ports, no allow-dom0 key");
	ok(!a.allow_dom0 && a.n_fwd == 0 && a.mtu == 9000, "defaults: no dom0, no ports; mtu 9000");
	r.ports = "  1:2  3:4/udp ";
	is_int(net_attach_from_record(UUID, &r, &a, &err), 0, "extra spaces in ports");
	is_int(a.n_fwd, 2, "two ports");
	r = good();
	r.vif = "vif7.1";
	is_int(net_attach_from_record(UUID, &r, &a, &err), 0, "a second vif of the domain");

	r = good();
	r.domid = "-1";
	is_int(net_attach_from_record(UUID, &r, &a, &err), 0, "domid not recorded yet (-1)");
	r.domid = NULL;
	is_int(net_attach_from_record(UUID, &r, &a, &err), 0, "no domid key yet");
	r = good();
	r.backend_mac = NULL;
	ok(net_attach_from_record(UUID, &r, &a, &err) == -EINVAL && strstr(err.msg, "bad vif "),
	   "no backend mac: refused (%s)", err.msg);
	r.backend_mac = "02:0b:5e:1a:2c:12";
	ok(net_attach_from_record(UUID, &r, &a, &err) == -EINVAL && strstr(err.msg, "backend"),
	   "another backend mac: refused (%s)", err.msg);
	r = good();
	r.mac = "02:0b:5e:1a:2c:12";
	ok(net_attach_from_record(UUID, &r, &a, &err) == -EINVAL, "record mac not the backend's");

	refused("vif", NULL, "no vif");
	refused("vif", "", "empty vif");
	refused("vif", "eth0", "not a vif");
	refused("vif", "vif8.0", "another domain's vif");
	refused("vif", "vif07.0", "leading zero");
	refused("vif", "vif7", "no device");
	refused("vif", "vif7.", "empty device");
	refused("vif", "vif.0", "empty domid");
	refused("vif", "vif7.0/x", "slash");
	refused("vif", "vif7.0.0", "two dots");
	refused("vif", "vif7.0123456789", "too long");
	refused("domid", "0", "dom0");
	refused("domid", "-7", "negative");
	refused("domid", "7 ", "trailing space");
	refused("domid", "99999", "beyond Xen's domids");
	refused("ipv4", NULL, "no ipv4");
	refused("ipv4", "10.75.12.34", "no prefix");
	refused("ipv4", "10.75.12.34/", "empty prefix");
	refused("ipv4", "10.75.12.34/31", "prefix too long");
	refused("ipv4", "10.75.12.34/7", "prefix too short");
	refused("ipv4", "10.75.12.34/+16", "signed prefix");
	refused("ipv4", "10.75.0.0/16", "network address");
	refused("ipv4", "10.75.255.255/16", "broadcast");
	refused("ipv4", "10.75.12/16", "short address");
	refused_as("ipv4", "10.75.0.1/16", "the gateway's address", "gateway4");
	refused_as("ipv4", "10.75.0.3/16", "the DNS address", "dns4");
	refused("gateway4", NULL, "no gateway");
	refused("gateway4", "10.76.0.1", "gateway outside the network");
	refused("gateway4", "10.75.12.34", "gateway is the guest");
	refused_as("gateway4", "10.75.0.3", "gateway is DNS", "dns4");
	refused("gateway4", "10.75.0.0", "gateway is the network");
	refused("gateway4", "gw", "gateway not an address");
	refused("dns4", "8.8.8.8", "DNS outside the network");
	refused("dns4", "10.75.255.255", "DNS broadcast");
	refused("ipv6", NULL, "no ipv6");
	refused("ipv6", "fd53:706f:7265:c22::100/48", "not a /64");
	refused("ipv6", "fd53:706f:7265:c22::100", "no prefix");
	refused("ipv6", "fd53:706f:7265:c22::/64", "the prefix itself");
	refused("ipv6", "fe80::100/64", "link-local");
	refused("ipv6", "ff02::100/64", "multicast");
	refused("ipv6", "::ffff:10.0.0.1/64", "v4-mapped");
	refused_as("ipv6", "fd53:706f:7265:c22::1/64", "the gateway's address", "gateway6");
	refused("gateway6", "fd53:706f:7265:c23::1", "gateway6 outside the /64");
	refused_as("gateway6", "fd53:706f:7265:c22::3", "gateway6 is DNS", "dns6");
	refused("gateway6", "10.75.0.1", "gateway6 not IPv6");
	refused("dns6", NULL, "no dns6");
	refused("dns6", "fd53:706f:7265:c22::", "dns6 is the prefix");
	refused("mac", NULL, "no MAC");
	refused("mac", "02:00:00:00:00", "short MAC");
	refused("mtu", "", "empty MTU");
	refused("mtu", "1279", "MTU below IPv6's minimum");
	refused("mtu", "65521", "MTU above libslirp's");
	refused("mtu", "1500x", "MTU with junk");
	refused("allow-dom0", "yes", "allow-dom0 not 0/1");
	refused("allow-dom0", "", "empty allow-dom0");
	refused("ports", "8080", "a port without guest port");
	refused("ports", "8080:80 8080:81", "a host port twice");
	refused("ports", "1:1 2:2 3:3 4:4 5:5 6:6 7:7 8:8 9:9 10:10 11:11 12:12 13:13 14:14 15:15 "
			  "16:16 17:17 18:18 19:19 20:20 21:21 22:22 23:23 24:24 25:25 26:26 27:27 "
			  "28:28 29:29 30:30 31:31 32:32 33:33",
		"more than NET_MAX_FWD ports");
	refused("ports", "80:80/sctp", "a bad protocol");

	r = good();
	ok(net_attach_from_record("x" UUID, &r, &a, &err) == -EINVAL, "a too long uuid");

	/* net-backend: kernel by default, userspace carries the vif's ids. */
	r = good();
	is_int(net_attach_from_record(UUID, &r, &a, &err), 0, "no net-backend: parsed");
	ok(!a.userspace, "no net-backend: the kernel's");
	r.net_backend = "kernel";
	ok(net_attach_from_record(UUID, &r, &a, &err) == 0 && !a.userspace, "net-backend kernel");
	r.net_backend = "userspace";
	ok(net_attach_from_record(UUID, &r, &a, &err) == 0 && a.userspace && a.domid == 7 &&
		   a.devid == 0 && !strcmp(a.ifname, "vif7.0"),
	   "net-backend userspace: domain 7, device 0");
	refused("net-backend", "xen-netback", "an unknown net-backend");

	/* The frontend's keys, written by the guest. */
	struct net_frontend fe;
	const char *connected[NET_FRONTEND_NKEYS] = {"4", "8", "9", "17", "1", "1"};
	is_int(net_frontend_parse(connected, &fe, &err), 0, "a connected frontend parsed");
	ok(fe.state == 4 && fe.tx_ref == 8 && fe.rx_ref == 9 && fe.evtchn == 17 && fe.rx_sg,
	   "its rings, channel and feature-sg");
	const char *waiting[NET_FRONTEND_NKEYS] = {"1", "junk", NULL, NULL, NULL, NULL};
	ok(net_frontend_parse(waiting, &fe, &err) == 0 && fe.state == 1,
	   "below Connected only the state is read");
	struct {
		size_t key;
		const char *val, *why;
	} bad_fe[] = {
		{0, NULL, "no state"},          {0, "9", "state out of range"},
		{1, "-1", "negative tx-ring-ref"}, {1, "4294967296", "tx-ring-ref over 32 bits"},
		{2, NULL, "no rx-ring-ref"},     {3, "131072", "event channel out of range"},
		{3, "17 ", "event channel with junk"}, {4, "0", "request-rx-copy 0 (flipping)"},
		{4, NULL, "no request-rx-copy"}, {5, "2", "feature-sg 2"},
	};
	for (size_t i = 0; i < sizeof(bad_fe) / sizeof(bad_fe[0]); i++) {
		const char *v[NET_FRONTEND_NKEYS];
		memcpy(v, connected, sizeof(v));
		v[bad_fe[i].key] = bad_fe[i].val;
		ok(net_frontend_parse(v, &fe, &err) == -EINVAL, "frontend refused: %s (%s)",
		   bad_fe[i].why, err.msg);
	}
	const char *no_sg[NET_FRONTEND_NKEYS] = {"4", "8", "9", "17", "1", NULL};
	ok(net_frontend_parse(no_sg, &fe, &err) == 0 && !fe.rx_sg, "feature-sg absent: no rx sg");
	return tap_done();
}

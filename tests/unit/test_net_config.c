/* -p and --attach parsers. */
#include "net_config.h"

#include <arpa/inet.h>
#include <errno.h>

#include "tap.h"

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

int main(void)
{
	struct spore_err err = {0};
	struct net_fwd fw;
	struct net_attach a;
	char s[64];

	is_int(net_fwd_parse("8080:80", &fw, &err), 0, "HOSTPORT:GUESTPORT");
	is_int(fw.host_port, 8080, "host port");
	is_int(fw.guest_port, 80, "guest port");
	ok(!fw.udp, "tcp by default");
	ok(fw.host_addr.s_addr == htonl(INADDR_ANY), "all addresses by default");
	is_int(net_fwd_parse("127.0.0.1:5353:53/udp", &fw, &err), 0, "HOSTIP:...:.../udp");
	ok(fw.udp, "udp");
	is_str(addr4(fw.host_addr), "127.0.0.1", "host address");
	net_fwd_format(&fw, s, sizeof(s));
	is_str(s, "127.0.0.1:5353:53/udp", "format");
	is_int(net_fwd_parse("1:65535/tcp", &fw, &err), 0, "port bounds, explicit /tcp");
	is_int(fw.guest_port, 65535, "65535");

	const char *bad[] = {"", "80", "0:80", "80:0", "65536:80", "80:65536", "a:80", "80:b",
			     "80:80/sctp", "80:80/", "1.2.3:80:80", "::1:80:80", "x:1:2",
			     "-1:80", "+1:80", "1 :80", "100000:80", "1:2:3:4",
			     "0000000000080:80", "80:80/udp/tcp",
			     "999.0.0.1:80:80", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1:2"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(net_fwd_parse(bad[i], &fw, &err), -EINVAL, "refused: '%s'", bad[i]);
	is_int(net_fwd_parse(NULL, &fw, &err), -EINVAL, "NULL refused");
	is_int(net_fwd_parse("80:x", &fw, &err), -EINVAL, "message set");
	is_str(err.msg, "bad port spec '80:x': bad guest port 'x'", "message names the field");

	is_int(net_attach_parse("vif3.0:10.75.0.15/24:10.75.0.2:52:54:00:12:34:56", &a, &err), 0,
	       "full attach spec");
	is_str(a.ifname, "vif3.0", "ifname");
	is_str(addr4(a.guest4), "10.75.0.15", "guest");
	is_str(addr4(a.gateway4), "10.75.0.2", "gateway");
	is_str(addr4(a.dns4), "10.75.0.3", "DNS after the gateway");
	is_str(addr4(a.net4), "10.75.0.0", "network");
	is_str(addr4(a.mask4), "255.255.255.0", "mask");
	ok(a.has_mac && a.mac[0] == 0x52 && a.mac[5] == 0x56, "MAC");
	is_str(addr6(&a.prefix6), "fd53:706f:7265:f::", "v6 prefix from the guest address");
	is_str(addr6(&a.gateway6), "fd53:706f:7265:f::2", "v6 gateway");
	is_str(addr6(&a.dns6), "fd53:706f:7265:f::3", "v6 DNS");
	is_str(addr6(&a.guest6), "fd53:706f:7265:f::a4b:f", "v6 guest");

	is_int(net_attach_parse("eth-g:10.75.1.2/30:10.75.1.1", &a, &err), -EINVAL,
	       "/30 refused: no room for the DNS alias");
	is_int(net_attach_parse("v:10.75.1.3/29:10.75.1.1", &a, &err), 0, "/29");
	is_str(addr4(a.dns4), "10.75.1.2", "DNS right after the gateway");
	ok(!a.has_mac, "no MAC");
	is_int(net_attach_parse("v:10.75.1.2/29:10.75.1.1", &a, &err), 0, "/29, guest after gw");
	is_str(addr4(a.dns4), "10.75.1.3", "DNS skips the guest");
	is_int(net_attach_parse("v:10.75.1.1/29:10.75.1.6", &a, &err), 0, "/29, gw at the top");
	is_str(addr4(a.dns4), "10.75.1.2", "DNS wraps past broadcast and guest");
	is_str(addr6(&a.prefix6), "fd53:706f:7265:101::", "distinct v6 prefix per guest");

	const char *bad_att[] = {
		"", "vif1.0", "vif1.0:10.75.0.15/24", "vif1.0:10.75.0.15:10.75.0.2",
		"vif1.0:10.75.0.15/7:10.0.0.1", "vif1.0:10.75.0.15/30:10.75.0.13",
		"vif1.0:10.75.0.15/24:10.76.0.2", "vif1.0:10.75.0.15/24:10.75.0.15",
		"vif1.0:10.75.0.0/24:10.75.0.2", "vif1.0:10.75.0.255/24:10.75.0.2",
		"vif1.0:10.75.0.15/24:10.75.0.255", "vif1.0:10.75.0.15/24x:10.75.0.2",
		"vif1.0:10.75.0.15/:10.75.0.2", "vif1.0:10.75.0.15/24:10.75.0.2:01:00:5e:00:00:01",
		"vif1.0:10.75.0.15/24:10.75.0.2:00:00:00:00:00:00",
		"vif1.0:10.75.0.15/24:10.75.0.2:52:54:00:12:34", "vif1.0:10.75.0.15/24:10.75.0.2:zz",
		"../x:10.75.0.15/24:10.75.0.2", "a/b:10.75.0.15/24:10.75.0.2",
		"averyveryverylongname:10.75.0.15/24:10.75.0.2", ":10.75.0.15/24:10.75.0.2",
		"vif1.0:fd00::1/64:fd00::2", "vif1.0:10.75.0.x/24:10.75.0.2",
	};
	for (size_t i = 0; i < sizeof(bad_att) / sizeof(bad_att[0]); i++)
		is_int(net_attach_parse(bad_att[i], &a, &err), -EINVAL, "refused: '%s'", bad_att[i]);
	is_int(net_attach_parse(NULL, &a, &err), -EINVAL, "NULL refused");

	uint32_t mtu = 0;
	is_int(net_attach_parse("v:10.75.1.3/29:10.75.1.1", &a, &err), 0, "attach for the MTU");
	is_int(a.mtu, 1500, "MTU defaults to 1500");
	is_int(net_mtu_parse("65520", &mtu, &err), 0, "MTU 65520");
	is_int(mtu, 65520, "MTU value");
	is_int(net_mtu_parse("1280", &mtu, &err), 0, "MTU 1280");
	const char *bad_mtu[] = {"", "0", "1279", "65521", "1500x", "-1500", " 1500", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad_mtu) / sizeof(bad_mtu[0]); i++)
		is_int(net_mtu_parse(bad_mtu[i], &mtu, &err), -EINVAL, "MTU refused: '%s'", bad_mtu[i]);
	is_int(net_mtu_parse(NULL, &mtu, &err), -EINVAL, "NULL MTU refused");

	ok(net_ifname_valid("vif12.3"), "vif name valid");
	ok(!net_ifname_valid("."), "'.' invalid");
	ok(!net_ifname_valid("a b"), "space invalid");
	ok(!net_ifname_valid("123456789012345a"), "16 chars invalid");
	ok(net_ifname_valid("123456789012345"), "15 chars valid");
	return tap_done();
}

/* The --attach IFNAME:GUEST_IPV4/PREFIX:GATEWAY[:MAC] parser and the
 * addresses derived from it. */
#include "net_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool net_ifname_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int net_mac_parse(const char *s, uint8_t mac[6])
{
	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	static const uint8_t zero[6];
	if ((mac[0] & 1) || !memcmp(mac, zero, 6))
		return -EINVAL;
	return 0;
}

int net_mtu_parse(const char *s, uint32_t *mtu, struct spore_err *err)
{
	char *end;
	errno = 0;
	unsigned long v = s && *s >= '0' && *s <= '9' ? strtoul(s, &end, 10) : 0;
	if (!v || errno || *end || v < NET_MTU_MIN || v > NET_MTU_MAX)
		return spore_err_setx(err, EINVAL, "bad MTU '%s': want %d..%d", s ? s : "",
				      NET_MTU_MIN, NET_MTU_MAX);
	*mtu = (uint32_t)v;
	return 0;
}

static void derive_ipv6(struct net_attach *a)
{
	static const uint8_t ula[6] = {0xfd, 0x53, 0x70, 0x6f, 0x72, 0x65};
	uint32_t g = ntohl(a->guest4.s_addr);

	memset(&a->prefix6, 0, sizeof(a->prefix6));
	memcpy(a->prefix6.s6_addr, ula, sizeof(ula));
	a->prefix6.s6_addr[6] = (uint8_t)(g >> 8);
	a->prefix6.s6_addr[7] = (uint8_t)g;
	a->gateway6 = a->dns6 = a->guest6 = a->prefix6;
	a->gateway6.s6_addr[15] = 2;
	a->dns6.s6_addr[15] = 3;
	memcpy(a->guest6.s6_addr + 12, &a->guest4.s_addr, 4);
}

int net_attach_parse(const char *spec, struct net_attach *a, struct spore_err *err)
{
	char buf[128];
	memset(a, 0, sizeof(*a));
	if (!spec || strlen(spec) >= sizeof(buf))
		return spore_err_setx(err, EINVAL, "bad attach spec '%s'", spec ? spec : "");
	strcpy(buf, spec);

	/* The MAC has colons of its own, so split off the first three fields. */
	char *ifname = buf, *addr = strchr(ifname, ':');
	char *gw = addr ? strchr(addr + 1, ':') : NULL;
	if (!gw)
		return spore_err_setx(err, EINVAL,
				      "bad attach spec '%s': want IFNAME:GUEST_IPV4/PREFIX:GATEWAY[:MAC]",
				      spec);
	*addr++ = '\0';
	*gw++ = '\0';
	char *mac = strchr(gw, ':');
	if (mac)
		*mac++ = '\0';

	if (!net_ifname_valid(ifname))
		return spore_err_setx(err, EINVAL, "bad attach spec '%s': bad interface name", spec);
	strcpy(a->ifname, ifname);

	char *slash = strchr(addr, '/');
	if (!slash)
		return spore_err_setx(err, EINVAL, "bad attach spec '%s': missing /PREFIX", spec);
	*slash++ = '\0';
	char *end;
	long prefix = strtol(slash, &end, 10);
	if (!*slash || *end || prefix < 8 || prefix > 29)
		return spore_err_setx(err, EINVAL,
				      "bad attach spec '%s': prefix must be 8..29 (room for "
				      "guest, gateway and DNS)",
				      spec);
	if (inet_pton(AF_INET, addr, &a->guest4) != 1)
		return spore_err_setx(err, EINVAL, "bad attach spec '%s': bad guest address", spec);
	if (inet_pton(AF_INET, gw, &a->gateway4) != 1)
		return spore_err_setx(err, EINVAL, "bad attach spec '%s': bad gateway address",
				      spec);
	if (mac) {
		if (net_mac_parse(mac, a->mac) < 0)
			return spore_err_setx(err, EINVAL,
					      "bad attach spec '%s': bad MAC '%s' (want unicast "
					      "aa:bb:cc:dd:ee:ff)",
					      spec, mac);
		a->has_mac = true;
	}

	a->prefix4 = (uint8_t)prefix;
	a->mtu = NET_MTU_DEFAULT;
	uint32_t mask = ~(uint32_t)0 << (32 - prefix);
	uint32_t g = ntohl(a->guest4.s_addr), r = ntohl(a->gateway4.s_addr);
	uint32_t net = g & mask, bcast = net | ~mask;
	if ((r & mask) != net)
		return spore_err_setx(err, EINVAL,
				      "bad attach spec '%s': gateway not in the guest's network", spec);
	if (g == net || g == bcast || r == net || r == bcast || g == r)
		return spore_err_setx(err, EINVAL,
				      "bad attach spec '%s': guest and gateway must be distinct host "
				      "addresses",
				      spec);
	uint32_t dns = r + 1;
	while (dns == g || dns == r || dns == net || dns == bcast || (dns & mask) != net)
		dns = (dns & mask) != net || dns == bcast ? net + 1 : dns + 1;
	a->net4.s_addr = htonl(net);
	a->mask4.s_addr = htonl(mask);
	a->dns4.s_addr = htonl(dns);
	derive_ipv6(a);
	return 0;
}

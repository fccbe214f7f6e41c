/* lo and eth0 through rtnetlink (the guest has no `ip`), and TX offloads off
 * through the ethtool ioctl: dom0's userspace NAT sees netfront's frames
 * with partial checksums and unsegmented super-frames, which it cannot fix
 * up, so the guest must send complete frames. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define IFNAME "eth0"

struct nlreq {
	struct nlmsghdr h;
	union {
		struct ifinfomsg ifi;
		struct ifaddrmsg ifa;
		struct rtmsg rt;
	};
	char attrs[256];
};

static int nl = -1;
static unsigned seq;

static void addattr(struct nlreq *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Sends one request and waits for its ack; returns 0 or -errno. */
static int talk(struct nlreq *r)
{
	char buf[1024] __attribute__((aligned(4)));
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};

	r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->h.nlmsg_seq = ++seq;
	if (sendto(nl, r, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(nl, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return -EIO;
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

static int link_up(int idx, unsigned mtu)
{
	struct nlreq r = {0};

	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(r.ifi));
	r.h.nlmsg_type = RTM_NEWLINK;
	r.ifi.ifi_family = AF_UNSPEC;
	r.ifi.ifi_index = idx;
	r.ifi.ifi_flags = IFF_UP;
	r.ifi.ifi_change = IFF_UP;
	if (mtu)
		addattr(&r, IFLA_MTU, &mtu, sizeof(mtu));
	return talk(&r);
}

static int addr_add(int idx, int family, const uint8_t *addr, unsigned prefix)
{
	struct nlreq r = {0};
	size_t alen = family == AF_INET ? 4 : 16;

	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(r.ifa));
	r.h.nlmsg_type = RTM_NEWADDR;
	r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	r.ifa.ifa_family = (unsigned char)family;
	r.ifa.ifa_prefixlen = (unsigned char)prefix;
	r.ifa.ifa_index = (unsigned)idx;
	/* No duplicate address detection: the controller owns the plan, and
	 * DAD would hold the address back for a second or more. */
	r.ifa.ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0;
	addattr(&r, IFA_LOCAL, addr, alen);
	addattr(&r, IFA_ADDRESS, addr, alen);
	return talk(&r);
}

static int route_default(int idx, int family, const uint8_t *gw)
{
	struct nlreq r = {0};
	uint32_t oif = (uint32_t)idx;

	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(r.rt));
	r.h.nlmsg_type = RTM_NEWROUTE;
	r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	r.rt.rtm_family = (unsigned char)family;
	r.rt.rtm_table = RT_TABLE_MAIN;
	r.rt.rtm_protocol = RTPROT_BOOT;
	r.rt.rtm_scope = RT_SCOPE_UNIVERSE;
	r.rt.rtm_type = RTN_UNICAST;
	/* On-link: the gateway need not be inside the guest's prefix. */
	r.rt.rtm_flags = RTNH_F_ONLINK;
	addattr(&r, RTA_GATEWAY, gw, family == AF_INET ? 4 : 16);
	addattr(&r, RTA_OIF, &oif, sizeof(oif));
	return talk(&r);
}

/* Features that `ethtool -K eth0 tx off tso off gso off` turns off. */
static bool offload(const char *name)
{
	size_t n = strlen(name);

	return !strncmp(name, "tx-checksum-", 12) || !strcmp(name, "tx-generic-segmentation") ||
	       (!strncmp(name, "tx-tcp", 6) && n > 12 && !strcmp(name + n - 12, "segmentation"));
}

/* One ETHTOOL_SFEATURES request for all of them, as ethtool sends it: each
 * feature change makes netfront read the backend's features from xenstore
 * again, so three legacy requests (STXCSUM, STSO, SGSO) cost three rounds
 * of round trips to dom0. Feature bits are found by name. */
static void offloads_off(unsigned *off, unsigned *left, unsigned *fixed)
{
	enum { MAX_FEATURES = 128 };
	static uint64_t sbuf[(sizeof(struct ethtool_gstrings) + MAX_FEATURES * ETH_GSTRING_LEN) / 8 + 1];
	uint64_t ibuf[(sizeof(struct ethtool_sset_info) + 8) / 8 + 1] = {0};
	uint64_t fbuf[(sizeof(struct ethtool_sfeatures) +
		       MAX_FEATURES / 32 * sizeof(struct ethtool_set_features_block)) / 8 + 1] = {0};
	uint64_t gbuf[(sizeof(struct ethtool_gfeatures) +
		       MAX_FEATURES / 32 * sizeof(struct ethtool_get_features_block)) / 8 + 1] = {0};
	struct ethtool_gfeatures *get = (void *)gbuf;
	struct ethtool_sset_info *info = (void *)ibuf;
	struct ethtool_gstrings *names = (void *)sbuf;
	struct ethtool_sfeatures *set = (void *)fbuf;
	struct ifreq ifr = {0};
	const char *what = "feature count";
	unsigned n = 0;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	strcpy(ifr.ifr_name, IFNAME);
	info->cmd = ETHTOOL_GSSET_INFO;
	info->sset_mask = 1ULL << ETH_SS_FEATURES;
	ifr.ifr_data = (void *)info;
	if (ioctl(s, SIOCETHTOOL, &ifr) < 0 || !info->sset_mask || !(n = info->data[0]) ||
	    n > MAX_FEATURES)
		goto fail;
	what = "feature names";
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_FEATURES;
	names->len = n;
	ifr.ifr_data = (void *)names;
	if (ioctl(s, SIOCETHTOOL, &ifr) < 0)
		goto fail;
	set->cmd = ETHTOOL_SFEATURES;
	set->size = (n + 31) / 32;
	for (unsigned i = 0; i < n; i++) {
		char name[ETH_GSTRING_LEN + 1] = {0};
		memcpy(name, names->data + i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		if (offload(name)) {
			set->features[i / 32].valid |= 1u << (i % 32); /* requested: off */
			++*off;
		}
	}
	what = "offloads off";
	ifr.ifr_data = (void *)set;
	if (ioctl(s, SIOCETHTOOL, &ifr) < 0)
		goto fail;
	/* What the device now does (the boot timeline reports it). */
	get->cmd = ETHTOOL_GFEATURES;
	get->size = set->size;
	ifr.ifr_data = (void *)get;
	if (ioctl(s, SIOCETHTOOL, &ifr) == 0)
		for (unsigned i = 0; i < n; i++) {
			const struct ethtool_get_features_block *g = &get->features[i / 32];
			uint32_t bit = 1u << (i % 32);
			if (!(set->features[i / 32].valid & bit & g->active))
				continue;
			/* netfront's IPv4 TX checksum cannot be turned off
			 * (sporenet completes those checksums). */
			if (g->available & bit)
				++*left;
			else
				++*fixed;
		}
	close(s);
	return;
fail:
	warn("ethtool %s on %s: %s", what, IFNAME, n > MAX_FEATURES ? "too many features" : strerror(errno));
	close(s);
}

/* By name, not by its sysfs directory: that comes first, while the name
 * is not yet usable (register_netdevice). */
static bool has_ifindex(const void *unused)
{
	(void)unused;
	return if_nametoindex(IFNAME) != 0;
}

/* netfront turns the carrier on once it has connected to netback. (Not
 * SIOCGIFFLAGS: its 16 bits have no room for IFF_LOWER_UP.) */
static bool has_carrier(const void *unused)
{
	char c = 0;
	int fd = open("/sys/class/net/" IFNAME "/carrier", O_RDONLY | O_CLOEXEC);

	(void)unused;
	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = 0;
		close(fd);
	}
	return c == '1';
}

static bool zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

void setup_network(const struct spore_bundle *b)
{
	struct sockaddr_nl local = {.nl_family = AF_NETLINK};
	int lo, eth, err;

	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0 || bind(nl, (struct sockaddr *)&local, sizeof(local)) < 0)
		die("rtnetlink socket: %s", strerror(errno));
	lo = (int)if_nametoindex("lo");
	if (!lo || (err = link_up(lo, 0)) < 0)
		warn("cannot bring lo up");

	if (b->has_ipv4 || b->has_ipv6) {
		if (wait_until(has_ifindex, NULL, NETLINK_ROUTE, RTMGRP_LINK, DEV_TIMEOUT_MS) < 0 ||
		    !(eth = (int)if_nametoindex(IFNAME)))
			die("network device %s did not appear", IFNAME);
		trace("%s present", IFNAME);
		unsigned off = 0, left = 0, fixed = 0;
		offloads_off(&off, &left, &fixed);
		trace("%s: %u TX offload features asked off: %u still on, %u fixed on", IFNAME, off,
		      left, fixed);
		if ((err = link_up(eth, b->mtu)) < 0)
			die("bring %s up (mtu %u): %s", IFNAME, b->mtu, strerror(-err));
		trace("%s up", IFNAME);
		if (b->has_ipv4) {
			if ((err = addr_add(eth, AF_INET, b->ipv4.addr, b->ipv4.prefix)) < 0)
				die("add IPv4 address to %s: %s", IFNAME, strerror(-err));
			if (!zero(b->ipv4.gateway, 4) &&
			    (err = route_default(eth, AF_INET, b->ipv4.gateway)) < 0)
				die("add IPv4 default route: %s", strerror(-err));
		}
		if (b->has_ipv6) {
			if ((err = addr_add(eth, AF_INET6, b->ipv6.addr, b->ipv6.prefix)) < 0)
				die("add IPv6 address to %s: %s", IFNAME, strerror(-err));
			if (!zero(b->ipv6.gateway, 16) &&
			    (err = route_default(eth, AF_INET6, b->ipv6.gateway)) < 0)
				die("add IPv6 default route: %s", strerror(-err));
		}
	}
	close(nl);
	nl = -1;
}

void wait_network(const struct spore_bundle *b)
{
	int err;

	/* The kernel does not hold init back until its devices are connected
	 * (spore.nowait_devices, kernel/patches): the container must not start
	 * before the link is. */
	if (!b->has_ipv4 && !b->has_ipv6)
		return;
	if ((err = wait_until(has_carrier, NULL, NETLINK_ROUTE, RTMGRP_LINK, DEV_TIMEOUT_MS)) < 0)
		die("%s has no link (netfront not connected to dom0's netback): %s", IFNAME,
		    strerror(-err));
	trace("%s link up", IFNAME);
}

/* dom0's own addresses, refused as destinations unless allowed. */
#include "net_supervisor.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

int net_dom0_addrs(struct net_filter *flt, struct spore_err *err)
{
	struct ifaddrs *ifa, *i;
	if (getifaddrs(&ifa) < 0)
		return spore_err_set(err, errno, "getifaddrs");
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		int r = 0;
		if (i->ifa_addr->sa_family == AF_INET)
			r = net_filter_add_dom0(flt, AF_INET,
						&((struct sockaddr_in *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			r = net_filter_add_dom0(flt, AF_INET6,
						&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
		if (r < 0) {
			freeifaddrs(ifa);
			return spore_err_setx(err, -r, "more than %d dom0 addresses",
					      NET_FILTER_MAX_DOM0);
		}
	}
	freeifaddrs(ifa);
	return 0;
}

static int rtnl_open(unsigned groups, struct spore_err *err)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = groups};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (fd < 0)
		return spore_err_set(err, errno, "netlink socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = spore_err_set(err, errno, "netlink bind");
		close(fd);
		return r;
	}
	return fd;
}

int net_dom0_watch_open(struct spore_err *err)
{
	return rtnl_open(RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR, err);
}

int net_link_watch_open(struct spore_err *err)
{
	return rtnl_open(RTMGRP_LINK, err);
}

int net_dom0_watch_drain(int fd)
{
	char buf[8192];
	int any = 0;
	ssize_t n;
	/* The content does not matter: getifaddrs() is the source of truth,
	 * and an overrun (ENOBUFS) means "something changed" too. */
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0 || (n < 0 && errno == ENOBUFS))
		any = 1;
	return any;
}

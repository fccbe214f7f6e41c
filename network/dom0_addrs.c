/* dom0's own addresses, refused as destinations unless allowed. */
#include <spore/net_supervisor.h>

#include <errno.h>
#include <ifaddrs.h>

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

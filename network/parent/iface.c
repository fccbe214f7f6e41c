/* Backend interface preparation; see net_packet.h. */
#include "net_packet.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_sysctl(const char *path, const char *val, struct spore_err *err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return spore_err_set(err, errno, "open %s", path);
	ssize_t n = write(fd, val, strlen(val));
	int e = errno;
	close(fd);
	if (n != (ssize_t)strlen(val))
		return spore_err_set(err, n < 0 ? e : EIO, "write %s", path);
	return 0;
}

int net_iface_prepare(const char *ifname, unsigned mtu, struct spore_err *err)
{
	/* Linux is a weak-host stack: a frame addressed to the interface's own
	 * MAC would reach any dom0 address. A strict rp_filter drops it since no
	 * route points at the backend interface; no IPv6 means no link-local
	 * address either; arp_ignore 8 answers no ARP at all. */
	static const struct {
		const char *fmt, *val;
	} knobs[] = {
		{"/proc/sys/net/ipv6/conf/%s/disable_ipv6", "1"},
		{"/proc/sys/net/ipv4/conf/%s/rp_filter", "1"},
		{"/proc/sys/net/ipv4/conf/%s/arp_ignore", "8"},
		{"/proc/sys/net/ipv4/conf/%s/forwarding", "0"},
		{"/proc/sys/net/ipv4/conf/%s/accept_local", "0"},
	};
	char path[128];
	int r;

	if (!if_nametoindex(ifname))
		return spore_err_set(err, errno, "interface %s", ifname);
	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(path, sizeof(path), knobs[i].fmt, ifname);
		if ((r = write_sysctl(path, knobs[i].val, err)) < 0)
			return r;
	}

	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return spore_err_set(err, errno, "socket");
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	const char *what = "set the MTU of";
	ifr.ifr_mtu = (int)mtu;
	r = ioctl(s, SIOCSIFMTU, &ifr);
	if (r == 0) {
		what = "bring up";
		r = ioctl(s, SIOCGIFFLAGS, &ifr);
	}
	if (r == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	int e = errno;
	close(s);
	if (r < 0)
		return spore_err_set(err, e, "%s %s", what, ifname);
	return 0;
}

/* vif xenstore entries and the backend interface; see vif.h. */
#include "dev_pair.h"
#include "vif.h"
#include <spore/clock.h>
#include <spore/log.h>
#include <spore/vif_backend.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

void spore_vif_ifname(const struct spore_vif *v, char name[IFNAMSIZ])
{
	snprintf(name, IFNAMSIZ, "vif%" PRIu32 ".%u", v->domid, v->handle);
}

static void backend_path(const struct spore_vif *v, char *buf, size_t n)
{
	snprintf(buf, n, "/local/domain/%" PRIu32 "/%s/vif/%" PRIu32 "/%u", v->backend_domid,
		 v->userspace ? SPORE_VIF_ROOT_USERSPACE : SPORE_VIF_ROOT_KERNEL, v->domid, v->handle);
}

int spore_vif_nodes(struct xs_node_list *l, const struct spore_vif *v, struct spore_err *err)
{
	struct dev_pair p;

	if (!v->mac || strlen(v->mac) != 17 || v->mtu < 68 || v->mtu > 65535)
		return spore_err_setx(err, EINVAL, "vif of domain %" PRIu32 ": bad mac or mtu",
				      v->domid);
	if (v->userspace) {
		dev_pair_begin_at(&p, l, SPORE_VIF_ROOT_USERSPACE, "vif", v->domid, v->backend_domid,
				  v->handle, 2);
		/* What network/netback/ring.c serves: copying rx (required by
		 * netfront), multi-slot tx, TSO super-frames (handed whole to
		 * libslirp), checksums left blank over IPv4 and IPv6. One queue,
		 * one event channel, no control ring. */
		dev_pair_back(&p, "feature-rx-copy", "1");
		dev_pair_back(&p, "feature-rx-flip", "0");
		dev_pair_back(&p, "feature-sg", "1");
		dev_pair_back(&p, "feature-gso-tcpv4", "1");
		dev_pair_back(&p, "feature-gso-tcpv6", "1");
		dev_pair_back(&p, "feature-ipv6-csum-offload", "1");
	} else {
		dev_pair_begin(&p, l, "vif", v->domid, v->backend_domid, v->handle);
		/* netback's probe fails without a script key; nothing runs it. */
		dev_pair_back(&p, "script", "%s", "");
	}
	dev_pair_back(&p, "mac", "%s", v->mac);
	dev_pair_back(&p, "handle", "%u", v->handle);
	dev_pair_back(&p, "type", "vif");
	dev_pair_back(&p, "mtu", "%" PRIu32, v->mtu);
	/* What the hotplug script writes once the interface is up: spore sets
	 * it up before the guest runs, so netback may connect at once. */
	if (!v->userspace)
		dev_pair_back(&p, "hotplug-status", "connected");
	dev_pair_front(&p, "handle", "%u", v->handle);
	dev_pair_front(&p, "mac", "%s", v->mac);
	dev_pair_front(&p, "trusted", "1");
	/* The guest reads the mtu dom0 chose; it does not set it. */
	dev_pair_front_dom0(&p, "mtu", "%" PRIu32, v->mtu);
	if (l->err)
		return spore_err_set(err, -l->err, "vif nodes for domain %" PRIu32, v->domid);
	return 0;
}

static int write_tx(struct spore_xs *xs, uint32_t tx, void *arg, struct spore_err *err)
{
	return spore_xs_write_nodes(xs, tx, arg, err);
}

int spore_vif_backend_check(struct spore_err *err)
{
	/* Without netback the guest would wait minutes for its eth0. */
	if (access("/sys/bus/xen-backend/drivers/vif", F_OK) < 0)
		return spore_err_setx(err, ENODEV, "no network backend in dom0: xen-netback is not "
					     "loaded (modprobe xen-netback), or use --network none");
	return 0;
}

int spore_vif_add(struct spore_xs *xs, const struct spore_vif *v, struct spore_err *err)
{
	struct xs_node_list l = {0};
	int r = spore_vif_backend_check(err);
	if (r >= 0)
		r = spore_vif_nodes(&l, v, err);
	if (r >= 0)
		r = spore_xs_transact(xs, write_tx, &l, err);
	xs_node_list_free(&l);
	return r;
}

/* netback says InitWait in its probe just before it registers the
 * interface, so the name can be missing for a while on a loaded machine.
 * Waits for it on rtnetlink's link notifications (subscribed before the
 * first look, so none is missed); -ETIMEDOUT after timeout_ms. */
static int wait_ifname(const char *ifname, int timeout_ms)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	int64_t deadline = spore_now_ms() + timeout_ms;
	int r = -ETIMEDOUT, s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
				       NETLINK_ROUTE);

	if (s >= 0 && bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(s);
		s = -1;
	}
	for (;;) {
		if (if_nametoindex(ifname)) {
			r = 0;
			break;
		}
		int left = (int)(deadline - spore_now_ms());
		if (left <= 0 || s < 0)
			break;
		struct pollfd p = {.fd = s, .events = POLLIN};
		char buf[8192];
		if (poll(&p, 1, left) > 0)
			while (recv(s, buf, sizeof(buf), 0) > 0)
				; /* any link change is only a reason to look again */
	}
	if (s >= 0)
		close(s);
	return r;
}

/* What the hotplug script's `ip link set up mtu N` does. */
static int link_up(const char *ifname, uint32_t mtu, struct spore_err *err)
{
	struct ifreq ifr = {0};
	int r = 0, s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return spore_err_set(err, errno, "socket for %s", ifname);
	/* dom0 has no use for IPv6 on the interface (sporenet reads frames):
	 * no link-local address, DAD or router solicitations to run per guest. */
	char path[80];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			log_debug("vif: %s: %s", path, strerror(errno));
		close(fd);
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0) {
		r = spore_err_set(err, errno, "setting mtu %" PRIu32 " on %s", mtu, ifname);
		goto out;
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		r = spore_err_set(err, errno, "reading the flags of %s", ifname);
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		r = spore_err_set(err, errno, "setting %s up", ifname);
out:
	close(s);
	return r;
}

void spore_vif_state_path(const struct spore_vif *v, char *buf, size_t n)
{
	char be[96];
	backend_path(v, be, sizeof(be));
	snprintf(buf, n, "%s/state", be);
}

int spore_vif_check_up(struct spore_xs *xs, const struct spore_vif *v, struct spore_err *err)
{
	char path[128], ifname[IFNAMSIZ];
	char *state = NULL;
	size_t len;
	long st;

	spore_vif_ifname(v, ifname);
	spore_vif_state_path(v, path, sizeof(path));
	int r = spore_xs_read(xs, 0, path, &state, &len, err);
	if (r < 0)
		return r;
	st = strtol(state, NULL, 10);
	free(state);
	/* netback creates the interface in its probe, then says InitWait (2). */
	if (st >= 5)
		return spore_err_setx(err, EIO, "netback gave up on %s (state %ld)", ifname, st);
	if (st < 2)
		return 0;
	if (wait_ifname(ifname, SPORE_VIF_TIMEOUT_MS) < 0)
		return spore_err_setx(err, ENODEV, "netback said InitWait but %s did not appear within %d s",
				      ifname, SPORE_VIF_TIMEOUT_MS / 1000);
	r = link_up(ifname, v->mtu, err);
	return r < 0 ? r : 1;
}

int spore_vif_timeout(struct spore_err *err, const struct spore_vif *v, int timeout_ms)
{
	char ifname[IFNAMSIZ];
	spore_vif_ifname(v, ifname);
	return spore_err_setx(err, ETIMEDOUT, "%s did not appear within %d s (is xen-netback loaded?)",
			      ifname, timeout_ms / 1000);
}

static int look_up(struct spore_xs *xs, void *arg, struct spore_err *err)
{
	return spore_vif_check_up(xs, arg, err);
}

int spore_vif_wait_up(struct spore_xs *xs, const struct spore_vif *v, int timeout_ms,
		      struct spore_err *err)
{
	char path[128], ifname[IFNAMSIZ];
	int64_t start = spore_now_ms();

	spore_vif_state_path(v, path, sizeof(path));
	int r = spore_xs_wait(xs, path, timeout_ms, look_up, (void *)v, err);
	if (r == -ETIMEDOUT)
		return spore_vif_timeout(err, v, timeout_ms);
	if (r == 0) {
		spore_vif_ifname(v, ifname);
		log_debug("vif: %s up after %lld ms", ifname, (long long)(spore_now_ms() - start));
	}
	return r;
}

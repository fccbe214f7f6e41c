/* Waiting without fixed sleeps: a netlink socket (kernel uevents, or link
 * messages) wakes the waiter, a check decides. The check runs again after
 * the socket is open, so an event before it is not missed, and every 250 ms
 * in case one is dropped. */
#include "init.h"
#include <spore/clock.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

int wait_until(bool (*ready)(const void *), const void *arg, int proto, unsigned groups,
	       int timeout_ms)
{
	static char drain[8192];
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = groups};
	int64_t deadline = spore_now_ms() + timeout_ms;
	int nl;

	if (ready(arg))
		return 0;
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
	if (nl >= 0 && bind(nl, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(nl);
		nl = -1; /* the periodic check still works */
	}
	int r = 0;
	while (!ready(arg)) {
		int64_t left = deadline - spore_now_ms();
		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		struct pollfd p = {.fd = nl, .events = POLLIN};
		poll(&p, nl >= 0 ? 1 : 0, left < 250 ? (int)left : 250);
		while (nl >= 0 && recv(nl, drain, sizeof(drain), 0) > 0) {
		}
	}
	if (nl >= 0)
		close(nl);
	return r;
}

static bool exists(const void *path)
{
	return access(path, F_OK) == 0;
}

int wait_for(const char *path, int timeout_ms)
{
	return wait_until(exists, path, NETLINK_KOBJECT_UEVENT, 1, timeout_ms);
}

/* A disk's node appears (devtmpfs, at device_add) before the kernel can
 * open it (bdev_add comes after, in device_add_disk): an open in between
 * fails with ENXIO, and so did a mount there. Its KOBJ_ADD uevent comes
 * once it can be opened. */
static bool openable(const void *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int wait_for_disk(const char *path, int timeout_ms)
{
	return wait_until(openable, path, NETLINK_KOBJECT_UEVENT, 1, timeout_ms);
}

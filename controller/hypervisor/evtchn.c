/* Event channels; see evtchn.h. */
#include "hypercall.h"
#include "evtchn.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <xen/event_channel.h>
#include <xen/sys/evtchn.h>

int spore_xc_evtchn_alloc_unbound(struct spore_xc *xc, uint32_t domid, uint32_t remote,
				  struct spore_err *err)
{
	struct evtchn_alloc_unbound *op = spore_xc_buf_alloc(xc, sizeof(*op), err);
	if (!op)
		return spore_xc_errcode(err);
	op->dom = (domid_t)domid;
	op->remote_dom = (domid_t)remote;
	long r = spore_xc_hypercall(xc, __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
				    (uintptr_t)op, 0, 0, 0);
	int port = (int)op->port;
	spore_xc_buf_free(xc, op, sizeof(*op));
	if (r < 0)
		return spore_err_set(err, (int)-r, "evtchn alloc_unbound (domain %u)", domid);
	return port;
}

int spore_evtchn_open(struct spore_err *err)
{
	int fd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return spore_err_set(err, errno, "opening /dev/xen/evtchn (is xen-evtchn loaded?)");
	return fd;
}

int spore_evtchn_bind(int fd, uint32_t domid, uint32_t remote_port, struct spore_err *err)
{
	struct ioctl_evtchn_bind_interdomain b = {.remote_domain = domid,
						  .remote_port = remote_port};
	int port = ioctl(fd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &b);
	if (port < 0)
		return spore_err_set(err, errno, "binding event channel %u of domain %u",
				     remote_port, domid);
	return port;
}

void spore_evtchn_unbind(int fd, uint32_t port)
{
	struct ioctl_evtchn_unbind u = {.port = port};
	ioctl(fd, IOCTL_EVTCHN_UNBIND, &u);
}

int spore_evtchn_notify(int fd, uint32_t port)
{
	struct ioctl_evtchn_notify n = {.port = port};
	return ioctl(fd, IOCTL_EVTCHN_NOTIFY, &n) < 0 ? -errno : 0;
}

int spore_evtchn_pending(int fd, uint32_t *ports, size_t max)
{
	ssize_t n = read(fd, ports, max * sizeof(*ports));
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	return (int)(n / (ssize_t)sizeof(*ports));
}

void spore_evtchn_unmask(int fd, uint32_t port)
{
	if (write(fd, &port, sizeof(port)) < 0) {
		/* Only an unbound port: nothing to unmask. */
	}
}

/* Event channels through /dev/xen/evtchn. See include/spore/evtchn.h. */
#include <spore/evtchn.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/sys/evtchn.h>

struct spore_evtchn {
	int fd;
};

int spore_evtchn_open(struct spore_evtchn **ep, struct spore_err *err)
{
	struct spore_evtchn *e = malloc(sizeof(*e));
	if (!e)
		return spore_err_set(err, ENOMEM, "evtchn handle");
	e->fd = open(SPORE_EVTCHN_PATH, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (e->fd < 0) {
		int code = errno;
		free(e);
		if (code == ENOENT)
			return spore_err_setx(err, ENOENT,
					      "cannot open %s: no such device (not a Xen dom0, "
					      "or xen_evtchn not loaded?)", SPORE_EVTCHN_PATH);
		return spore_err_set(err, code, "cannot open %s", SPORE_EVTCHN_PATH);
	}
	*ep = e;
	return 0;
}

void spore_evtchn_close(struct spore_evtchn *e)
{
	if (!e)
		return;
	close(e->fd);
	free(e);
}

int spore_evtchn_fd(const struct spore_evtchn *e)
{
	return e->fd;
}

/* The bind ioctls return the new local port. */
static int bind_ioctl(struct spore_evtchn *e, unsigned long req, void *arg, const char *what,
		      uint32_t a, struct spore_err *err)
{
	int r = ioctl(e->fd, req, arg);
	if (r < 0)
		return spore_err_set(err, errno, "evtchn %s %u", what, a);
	return r;
}

int spore_evtchn_bind_interdomain(struct spore_evtchn *e, uint32_t domid, uint32_t remote_port,
				  struct spore_err *err)
{
	struct ioctl_evtchn_bind_interdomain b = {.remote_domain = domid,
						   .remote_port = remote_port};
	return bind_ioctl(e, IOCTL_EVTCHN_BIND_INTERDOMAIN, &b, "bind to domain", domid, err);
}

int spore_evtchn_bind_unbound(struct spore_evtchn *e, uint32_t domid, struct spore_err *err)
{
	struct ioctl_evtchn_bind_unbound_port b = {.remote_domain = domid};
	return bind_ioctl(e, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &b, "unbound port for domain", domid,
			  err);
}

int spore_evtchn_bind_virq(struct spore_evtchn *e, uint32_t virq, struct spore_err *err)
{
	struct ioctl_evtchn_bind_virq b = {.virq = virq};
	return bind_ioctl(e, IOCTL_EVTCHN_BIND_VIRQ, &b, "bind virq", virq, err);
}

int spore_evtchn_unbind(struct spore_evtchn *e, uint32_t port, struct spore_err *err)
{
	struct ioctl_evtchn_unbind u = {.port = port};
	if (ioctl(e->fd, IOCTL_EVTCHN_UNBIND, &u) < 0)
		return spore_err_set(err, errno, "evtchn unbind port %u", port);
	return 0;
}

int spore_evtchn_notify(struct spore_evtchn *e, uint32_t port, struct spore_err *err)
{
	struct ioctl_evtchn_notify n = {.port = port};
	if (ioctl(e->fd, IOCTL_EVTCHN_NOTIFY, &n) < 0)
		return spore_err_set(err, errno, "evtchn notify port %u", port);
	return 0;
}

int spore_evtchn_pending(struct spore_evtchn *e, struct spore_err *err)
{
	uint32_t port;
	ssize_t n = read(e->fd, &port, sizeof(port));
	if (n < 0 && errno == EAGAIN)
		return -EAGAIN;
	if (n != (ssize_t)sizeof(port))
		return spore_err_set(err, n < 0 ? errno : EIO, "reading %s", SPORE_EVTCHN_PATH);
	return (int)port;
}

int spore_evtchn_unmask(struct spore_evtchn *e, uint32_t port, struct spore_err *err)
{
	if (write(e->fd, &port, sizeof(port)) != (ssize_t)sizeof(port))
		return spore_err_set(err, errno, "unmasking event channel %u", port);
	return 0;
}

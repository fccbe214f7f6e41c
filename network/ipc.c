/* Fixed-size typed messages with optional SCM_RIGHTS; see net_ipc.h. */
#include "net_ipc.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

size_t net_msg_size(uint32_t type)
{
	switch (type) {
	case NET_MSG_ATTACH:
		return sizeof(struct net_msg_attach);
	case NET_MSG_READY:
		return sizeof(struct net_msg_ready);
	case NET_MSG_STATS:
		return sizeof(struct net_msg_stats);
	case NET_MSG_STATUS_REQ:
		return sizeof(struct net_msg_status_req);
	case NET_MSG_STATUS:
		return sizeof(struct net_msg_status);
	case NET_MSG_STATUS_END:
		return sizeof(struct net_msg_status_end);
	case NET_MSG_DOM0_ADDRS:
		return sizeof(struct net_msg_dom0_addrs);
	default:
		return 0;
	}
}

void net_msg_init(void *msg, uint32_t type)
{
	struct net_msg_hdr *h = msg;
	memset(msg, 0, net_msg_size(type));
	h->type = type;
	h->size = (uint32_t)net_msg_size(type);
}

int net_msg_send(int sock, const void *msg, int fd, struct spore_err *err)
{
	const struct net_msg_hdr *h = msg;
	size_t size = net_msg_size(h->type);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = size};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (!size || h->size != size)
		return spore_err_setx(err, EINVAL, "message type %u has a bad size", h->type);
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return spore_err_set(err, errno, "send message type %u", h->type);
	if ((size_t)n != size)
		return spore_err_setx(err, EIO, "short send of message type %u", h->type);
	return 0;
}

/* Closes every fd carried by a control message. */
static void close_passed(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int x;
			memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(x);
		}
	}
}

int net_msg_recv(int sock, void *buf, size_t size, int *fd, struct spore_err *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = size};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	struct net_msg_hdr h;
	int got_fd = -1;

	if (fd)
		*fd = -1;
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -EAGAIN : spore_err_set(err, errno, "receive message");
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		close_passed(&mh);
		return spore_err_setx(err, EBADMSG, "truncated message");
	}
	/* Exactly one fd, and only where the caller expects one. */
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (c) {
		if (!fd || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len != CMSG_LEN(sizeof(int)) || CMSG_NXTHDR(&mh, c)) {
			close_passed(&mh);
			return spore_err_setx(err, EBADMSG, "unexpected control data");
		}
		memcpy(&got_fd, CMSG_DATA(c), sizeof(int));
	}
	/* An empty datagram reads as EOF; it can still carry fds (a worker
	 * could leak one into the parent per restart), so this comes after
	 * the control data is dealt with. */
	if (n == 0) {
		if (got_fd >= 0)
			close(got_fd);
		return 0;
	}
	if ((size_t)n < sizeof(h))
		goto bad;
	memcpy(&h, buf, sizeof(h));
	size_t want = net_msg_size(h.type);
	if (!want || (size_t)n != want || h.size != want)
		goto bad;
	if (fd)
		*fd = got_fd;
	return (int)h.type;
bad:
	if (got_fd >= 0)
		close(got_fd);
	return spore_err_setx(err, EBADMSG, "malformed message (%zd bytes)", n);
}

int net_msg_recv_from_worker(int sock, void *buf, size_t size, struct spore_err *err)
{
	int r = net_msg_recv(sock, buf, size, NULL, err);

	if (r > 0 && r != NET_MSG_READY && r != NET_MSG_STATS)
		r = spore_err_setx(err, EBADMSG, "unexpected message type %d from a worker", r);
	return r;
}

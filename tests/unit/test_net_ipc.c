/* sporenet's parent/worker messages over a real SOCK_SEQPACKET pair: exact
 * sizes, fd passing, and refusal of everything else. */
#include "net_ipc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"

static _Alignas(8) uint8_t buf[NET_MSG_MAX_SIZE];

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int main(void)
{
	struct spore_err err = {0};
	int sv[2], p[2], fd;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe(p) < 0) {
		printf("Bail out! socketpair: %s\n", strerror(errno));
		return 1;
	}

	is_int(net_msg_size(NET_MSG_READY), sizeof(struct net_msg_ready), "READY size");
	is_int(net_msg_size(0), 0, "type 0 is unknown");
	is_int(net_msg_size(NET_MSG_TYPE_MAX), 0, "type MAX is unknown");
	ok(NET_MSG_MAX_SIZE >= sizeof(struct net_msg_attach) &&
		   NET_MSG_MAX_SIZE >= sizeof(struct net_msg_status),
	   "the receive buffer holds every message");

	struct net_msg_ready ready;
	net_msg_init(&ready, NET_MSG_READY);
	is_int(net_msg_send(sv[0], &ready, -1, &err), 0, "send READY");
	is_int(net_msg_recv(sv[1], buf, sizeof(buf), &fd, &err), NET_MSG_READY, "receive READY");
	is_int(fd, -1, "no fd with READY");

	struct net_msg_attach at;
	net_msg_init(&at, NET_MSG_ATTACH);
	strcpy(at.attach.ifname, "vif9.0");
	at.uid = 65534;
	is_int(net_msg_send(sv[0], &at, p[1], &err), 0, "send ATTACH with an fd");
	is_int(net_msg_recv(sv[1], buf, sizeof(buf), &fd, &err), NET_MSG_ATTACH, "receive ATTACH");
	ok(fd >= 0 && fd != p[1], "a new fd arrived");
	is_str(((struct net_msg_attach *)buf)->attach.ifname, "vif9.0", "payload intact");
	is_int(((struct net_msg_attach *)buf)->uid, 65534, "uid intact");
	ok(fd >= 0 && write(fd, "x", 1) == 1, "the passed fd is the pipe's write end");
	char c = 0;
	ok(read(p[0], &c, 1) == 1 && c == 'x', "data went through the passed fd");
	ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "received fds are close-on-exec");
	if (fd >= 0)
		close(fd);

	/* An fd where none is expected is closed and the message refused. */
	int before = count_fds();
	is_int(net_msg_send(sv[0], &ready, p[1], &err), 0, "send READY with an fd");
	is_int(net_msg_recv(sv[1], buf, sizeof(buf), NULL, &err), -EBADMSG,
	       "unexpected fd refused");
	is_int(count_fds(), before, "and closed");

	/* Raw datagrams of the wrong shape. */
	struct net_msg_hdr h = {NET_MSG_READY, sizeof(struct net_msg_ready) + 4};
	uint8_t raw[sizeof(struct net_msg_ready) + 4] = {0};
	memcpy(raw, &h, sizeof(h));
	ok(send(sv[0], raw, sizeof(raw), 0) > 0, "send an oversized READY");
	is_int(net_msg_recv(sv[1], buf, sizeof(buf), NULL, &err), -EBADMSG, "wrong size refused");
	h.size = sizeof(struct net_msg_ready);
	memcpy(raw, &h, sizeof(h));
	ok(send(sv[0], raw, sizeof(struct net_msg_ready) + 4, 0) > 0,
	   "send a READY whose header lies about its size");
	is_int(net_msg_recv(sv[1], buf, sizeof(buf), NULL, &err), -EBADMSG,
	       "header/datagram size mismatch refused");
	h.type = 99;
	memcpy(raw, &h, sizeof(h));
	ok(send(sv[0], raw, sizeof(struct net_msg_ready), 0) > 0, "send an unknown type");
	is_int(net_msg_recv(sv[1], buf, sizeof(buf), NULL, &err), -EBADMSG, "unknown type refused");
	ok(send(sv[0], raw, 3, 0) > 0, "send 3 bytes");
	is_int(net_msg_recv(sv[1], buf, sizeof(buf), NULL, &err), -EBADMSG, "runt refused");
	is_int(net_msg_send(sv[0], &at, -1, &err), 0, "send ATTACH");
	is_int(net_msg_recv(sv[1], buf, sizeof(struct net_msg_ready), NULL, &err), -EBADMSG,
	       "truncated receive refused");

	/* What the parent takes from a worker: READY and STATS only, no fd. */
	struct net_msg_stats st;
	net_msg_init(&st, NET_MSG_STATS);
	st.stats.rx_frames = 7;
	is_int(net_msg_send(sv[0], &st, -1, &err), 0, "send STATS");
	is_int(net_msg_recv_from_worker(sv[1], buf, sizeof(buf), &err), NET_MSG_STATS,
	       "a worker's STATS accepted");
	ok(((struct net_msg_stats *)buf)->stats.rx_frames == 7, "... intact");
	is_int(net_msg_send(sv[0], &ready, -1, &err), 0, "send READY");
	is_int(net_msg_recv_from_worker(sv[1], buf, sizeof(buf), &err), NET_MSG_READY,
	       "a worker's READY accepted");
	static const uint32_t parent_only[] = {NET_MSG_ATTACH, NET_MSG_STATUS_REQ, NET_MSG_STATUS,
					       NET_MSG_STATUS_END, NET_MSG_DOM0_ADDRS};
	for (size_t i = 0; i < sizeof(parent_only) / sizeof(parent_only[0]); i++) {
		static _Alignas(8) uint8_t m[NET_MSG_MAX_SIZE];
		net_msg_init(m, parent_only[i]);
		is_int(net_msg_send(sv[0], m, -1, &err), 0, "send a type %u", parent_only[i]);
		is_int(net_msg_recv_from_worker(sv[1], buf, sizeof(buf), &err), -EBADMSG,
		       "type %u from a worker refused", parent_only[i]);
	}
	before = count_fds();
	is_int(net_msg_send(sv[0], &st, p[1], &err), 0, "send STATS with an fd");
	is_int(net_msg_recv_from_worker(sv[1], buf, sizeof(buf), &err), -EBADMSG,
	       "an fd from a worker refused");
	is_int(count_fds(), before, "and closed");

	/* An empty datagram reads as EOF, and an fd it carries is closed
	 * (found by fuzz_net_ipc: the parent leaked it). */
	for (int as_worker = 0; as_worker < 2; as_worker++) {
		union {
			char b[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} ctl = {0};
		struct iovec iov = {.iov_base = buf, .iov_len = 0};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
				    .msg_controllen = sizeof(ctl.b)};
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &p[1], sizeof(int));
		before = count_fds();
		is_int((int)sendmsg(sv[0], &mh, 0), 0, "send an empty datagram with an fd");
		fd = 7777;
		/* Unwanted control data is refused first; else it is EOF. */
		is_int(net_msg_recv(sv[1], buf, sizeof(buf), as_worker ? &fd : NULL, &err),
		       as_worker ? 0 : -EBADMSG, "an empty datagram with an fd: %s",
		       as_worker ? "EOF" : "refused");
		is_int(count_fds(), before, "... and its fd is closed");
		if (as_worker)
			is_int(fd, -1, "... and not handed out");
	}

	/* Sending a message whose header is inconsistent is refused. */
	ready.hdr.size = 1;
	is_int(net_msg_send(sv[0], &ready, -1, &err), -EINVAL, "bad header not sent");

	/* Empty non-blocking socket, then EOF. */
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	is_int(net_msg_recv(sv[1], buf, sizeof(buf), NULL, &err), -EAGAIN, "nothing pending");
	close(sv[0]);
	is_int(net_msg_recv(sv[1], buf, sizeof(buf), NULL, &err), 0, "EOF");
	return tap_done();
}

/* libFuzzer target: what a compromised sporenet worker can send its root
 * parent. Each datagram goes over a real SOCK_SEQPACKET pair, with file
 * descriptors attached if the input says so, into the parent's receive
 * (net_msg_recv_from_worker()) or, for coverage of the fd-taking path, the
 * worker's own (net_msg_recv() with an fd). Besides ASan's checks, every
 * input must leave the process's fd count as it found it: a passed fd that
 * is neither returned nor closed would be a leak a worker could repeat
 * until the parent runs out of descriptors.
 *
 * Input: records of [flags][type][len lo][len hi][len bytes of payload].
 * flags bit 0: attach one fd; bit 1: attach two in one control message;
 * bit 2: two control messages of one fd each; bit 3: receive as the
 * worker (fd expected); bit 4: "framed": the datagram is net_msg_size(type)
 * bytes with a valid header over the payload (so seeds need not know the
 * structs' sizes); otherwise the payload is sent as it is. */
#include "net_ipc.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int pipefd[2];
static uint8_t *rbuf; /* exactly NET_MSG_MAX_SIZE: overreads are caught */
static uint8_t dgram[65536 + 64];

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (pipe2(pipefd, O_CLOEXEC) < 0 || !(rbuf = malloc(NET_MSG_MAX_SIZE)))
		abort();
	return 0;
}

/* Sends one datagram with the fds the flags ask for; 0 if it was sent. */
static int send_one(int sock, const uint8_t *msg, size_t len, uint8_t flags)
{
	union {
		char buf[2 * CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	int fds[2] = {pipefd[0], pipefd[1]};

	memset(&ctl, 0, sizeof(ctl));
	if (flags & 7) {
		mh.msg_control = ctl.buf;
		struct cmsghdr *c = (struct cmsghdr *)ctl.buf;
		size_t nfd = (flags & 2) ? 2 : 1;
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfd * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfd * sizeof(int));
		mh.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
		if (flags & 4) {
			struct cmsghdr *c2 = (struct cmsghdr *)(ctl.buf + mh.msg_controllen);
			c2->cmsg_level = SOL_SOCKET;
			c2->cmsg_type = SCM_RIGHTS;
			c2->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c2), &fds[1], sizeof(int));
			mh.msg_controllen += CMSG_SPACE(sizeof(int));
		}
	}
	return sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spore_err err = {0};
	int sv[2], before = count_fds();
	size_t off = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		abort();
	while (size - off >= 4) {
		uint8_t flags = data[off], type = data[off + 1];
		size_t plen = (size_t)data[off + 2] | (size_t)data[off + 3] << 8;
		off += 4;
		if (plen > size - off)
			plen = size - off;
		size_t len = plen;
		if (flags & 0x10) {
			/* A well-formed message of this type, payload over it. */
			len = net_msg_size(type);
			if (!len)
				len = sizeof(struct net_msg_hdr);
			memset(dgram, 0, len);
			memcpy(dgram, data + off, plen < len ? plen : len);
			struct net_msg_hdr h = {.type = type, .size = (uint32_t)len};
			memcpy(dgram, &h, sizeof(h));
		} else {
			memcpy(dgram, data + off, plen);
		}
		off += plen;
		if (send_one(sv[0], dgram, len, flags) < 0)
			continue;

		int fd = -1, r;
		if (flags & 8) {
			r = net_msg_recv(sv[1], rbuf, NET_MSG_MAX_SIZE, &fd, &err);
			if (r <= 0 && fd != -1)
				abort(); /* an fd handed out with a refusal */
		} else {
			r = net_msg_recv_from_worker(sv[1], rbuf, NET_MSG_MAX_SIZE, &err);
			if (r > 0 && r != NET_MSG_READY && r != NET_MSG_STATS)
				abort();
		}
		if (r > 0) {
			/* The parent trusts only the size the type implies. */
			struct net_msg_hdr h;
			memcpy(&h, rbuf, sizeof(h));
			if (h.type != (uint32_t)r || h.size != net_msg_size(h.type))
				abort();
			if (r == NET_MSG_STATS) {
				volatile uint64_t sum = 0;
				struct net_stats st;
				memcpy(&st, &((struct net_msg_stats *)rbuf)->stats, sizeof(st));
				for (size_t i = 0; i < NET_VERDICT_COUNT; i++)
					sum += st.drops[i];
				(void)sum;
			}
		}
		if (fd >= 0)
			close(fd);
	}
	close(sv[0]);
	close(sv[1]);
	if (count_fds() != before) {
		fprintf(stderr, "fd leak: %d open before, %d after\n", before, count_fds());
		abort();
	}
	return 0;
}

/* A scripted xenstored for unit tests of the xenstore client: a Unix socket
 * in a fresh temp directory and a forked peer that accepts one connection
 * and speaks the wire protocol as the test's peer function scripts it.
 * Usage: fxs_start(&f, peer, arg); spore_xs_open_path(&xs, f.path, ...);
 * ... spore_xs_close(xs); status = fxs_finish(&f). */
#ifndef SPORE_TEST_FAKE_XENSTORED_H
#define SPORE_TEST_FAKE_XENSTORED_H

#include <spore/xenstore.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

struct fxs {
	char dir[32], path[64];
	pid_t pid;
};

/* Reads exactly n bytes; -1 on EOF or error. */
static inline int fxs_read_full(int fd, void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Sends one message (strings, then raw bytes); the peer exits 3 if it
 * cannot. */
static inline void fxs_send(int fd, uint32_t type, uint32_t req, const char *const *strs, size_t n,
			    const void *raw, size_t rawlen)
{
	char buf[4200];
	struct spore_err e = {0};
	int len = spore_xs_encode(buf, sizeof(buf), type, req, 0, strs, n, raw, rawlen, &e);
	if (len <= 0 || write(fd, buf, (size_t)len) != len)
		_exit(3);
}

/* Listens and forks the peer, which runs peer(listening fd, arg) and must
 * end with _exit (0 for a conversation it found well-formed). */
static inline int fxs_start(struct fxs *f, void (*peer)(int lfd, void *arg), void *arg)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(f->dir, sizeof(f->dir), "/tmp/spore-fxs.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/sock", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0)
		return -1;
	f->pid = fork();
	if (f->pid < 0)
		return -1;
	if (f->pid == 0) {
		peer(lfd, arg);
		_exit(4);
	}
	close(lfd);
	return 0;
}

/* Waits for the peer (the client must have hung up) and removes the
 * socket; returns the peer's wait status. */
static inline int fxs_finish(struct fxs *f)
{
	int st = 0;
	waitpid(f->pid, &st, 0);
	unlink(f->path);
	rmdir(f->dir);
	return st;
}

#endif

/* The container's stderr, apart from its stdout: without a tty its fd 2
 * is a pipe, and sporeinit sends what comes out of it over the control
 * channel (STDERR frames on stream 0), which spored logs as the stderr
 * stream and gives attached clients as their stderr. Until spored has
 * greeted the channel the pipe is left alone (it holds 64 KiB) for a few
 * seconds; a guest with no channel, or none greeted by then (spored down),
 * gets its stderr on the console as before, so nothing is lost. Read only
 * while the channel has room: a slow reader holds the writer back. */
#include "init.h"

#include <spore/chan_proto.h>
#include <spore/clock.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define WAIT_CHAN_MS 5000
#define FINISH_MS 3000

static int rfd = -1;
static int64_t started;
static bool console_only; /* the end's deadline passed */

int errout_pipe(int *wfd)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	rfd = p[0];
	*wfd = p[1];
	fcntl(rfd, F_SETFL, O_NONBLOCK);
	started = spore_now_ms();
	return 0;
}

/* 1: to the channel; 0: wait for it; -1: to the console. */
static int route(void)
{
	if (console_only)
		return -1;
	if (chan_greeted())
		return 1;
	return spore_now_ms() - started < WAIT_CHAN_MS ? 0 : -1;
}

void errout_pollfd(struct pollfd *p, int *timeout_ms)
{
	int r = route();

	*p = (struct pollfd){.fd = -1, .events = POLLIN};
	if (rfd < 0)
		return;
	if (r == 0) {
		int64_t left = started + WAIT_CHAN_MS - spore_now_ms();
		int t = left < 0 ? 0 : (int)left;
		if (*timeout_ms < 0 || t < *timeout_ms)
			*timeout_ms = t;
		return;
	}
	if (r < 0 || chan_room() >= SPORE_CHAN_MAX_FRAME)
		p->fd = rfd;
}

static void to_console(const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(2, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere else to put it */
		p += w;
		n -= (size_t)w;
	}
}

void errout_polled(short revents)
{
	uint8_t buf[SPORE_CHAN_MAX_PAYLOAD];
	int r = route();

	if (rfd < 0 || !revents || r == 0 || (r == 1 && chan_room() < SPORE_CHAN_MAX_FRAME))
		return;
	ssize_t n = read(rfd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close(rfd);
		rfd = -1;
		return;
	}
	if (r == 1)
		chan_send(SPORE_CHAN_STDERR, 0, buf, (size_t)n);
	else
		to_console(buf, (size_t)n);
}

void errout_finish(void)
{
	int64_t deadline = spore_now_ms() + FINISH_MS;

	/* Every writer is gone (the container's processes were killed): what
	 * the pipe holds, then EOF. Past the deadline, the console. */
	while (rfd >= 0) {
		struct pollfd p[2];
		int timeout = 100;
		console_only = spore_now_ms() >= deadline;
		errout_pollfd(&p[0], &timeout);
		p[1] = (struct pollfd){.fd = chan_fd(), .events = chan_events()};
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			break;
		errout_polled(p[0].revents | POLLIN);
		if (p[1].fd >= 0 || chan_events())
			chan_polled(p[1].revents | POLLOUT);
	}
	/* The frames written, then out of the tty's buffer into the ring. */
	while (chan_fd() >= 0 && chan_pending() && spore_now_ms() < deadline) {
		struct pollfd p = {.fd = chan_fd(), .events = POLLOUT};
		poll(&p, 1, 100);
		chan_polled(p.revents | POLLOUT);
	}
	int queued;
	while (chan_fd() >= 0 && spore_now_ms() < deadline && ioctl(chan_fd(), TIOCOUTQ, &queued) == 0 &&
	       queued > 0)
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
}

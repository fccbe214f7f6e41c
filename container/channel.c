/* sporeinit's end of the control channel to spored: /dev/hvc1, the guest's
 * second PV console (include/spore/chan_proto.h's frames). Raw, non-blocking;
 * what spored sends is decoded whole before use, and a frame that breaks a
 * rule closes the channel (spored is trusted, but a bug must not make PID 1
 * act on garbage). */
#include "init.h"

#include <spore/chan_proto.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static int fd = -1;
static uint8_t in[2 * SPORE_CHAN_MAX_FRAME];
static size_t inlen;
static uint8_t out[16 * 1024];
static size_t outlen;
static bool greeted; /* a spored said HELLO since the channel opened */

int chan_open(void)
{
	struct termios t;

	if (fd >= 0)
		return 0;
	/* hvc's nodes exist for every index; an index without a console
	 * (no frontend yet, or an older toolstack) fails with ENODEV. */
	fd = open(SPORE_CHAN_DEV, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Bytes as they are: no echo, no line discipline, no CR mangling. */
	if (tcgetattr(fd, &t) < 0 || (cfmakeraw(&t), tcsetattr(fd, TCSANOW, &t)) < 0) {
		int e = -errno;
		close(fd);
		fd = -1;
		return e;
	}
	/* Whatever came before the line discipline was raw is not trusted
	 * to be whole; spored sends nothing before the word below. */
	tcflush(fd, TCIOFLUSH);
	if (xb_write(SPORE_CHAN_READY_KEY, "ready") < 0)
		warn("control channel: cannot tell dom0 it is ready");
	trace("control channel %s open", SPORE_CHAN_DEV);
	return 0;
}

int chan_fd(void)
{
	return fd;
}

static void chan_close(const char *why)
{
	warn("control channel closed: %s", why);
	close(fd);
	fd = -1;
	inlen = outlen = 0;
	greeted = false;
}

/* Queues a frame; false if there is no room (the caller holds back). */
bool chan_send(uint8_t type, uint8_t stream, const void *p, size_t len)
{
	size_t n;
	if (fd < 0)
		return false;
	n = spore_chan_encode(out + outlen, sizeof(out) - outlen, type, stream, p, len);
	outlen += n;
	return n > 0;
}

size_t chan_room(void)
{
	return sizeof(out) - outlen;
}

size_t chan_pending(void)
{
	return outlen;
}

bool chan_greeted(void)
{
	return fd >= 0 && greeted;
}

static void flush(void)
{
	while (fd >= 0 && outlen) {
		ssize_t n = write(fd, out, outlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			chan_close(strerror(errno));
			return;
		}
		memmove(out, out + n, outlen - (size_t)n);
		outlen -= (size_t)n;
	}
}

short chan_events(void)
{
	return fd < 0 ? 0 : (short)(POLLIN | (outlen ? POLLOUT : 0));
}

static bool on_frame(const struct spore_chan_msg *m)
{
	if (spore_chan_from_guest(m->type) && m->type != SPORE_CHAN_HELLO)
		return false;
	if (m->type == SPORE_CHAN_HELLO) {
		/* A spored (re)connected: the sessions of the one before end
		 * with it (their clients are gone). */
		uint8_t v[2] = {SPORE_CHAN_VERSION & 0xff, SPORE_CHAN_VERSION >> 8};
		exec_reset();
		greeted = true;
		trace("control channel: spored speaks version %u", spore_chan_hello_version(m));
		return chan_send(SPORE_CHAN_HELLO, 0, v, sizeof(v));
	}
	return exec_frame(m);
}

void chan_polled(short revents)
{
	if (fd < 0)
		return;
	if (revents & POLLIN) {
		for (;;) {
			ssize_t n = read(fd, in + inlen, sizeof(in) - inlen);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			inlen += (size_t)n;
			size_t used = 0;
			for (;;) {
				struct spore_chan_msg m;
				const char *why;
				int k = spore_chan_decode(in + used, inlen - used, &m, &why);
				if (k < 0 || (k > 0 && !on_frame(&m))) {
					chan_close(k < 0 ? why : "unexpected frame");
					return;
				}
				if (k == 0)
					break;
				used += (size_t)k;
			}
			memmove(in, in + used, inlen - used);
			inlen -= used;
		}
	}
	flush();
}

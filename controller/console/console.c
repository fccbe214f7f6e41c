/* Guest console relay; see console.h. */
#include "console.h"

#include <spore/svc_proto.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* When stdout and stderr are one file (2>&1, a terminal), the container's
 * two streams, which come by separate paths (console ring, control
 * channel), are merged a line at a time: stderr is held until it ends a
 * line and stdout is at a line's start, or for at most MERGE_HOLD_MS, so
 * that a line of one is never cut by the other. */
#define MERGE_HOLD_MS 500

struct merge {
	bool on;
	bool out_bol; /* stdout is at a line's start */
	char err[8192];
	size_t errlen;
};

long console_find_escape(const char *buf, long n)
{
	const char *p = memchr(buf, CONSOLE_ESCAPE, n > 0 ? (size_t)n : 0);
	return p ? p - buf : -1;
}

size_t console_incomplete_escape(const char *buf, size_t n)
{
	/* Longer tails are not a terminal's reply: pass them on. */
	size_t from = n > 32 ? n - 32 : 0;
	const char *esc = NULL;

	for (size_t i = n; i > from; i--)
		if (buf[i - 1] == 0x1b) {
			esc = buf + i - 1;
			break;
		}
	if (!esc)
		return 0;
	size_t tail = (size_t)(buf + n - esc);
	if (tail == 1 || (tail == 2 && (esc[1] == 'O' || esc[1] == '[')))
		return tail;
	if (esc[1] != '[')
		return 0;
	/* CSI: parameter and intermediate bytes until a final byte. */
	for (size_t i = 2; i < tail; i++)
		if ((unsigned char)esc[i] < 0x20 || (unsigned char)esc[i] > 0x3f)
			return 0;
	return tail;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd q = {.fd = fd, .events = POLLOUT};
				poll(&q, 1, 1000);
				continue;
			}
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static bool same_file(int a, int b)
{
	struct stat x, y;
	return a > 0 && b > 0 && fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev &&
	       x.st_ino == y.st_ino;
}

/* Writes the held stderr to the merged file: its whole lines once stdout
 * is at a line's start, or everything (all). */
static int merge_flush(const struct console_relay *c, struct merge *m, bool all)
{
	size_t n = m->errlen;
	if (!all) {
		const char *nl = m->out_bol ? memrchr(m->err, '\n', m->errlen) : NULL;
		n = nl ? (size_t)(nl - m->err) + 1 : 0;
	}
	if (!n)
		return 0;
	bool bol = m->err[n - 1] == '\n';
	int r = write_all(c->out_fd, m->err, n);
	memmove(m->err, m->err + n, m->errlen - n);
	m->errlen -= n;
	m->out_bol = bol;
	return r;
}

/* One message from spored: 0 to go on, else the relay's end. */
static int from_spored(const struct console_relay *c, struct merge *mg, unsigned char *buf,
		       struct spore_err *err)
{
	struct spore_svc_msg m;
	int r = spore_svc_recv(c->svc_fd, buf, &m, err);
	if (r == -EAGAIN)
		return 0;
	if (r < 0)
		return r;
	if (r == 0)
		return CONSOLE_LOST;
	switch (m.type) {
	case SPORE_SVC_OUTPUT:
		r = write_all(c->out_fd, m.payload, m.len);
		mg->out_bol = m.payload[m.len - 1] == '\n';
		if (r >= 0 && mg->on)
			r = merge_flush(c, mg, false);
		return r < 0 ? spore_err_set(err, -r, "console: writing output") : 0;
	case SPORE_SVC_OUTPUT_ERR:
		if (!mg->on) {
			r = write_all(c->err_fd > 0 ? c->err_fd : c->out_fd, m.payload, m.len);
			return r < 0 ? spore_err_set(err, -r, "console: writing output") : 0;
		}
		r = 0;
		if (mg->errlen + m.len > sizeof(mg->err))
			r = merge_flush(c, mg, true);
		if (r >= 0 && m.len > sizeof(mg->err)) {
			r = write_all(c->out_fd, m.payload, m.len);
			mg->out_bol = m.payload[m.len - 1] == '\n';
		} else if (r >= 0) {
			memcpy(mg->err + mg->errlen, m.payload, m.len);
			mg->errlen += m.len;
			r = merge_flush(c, mg, false);
		}
		return r < 0 ? spore_err_set(err, -r, "console: writing output") : 0;
	case SPORE_SVC_EOF:
		return CONSOLE_CLOSED;
	case SPORE_SVC_ERROR: {
		char text[SPORE_SVC_MAX_TEXT + 1];
		int code = spore_svc_error_text(&m, text);
		return spore_err_setx(err, code, "spored: %s", text);
	}
	default:
		return spore_err_setx(err, EPROTO, "console: spored sent message type %u", m.type);
	}
}

/* Sends n bytes of input in messages of at most the largest payload. */
static int to_spored(int fd, const char *buf, size_t n)
{
	while (n) {
		size_t k = n < SPORE_SVC_MAX_PAYLOAD ? n : SPORE_SVC_MAX_PAYLOAD;
		int r = spore_svc_send(fd, SPORE_SVC_INPUT, buf, k, 0);
		if (r < 0)
			return r;
		buf += k;
		n -= k;
	}
	return 0;
}

int console_relay_run(const struct console_relay *c, struct spore_err *err)
{
	static unsigned char msg[SPORE_SVC_MAX_MSG];
	static struct merge mg;
	struct termios saved, raw;
	bool restored = true;
	char buf[4096];
	int in_fd = c->in_fd, ret = 0;

	if (c->raw && in_fd >= 0 && isatty(in_fd) && tcgetattr(in_fd, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		if (tcsetattr(in_fd, TCSANOW, &raw) == 0)
			restored = false;
	}
	mg.on = same_file(c->out_fd, c->err_fd);
	mg.out_bol = true;
	mg.errlen = 0;
	while (!ret) {
		struct pollfd p[3] = {
			{.fd = c->svc_fd, .events = POLLIN},
			{.fd = in_fd, .events = POLLIN},
			{.fd = c->stop_fd, .events = POLLIN},
		};
		int k = poll(p, 3, mg.errlen ? MERGE_HOLD_MS : -1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			ret = spore_err_set(err, errno, "console: poll");
			break;
		}
		/* Held stderr that nothing completed meanwhile goes as it is. */
		int w = k == 0 ? merge_flush(c, &mg, true) : 0;
		if (w < 0) {
			ret = spore_err_set(err, -w, "console: writing output");
			break;
		}
		/* Guest output first, so nothing printed before a stop is lost. */
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ret = from_spored(c, &mg, msg, err);
			continue;
		}
		if (p[2].revents) {
			ret = CONSOLE_STOPPED;
			break;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(in_fd, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				in_fd = -1; /* keep relaying output */
				continue;
			}
			/* An escape sequence cut short: wait up to 100 ms for
			 * its rest, then send what came as one message. */
			struct pollfd more = {.fd = in_fd, .events = POLLIN};
			while (console_incomplete_escape(buf, (size_t)n) && (size_t)n < sizeof(buf) &&
			       poll(&more, 1, 100) > 0) {
				ssize_t m = read(in_fd, buf + n, sizeof(buf) - (size_t)n);
				if (m <= 0)
					break;
				n += m;
			}
			long esc = c->no_escape ? -1 : console_find_escape(buf, n);
			int r = to_spored(c->svc_fd, buf, (size_t)(esc >= 0 ? esc : n));
			if (r < 0 && r != -EPIPE && r != -ECONNRESET) {
				ret = spore_err_set(err, -r, "console: sending input");
				break;
			}
			if (esc >= 0)
				ret = CONSOLE_DETACHED;
		}
	}
	/* What stderr still holds (the guest ended mid-line). */
	int w = merge_flush(c, &mg, true);
	if (w < 0 && ret >= 0)
		ret = spore_err_set(err, -w, "console: writing output");
	if (!restored)
		tcsetattr(c->in_fd, TCSANOW, &saved);
	return ret;
}

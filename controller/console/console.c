/* Guest console relay; see console.h. */
#include "console.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

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

static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = {.fd = fd, .events = POLLOUT};
				poll(&p, 1, 1000);
				continue;
			}
			return -errno;
		}
		buf += w;
		n -= w;
	}
	return 0;
}

int console_relay_run(const struct console_relay *c, struct spore_err *err)
{
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
	while (!ret) {
		struct pollfd p[3] = {
			{.fd = c->pty_fd, .events = POLLIN},
			{.fd = in_fd, .events = POLLIN},
			{.fd = c->stop_fd, .events = POLLIN},
		};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = spore_err_set(err, errno, "console: poll");
			break;
		}
		/* Guest output first, so nothing printed before a stop is lost. */
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(c->pty_fd, buf, sizeof(buf));
			if (n > 0) {
				int r = write_all(c->out_fd, buf, n);
				if (r < 0)
					ret = spore_err_set(err, -r, "console: writing output");
				continue;
			}
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			ret = CONSOLE_CLOSED; /* EIO on a hung-up pty, or EOF */
			break;
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
			 * its rest, then send what came as one write. */
			struct pollfd more = {.fd = in_fd, .events = POLLIN};
			while (console_incomplete_escape(buf, (size_t)n) && (size_t)n < sizeof(buf) &&
			       poll(&more, 1, 100) > 0) {
				ssize_t m = read(in_fd, buf + n, sizeof(buf) - (size_t)n);
				if (m <= 0)
					break;
				n += m;
			}
			long esc = c->no_escape ? -1 : console_find_escape(buf, n);
			int r = write_all(c->pty_fd, buf, esc >= 0 ? esc : n);
			if (r < 0 && r != -EIO) {
				ret = spore_err_set(err, -r, "console: writing input");
				break;
			}
			if (esc >= 0)
				ret = CONSOLE_DETACHED;
		}
	}
	if (!restored)
		tcsetattr(c->in_fd, TCSANOW, &saved);
	return ret;
}

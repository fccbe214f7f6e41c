#include "console_attach.h"

#include "console.h"
#include "foreignmem.h"
#include "guest_teardown.h"
#include <spore/clock.h>
#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <xen/io/console.h>

void log_unpaused(uint32_t domid)
{
	/* Wall-clock time on purpose: tests/bench/boot-vs-xl.sh compares it with
	 * bash's $EPOCHREALTIME taken before sporectl started. */
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	log_debug("unpaused domain %" PRIu32 " at %lld.%06ld (CLOCK_REALTIME)", domid,
		  (long long)t.tv_sec, t.tv_nsec / 1000);
}

void console_tty_path(uint32_t domid, char *buf, size_t n)
{
	snprintf(buf, n, "/local/domain/%" PRIu32 "/console/tty", domid);
}

int console_try_open_pty(struct spore_xs *xs, uint32_t domid, struct spore_err *err)
{
	char path[80];
	char *tty = NULL;
	size_t len;
	int fd;

	console_tty_path(domid, path, sizeof(path));
	int r = spore_xs_read(xs, 0, path, &tty, &len, err);
	if (r == -ENOENT || (r >= 0 && len == 0)) {
		free(tty);
		return -EAGAIN;
	}
	if (r < 0)
		return r;
	fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		r = spore_err_set(err, errno, "open console %s of domain %" PRIu32, tty, domid);
		free(tty);
		return r;
	}
	log_debug("console: pty %s", tty);
	free(tty);
	/* The pty must not echo or translate: the guest's tty does that. */
	struct termios t;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

int console_timeout(struct spore_err *err, uint32_t domid, int timeout_ms)
{
	return spore_err_setx(err, ETIMEDOUT,
			      "domain %" PRIu32 " has no console: xenconsoled did not "
			      "publish a pty within %d s (is xenconsoled running?)",
			      domid, timeout_ms / 1000);
}

struct pty_look {
	uint32_t domid;
	int fd;
};

static int look_pty(struct spore_xs *xs, void *arg, struct spore_err *err)
{
	struct pty_look *p = arg;
	int fd = console_try_open_pty(xs, p->domid, err);
	if (fd < 0)
		return fd == -EAGAIN ? 0 : fd;
	p->fd = fd;
	return 1;
}

int console_open_pty(struct spore_xs *xs, uint32_t domid, int timeout_ms, struct spore_err *err)
{
	struct pty_look p = {.domid = domid};
	char path[80];

	console_tty_path(domid, path, sizeof(path));
	int r = spore_xs_wait(xs, path, timeout_ms, look_pty, &p, err);
	if (r == -ETIMEDOUT)
		return console_timeout(err, domid, timeout_ms);
	return r < 0 ? r : p.fd;
}

/* Maps the console ring of a stopped domain read-only (the frame named in
 * its console/ring-ref), to see whether xenconsoled has taken all of it. */
static int map_console_ring(struct spore_xc *xc, struct spore_xs *xs, uint32_t domid,
			    struct spore_fmap *m)
{
	char path[64], *val = NULL, *end;
	size_t len;
	struct spore_err e = {0};
	int r;

	snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/console/ring-ref", domid);
	if ((r = spore_xs_read(xs, 0, path, &val, &len, &e)) < 0)
		return r;
	errno = 0;
	xen_pfn_t mfn = strtoull(val, &end, 10);
	r = errno || end == val || *end ? -EINVAL : spore_fmem_map(xc, domid, PROT_READ, &mfn, 1, m, &e);
	free(val);
	return r;
}

/* Relays what the guest wrote just before it stopped: until xenconsoled has
 * taken everything from the ring and the pty stays quiet for 50 ms (or 3 s
 * have passed). xenconsoled reads the ring of a stopped domain as long as it
 * exists, but not always at once (it rate-limits busy consoles). */
static void drain_stopped(struct spore_xc *xc, struct spore_xs *xs, uint32_t domid, int pty_fd)
{
	struct spore_fmap ring = {0};
	struct pollfd p = {.fd = pty_fd, .events = POLLIN};
	int64_t deadline = spore_now_ms() + 3000;
	char buf[4096];

	bool mapped = map_console_ring(xc, xs, domid, &ring) >= 0;
	const volatile struct xencons_interface *intf = ring.addr;
	for (;;) {
		int n = poll(&p, 1, 50);
		if (n > 0) {
			ssize_t got = read(pty_fd, buf, sizeof(buf));
			if (got <= 0 || write(STDOUT_FILENO, buf, got) != got)
				break;
			continue;
		}
		if (n < 0 || !mapped || intf->out_cons == intf->out_prod || spore_now_ms() > deadline)
			break;
	}
	spore_fmem_unmap(&ring);
}

int console_attach(struct spore_xc *xc, struct spore_xs *xs, uint32_t domid, int pty_fd,
		   bool no_escape, unsigned *reason, char *status, size_t status_len, struct spore_err *err)
{
	struct spore_dominfo info;
	char status_path[96];
	int r;

	/* @releaseDomain fires when any domain shuts down or dies. */
	if ((r = spore_xs_watch(xs, "@releaseDomain", "release", err)) < 0)
		return r;
	if (status) {
		status[0] = '\0';
		spore_guest_exit_status_path(domid, status_path, sizeof(status_path));
		if ((r = spore_xs_watch(xs, status_path, "status", err)) < 0) {
			status = NULL;
			goto out;
		}
	}
	/* Input that is not a terminal (a pipe) is forwarded too; the relay
	 * keeps relaying output after it ends. */
	struct console_relay c = {
		.in_fd = STDIN_FILENO,
		.out_fd = STDOUT_FILENO,
		.pty_fd = pty_fd,
		.stop_fd = spore_xs_watch_fd(xs),
		.raw = true,
		.no_escape = no_escape,
	};
	for (;;) {
		r = console_relay_run(&c, err);
		if (r < 0)
			break;
		if (r == CONSOLE_DETACHED) {
			r = ATTACH_DETACHED;
			break;
		}
		/* Drain watch events, then look at the domain itself. */
		struct spore_xs_event *ev = NULL;
		while (spore_xs_read_watch(xs, &ev, 0, err) >= 0) {
			if (status && !status[0] && !strcmp(ev->token, "status"))
				spore_guest_read_exit_status(xs, domid, status, status_len);
			free(ev);
			ev = NULL;
		}
		int g = spore_xc_domain_getinfo(xc, domid, &info, err);
		if (g == -ESRCH) {
			r = ATTACH_GONE;
			break;
		}
		if (g < 0) {
			r = g;
			break;
		}
		if (spore_dominfo_shutdown(&info) || spore_dominfo_dying(&info)) {
			drain_stopped(xc, xs, domid, pty_fd);
			if (status && !status[0]) /* its watch event not seen yet */
				spore_guest_read_exit_status(xs, domid, status, status_len);
			if (reason)
				*reason = spore_dominfo_shutdown_reason(&info);
			r = ATTACH_SHUTDOWN;
			break;
		}
		if (r == CONSOLE_CLOSED) {
			/* The pty hung up but the domain runs: xenconsoled went away. */
			r = spore_err_setx(err, EPIPE, "console of domain %" PRIu32 " closed", domid);
			break;
		}
	}
out:;
	struct spore_err e2 = {0};
	if (status)
		spore_xs_unwatch(xs, status_path, "status", &e2);
	spore_xs_unwatch(xs, "@releaseDomain", "release", &e2);
	return r;
}

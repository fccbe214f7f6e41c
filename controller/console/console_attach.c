#include "console_attach.h"

#include "console.h"
#include "guest_teardown.h"
#include <spore/clock.h>
#include <spore/log.h>
#include <spore/svc_proto.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

void log_unpaused(uint32_t domid)
{
	/* Wall-clock time on purpose: tests/bench/boot-vs-xl.sh compares it with
	 * bash's $EPOCHREALTIME taken before sporectl started. */
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	log_debug("unpaused domain %" PRIu32 " at %lld.%06ld (CLOCK_REALTIME)", domid,
		  (long long)t.tv_sec, t.tv_nsec / 1000);
}

int console_connect(const char *uuid, uint32_t history, struct spore_err *err)
{
	static unsigned char buf[SPORE_SVC_MAX_MSG];
	struct spore_svc_attach a = {.history = history};
	struct spore_svc_msg m;
	int fd, r;

	if (strlen(uuid) != 36)
		return spore_err_setx(err, EINVAL, "console: bad guest uuid '%s'", uuid);
	memcpy(a.uuid, uuid, 36);
	if ((fd = spore_svc_connect(NULL, err)) < 0)
		return fd;
	if ((r = spore_svc_send(fd, SPORE_SVC_ATTACH, &a, sizeof(a), 0)) < 0) {
		r = spore_err_set(err, -r, "console: asking spored to attach");
		goto fail;
	}
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if ((r = poll(&p, 1, 10000)) <= 0) {
		r = spore_err_setx(err, ETIMEDOUT, "console: spored did not answer within 10 s");
		goto fail;
	}
	r = spore_svc_recv(fd, buf, &m, err);
	if (r == 0)
		r = spore_err_setx(err, EPIPE, "console: spored closed the connection");
	if (r < 0)
		goto fail;
	if (m.type == SPORE_SVC_ERROR) {
		char text[SPORE_SVC_MAX_TEXT + 1];
		int code = spore_svc_error_text(&m, text);
		r = spore_err_setx(err, code, "spored: %s", text);
		goto fail;
	}
	if (m.type != SPORE_SVC_ATTACHED) {
		r = spore_err_setx(err, EPROTO, "console: spored answered with message type %u",
				   m.type);
		goto fail;
	}
	log_debug("console: attached to %s through spored", uuid);
	return fd;
fail:
	close(fd);
	return r;
}

bool console_spored_answers(void)
{
	static unsigned char buf[SPORE_SVC_MAX_MSG];
	struct spore_svc_msg m;
	struct spore_err e = {0};
	bool yes = false;
	int fd = spore_svc_connect(NULL, &e);

	if (fd < 0)
		return false;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int k = spore_svc_send(fd, SPORE_SVC_PING, NULL, 0, 0) == 0 ? poll(&p, 1, 2000) : -1;
	if (k > 0 && spore_svc_recv(fd, buf, &m, &e) > 0 && m.type == SPORE_SVC_PONG)
		yes = true;
	/* Listening but slow (many launches at once): there, only busy; the
	 * warning is for a spored that is not there. */
	if (k == 0) {
		log_debug("spored took more than 2 s to answer a ping: taken as busy");
		yes = true;
	}
	close(fd);
	return yes;
}

/* spored went away (killed, restarting): its next instance serves the
 * guest again; attach to it without history (what came meanwhile is in the
 * log). Up to 10 s. */
static int reconnect(const char *uuid, struct spore_err *err)
{
	int64_t deadline = spore_now_ms() + 10000;
	int fd;
	log_warn("console: spored went away; reconnecting");
	for (;;) {
		struct spore_err e = {0};
		if ((fd = console_connect(uuid, 0, &e)) >= 0)
			return fd;
		if (spore_now_ms() > deadline) {
			*err = e;
			return spore_err_wrap(err, "console: spored went away");
		}
		poll(NULL, 0, 200);
	}
}

/* A timer fd that fires once after ms. */
static int timer_after(int ms)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec t = {.it_value = {ms / 1000, (long)(ms % 1000) * 1000000}};
	if (fd >= 0)
		timerfd_settime(fd, 0, &t, NULL);
	return fd;
}

/* Relays what the guest wrote just before it stopped: spored takes the
 * ring's last bytes when it sees the domain stop and then says EOF (up to
 * 3 s; no input any more). */
static void drain_stopped(int svc_fd)
{
	struct spore_err e = {0};
	int t = timer_after(3000);
	struct console_relay c = {.in_fd = -1, .out_fd = STDOUT_FILENO, .err_fd = STDERR_FILENO,
				  .svc_fd = svc_fd,
				  .stop_fd = t};
	int r = console_relay_run(&c, &e);
	if (r == CONSOLE_STOPPED)
		log_debug("console: no EOF from spored within 3 s of the stop");
	else if (r < 0)
		log_debug("console: %s", e.msg);
	if (t >= 0)
		close(t);
}

int console_attach(struct spore_xc *xc, struct spore_xs *xs, uint32_t domid, const char *uuid,
		   int *svc_fd, bool no_escape, unsigned *reason, char *status, size_t status_len,
		   struct spore_err *err)
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
		.out_fd = STDOUT_FILENO, .err_fd = STDERR_FILENO,
		.svc_fd = *svc_fd,
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
			if (r != CONSOLE_CLOSED && r != CONSOLE_LOST)
				drain_stopped(*svc_fd);
			r = ATTACH_GONE;
			break;
		}
		if (g < 0) {
			r = g;
			break;
		}
		if (spore_dominfo_shutdown(&info) || spore_dominfo_dying(&info)) {
			if (r != CONSOLE_CLOSED && r != CONSOLE_LOST)
				drain_stopped(*svc_fd);
			if (status && !status[0]) /* its watch event not seen yet */
				spore_guest_read_exit_status(xs, domid, status, status_len);
			if (reason)
				*reason = spore_dominfo_shutdown_reason(&info);
			r = ATTACH_SHUTDOWN;
			break;
		}
		if (r == CONSOLE_LOST) {
			close(*svc_fd);
			if ((*svc_fd = reconnect(uuid, err)) < 0) {
				r = *svc_fd;
				break;
			}
			c.svc_fd = *svc_fd;
		} else if (r == CONSOLE_CLOSED) {
			/* EOF while the domain runs: spored let its console go
			 * (its ring turned hostile). */
			r = spore_err_setx(err, EPIPE, "console of domain %" PRIu32 " closed by spored",
					   domid);
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

/* libslirp glue: configuration, callbacks, timers on a timerfd, poll
 * integration, and glib log routing; see net_stack.h. */
#include "net_stack.h"
#include <spore/clock.h>
#include <spore/log.h>

#include <errno.h>
#include <glib.h>
#include <libslirp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

struct net_timer {
	SlirpTimerCb cb;
	void *cb_opaque;
	int64_t expire_ms; /* -1: not armed */
	struct net_timer *next;
};

struct net_stack {
	Slirp *slirp;
	net_stack_output_fn out;
	void *opaque;
	int timer_fd;
	struct net_timer *timers;
	/* poll bookkeeping for one fill/dispatch round */
	struct pollfd **fds;
	size_t *cap, *n, base;
	int fill_failed;
	const struct pollfd *rfds;
	size_t rn;
};

/* A guest can make libslirp log at will (e.g. "external icmpv6 not
 * supported"): let through at most a burst per interval. */
static int log_allowed(void)
{
	static int64_t window;
	static int count;
	int64_t now = spore_now_ms() / 1000;
	if (now - window >= 10) {
		window = now;
		count = 0;
	}
	return ++count <= 20;
}

static void glib_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
	(void)data;
	enum spore_log_level l = SPORE_LOG_DEBUG;
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		l = SPORE_LOG_ERROR;
	else if (level & G_LOG_LEVEL_WARNING)
		l = SPORE_LOG_WARN;
	else if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		l = SPORE_LOG_INFO;
	if (l < spore_log_get_level() || !log_allowed())
		return;
	spore_log(l, "%s: %s", domain ? domain : "glib", msg);
}

static ssize_t cb_send(const void *buf, size_t len, void *opaque)
{
	struct net_stack *s = opaque;
	s->out(buf, len, s->opaque);
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	if (log_allowed())
		log_warn("guest error: %s", msg);
}

static int64_t cb_clock(void *opaque)
{
	(void)opaque;
	return spore_now_ns();
}

static void rearm(struct net_stack *s)
{
	int64_t next = -1;
	for (struct net_timer *t = s->timers; t; t = t->next)
		if (t->expire_ms >= 0 && (next < 0 || t->expire_ms < next))
			next = t->expire_ms;
	struct itimerspec its = {0};
	if (next >= 0) {
		/* 0 would disarm: an already-due timer fires after 1 ns. */
		its.it_value.tv_sec = next / 1000;
		its.it_value.tv_nsec = (next % 1000) * 1000000;
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(s->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_error("timerfd_settime: %s", strerror(errno));
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct net_stack *s = opaque;
	struct net_timer *t = calloc(1, sizeof(*t));
	if (!t)
		abort(); /* as glib does: libslirp cannot handle a NULL timer */
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = s->timers;
	s->timers = t;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct net_stack *s = opaque;
	for (struct net_timer **p = &s->timers; *p; p = &(*p)->next)
		if (*p == timer) {
			*p = ((struct net_timer *)timer)->next;
			free(timer);
			break;
		}
	rearm(s);
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct net_timer *t = timer;
	t->expire_ms = expire_ms < 0 ? 0 : expire_ms;
	rearm(opaque);
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void cb_notify(void *opaque)
{
	(void)opaque;
}

static const SlirpCb callbacks = {
	.send_packet = cb_send,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_register_poll_fd,
	.notify = cb_notify,
};

int net_stack_new(struct net_stack **sp, const struct net_attach *a, net_stack_output_fn out,
		  void *opaque, struct spore_err *err)
{
	struct net_stack *s = calloc(1, sizeof(*s));
	if (!s)
		return spore_err_set(err, ENOMEM, "stack");
	s->out = out;
	s->opaque = opaque;
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->timer_fd < 0) {
		int e = errno;
		free(s);
		return spore_err_set(err, e, "timerfd");
	}
	g_log_set_default_handler(glib_log, NULL);

	SlirpConfig cfg = {0};
	cfg.version = SLIRP_CONFIG_VERSION_MAX < 4 ? SLIRP_CONFIG_VERSION_MAX : 4;
	cfg.restricted = 0;
	cfg.in_enabled = true;
	cfg.vnetwork = a->net4;
	cfg.vnetmask = a->mask4;
	cfg.vhost = a->gateway4;
	cfg.vdhcp_start = a->guest4;
	cfg.vnameserver = a->dns4;
	cfg.in6_enabled = true;
	cfg.vprefix_addr6 = a->prefix6;
	cfg.vprefix_len = 64;
	cfg.vhost6 = a->gateway6;
	cfg.vnameserver6 = a->dns6;
	cfg.if_mtu = a->mtu ? a->mtu : NET_MTU_DEFAULT;
	cfg.if_mru = cfg.if_mtu;
	/* The gateway is dom0's loopback only for guests allowed to reach dom0;
	 * the filter refuses the rest before libslirp sees it. */
	cfg.disable_host_loopback = !a->allow_dom0;
	cfg.enable_emu = false; /* tcp_emu: a history of CVEs */
	cfg.disable_dns = false;
	cfg.disable_dhcp = a->no_dhcp;

	s->slirp = slirp_new(&cfg, &callbacks, s);
	if (!s->slirp) {
		net_stack_free(s);
		return spore_err_setx(err, EINVAL, "libslirp refused the configuration");
	}
	for (size_t i = 0; i < a->n_fwd && i < NET_MAX_FWD; i++) {
		const struct net_fwd *f = &a->fwd[i];
		errno = 0;
		if (slirp_add_hostfwd(s->slirp, f->udp, f->host_addr, f->host_port, a->guest4,
				      f->guest_port) < 0) {
			int e = errno ? errno : EADDRINUSE;
			char spec[64];
			net_fwd_format(f, spec, sizeof(spec));
			net_stack_free(s);
			return spore_err_set(err, e, "publish port %s", spec);
		}
	}
	*sp = s;
	return 0;
}

void net_stack_free(struct net_stack *s)
{
	if (!s)
		return;
	if (s->slirp)
		slirp_cleanup(s->slirp);
	while (s->timers) {
		struct net_timer *t = s->timers;
		s->timers = t->next;
		free(t);
	}
	if (s->timer_fd >= 0)
		close(s->timer_fd);
	free(s);
}

void net_stack_input(struct net_stack *s, const uint8_t *frame, size_t len)
{
	if (len > INT32_MAX)
		return;
	slirp_input(s->slirp, frame, (int)len);
}

int net_stack_timer_fd(const struct net_stack *s)
{
	return s->timer_fd;
}

void net_stack_run_timers(struct net_stack *s)
{
	uint64_t ticks;
	while (read(s->timer_fd, &ticks, sizeof(ticks)) > 0)
		;
	int64_t now = spore_now_ms();
	/* A callback may re-arm or free timers: restart the walk after each. */
	for (;;) {
		struct net_timer *due = NULL;
		for (struct net_timer *t = s->timers; t; t = t->next)
			if (t->expire_ms >= 0 && t->expire_ms <= now) {
				due = t;
				break;
			}
		if (!due)
			break;
		due->expire_ms = -1;
		due->cb(due->cb_opaque);
	}
	rearm(s);
}

static int add_poll(int fd, int events, void *opaque)
{
	struct net_stack *s = opaque;
	if (*s->n >= *s->cap) {
		size_t cap = *s->cap ? *s->cap * 2 : 32;
		struct pollfd *p = realloc(*s->fds, cap * sizeof(*p));
		if (!p) {
			s->fill_failed = 1;
			return -1;
		}
		*s->fds = p;
		*s->cap = cap;
	}
	short ev = 0;
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	(*s->fds)[*s->n] = (struct pollfd){.fd = fd, .events = ev};
	return (int)((*s->n)++ - s->base);
}

static int get_revents(int idx, void *opaque)
{
	struct net_stack *s = opaque;
	if (idx < 0 || (size_t)idx >= s->rn)
		return 0;
	short re = s->rfds[idx].revents;
	int ev = 0;
	if (re & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (re & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (re & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (re & POLLERR)
		ev |= SLIRP_POLL_ERR;
	if (re & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

int net_stack_poll_fill(struct net_stack *s, struct pollfd **fds, size_t *cap, size_t *n,
			int *timeout_ms)
{
	uint32_t t = *timeout_ms < 0 ? UINT32_MAX : (uint32_t)*timeout_ms;
	s->fds = fds;
	s->cap = cap;
	s->n = n;
	s->base = *n;
	s->fill_failed = 0;
	slirp_pollfds_fill(s->slirp, &t, add_poll, s);
	*timeout_ms = t > INT32_MAX ? -1 : (int)t;
	return s->fill_failed ? -ENOMEM : 0;
}

void net_stack_poll_dispatch(struct net_stack *s, const struct pollfd *fds, size_t n,
			     int poll_failed)
{
	s->rfds = fds + s->base;
	s->rn = n > s->base ? n - s->base : 0;
	slirp_pollfds_poll(s->slirp, poll_failed, get_revents, s);
}

/* spored: the dom0 service that owns running guests. One process for all
 * guests, holding nothing a restart loses (the truth is in xenstore, in the
 * guests' console rings and in the files under $SPORE_ROOT): it frees
 * guests that stop (reaper/), is their console backend and keeps their
 * logs (console/), holds the control channel to each guest's sporeinit
 * (channel/), and serves sporectl on a unix socket (server/). See
 * README, "spored". */
#include "anon_volumes.h"
#include "backend.h"
#include "channel.h"
#include "collect.h"
#include "guest_reap.h"
#include "http.h"
#include "launch_store.h"
#include "reaper.h"
#include "restarter.h"
#include "server.h"
#include "size.h"
#include <spore/conlog.h>
#include <spore/log.h>
#include <spore/svc_proto.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_POLL (1 + 1 + 1 + SERVER_MAX_CLIENTS + 256 + 32 + HTTP_MAX_CONNS + 1 + CHAN_MAX)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: spored [OPTIONS]\n"
		"       spored --ping [--socket PATH]\n"
		"\n"
		"The dom0 service that owns spore's running guests: it frees every guest that\n"
		"shuts down (and the remains of launches that died half-way) and serves\n"
		"sporectl on a unix socket. One process for all guests; it keeps nothing a\n"
		"restart loses, so it may be restarted at any time. Runs in the foreground\n"
		"until SIGTERM.\n"
		"\n"
		"Options:\n"
		"  --socket PATH   The socket (default %s)\n"
		"  --root DIR      Where the guests' console logs go: DIR/logs/UUID/\n"
		"                  (default: $SPORE_ROOT, else /var/lib/spore)\n"
		"  --log-max-size SIZE\n"
		"                  Rotate a guest's console log at SIZE (k, m, g suffixes;\n"
		"                  default 10m, at least 16k)\n"
		"  --log-max-files N\n"
		"                  Console log files kept per guest, the current one\n"
		"                  included (1-100, default 3)\n"
		"  --sporectl PATH The sporectl that restarts guests by their restart policy\n"
		"                  (default: the one beside spored, else sporectl in PATH)\n"
		"  --metrics ADDR:PORT\n"
		"                  Serve Prometheus metrics at http://ADDR:PORT/metrics\n"
		"                  (off by default; IPv4:PORT or [IPv6]:PORT, numeric. The\n"
		"                  page names every guest and has no authentication: keep\n"
		"                  ADDR a loopback address such as 127.0.0.1)\n"
		"  --ping          Ask the running spored whether it answers; exit 0 if so\n"
		"  --log LEVEL     debug, info, warn or error (default: $SPORE_LOG or warn)\n"
		"  --syslog        Log to syslog instead of stderr\n"
		"  -h, --help      Show this help\n",
		SPORE_SVC_SOCK);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "spored: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'spored --help'.\n");
	return 2;
}

struct spored {
	struct spore_xc *xc;
	struct spore_xs *xs;
	struct reaper *reaper;
	struct restarter *restarter;
	struct backend *backend;
	struct chanset *chans;
	struct server *server;
	struct httpd *httpd; /* NULL without --metrics */
	struct metrics_src msrc;
	struct launch_hist launches; /* sporectl's reports, kept in a file */
	const char *root;
	const char *sporectl;
	struct logfile_limits lim;
};

/* The sporectl beside this spored (installed: the same directory; a build
 * tree: ../controller/), else the name, for PATH. */
static const char *default_sporectl(void)
{
	static char path[4096];
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%.4000s/sporectl", self);
			if (access(path, X_OK) == 0)
				return path;
			snprintf(path, sizeof(path), "%.4000s/../controller/sporectl", self);
			if (access(path, X_OK) == 0)
				return path;
		}
	}
	return "sporectl";
}

static void on_message(void *arg, struct server *s, struct server_client *c,
		       const struct spore_svc_msg *m)
{
	struct spored *d = arg;
	switch (m->type) {
	case SPORE_SVC_PING: {
		struct spore_svc_pong p = {.pid = (uint32_t)getpid(),
					   .consoles = (uint32_t)backend_nconsoles(d->backend)};
		if (spore_svc_send(c->fd, SPORE_SVC_PONG, &p, sizeof(p), 1) < 0)
			server_close(s, c);
		break;
	}
	case SPORE_SVC_ATTACH: {
		struct spore_svc_attach a;
		memcpy(&a, m->payload, sizeof(a));
		if (c->console) {
			spore_svc_send_error(c->fd, EISCONN, "already attached");
			server_close(s, c);
			break;
		}
		backend_attach(d->backend, c, &a);
		break;
	}
	case SPORE_SVC_LAUNCHED: {
		struct spore_svc_launched t;
		struct spore_err e = {0};
		memcpy(&t, m->payload, sizeof(t));
		launch_hist_observe(&d->launches, &t);
		if (launch_store_save(d->root, &d->launches, &e) < 0)
			log_warn("keeping the launch histogram: %s", e.msg);
		/* One report per connection: nothing follows. */
		server_close(s, c);
		break;
	}
	case SPORE_SVC_INPUT:
		if (!c->console) {
			spore_svc_send_error(c->fd, ENOTCONN, "input before an attach");
			server_close(s, c);
			break;
		}
		backend_input(d->backend, c, m->payload, m->len);
		break;
	case SPORE_SVC_EXEC:
		if (c->console) {
			spore_svc_send_error(c->fd, EISCONN, "already attached");
			server_close(s, c);
			break;
		}
		chanset_exec(d->chans, c, m);
		break;
	case SPORE_SVC_EXEC_STDIN:
		if (!c->exec_stream) {
			spore_svc_send_error(c->fd, ENOTCONN, "input before an exec");
			server_close(s, c);
			break;
		}
		chanset_exec_stdin(d->chans, c, m);
		break;
	case SPORE_SVC_EXEC_RESIZE:
		if (!c->exec_stream) {
			spore_svc_send_error(c->fd, ENOTCONN, "a resize before an exec");
			server_close(s, c);
			break;
		}
		chanset_exec_resize(d->chans, c, m);
		break;
	default:
		log_warn("client pid %d: unexpected message type %u", (int)c->pid, m->type);
		spore_svc_send_error(c->fd, EPROTO, "unexpected message type %u", m->type);
		server_close(s, c);
	}
}

static int ping(const char *path)
{
	struct spore_err err = {0};
	unsigned char buf[SPORE_SVC_MAX_MSG];
	struct spore_svc_msg m;
	int r, fd = spore_svc_connect(path, &err);

	if (fd < 0)
		goto out;
	if ((r = spore_svc_send(fd, SPORE_SVC_PING, NULL, 0, 0)) < 0) {
		spore_err_set(&err, -r, "sending to spored");
		goto out;
	}
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, 5000) <= 0) {
		spore_err_setx(&err, ETIMEDOUT, "spored did not answer within 5 s");
		goto out;
	}
	r = spore_svc_recv(fd, buf, &m, &err);
	if (r == 0)
		spore_err_setx(&err, EPIPE, "spored closed the connection");
	else if (r > 0 && m.type == SPORE_SVC_ERROR) {
		char text[SPORE_SVC_MAX_TEXT + 1];
		int code = spore_svc_error_text(&m, text);
		spore_err_setx(&err, code, "spored: %s", text);
	} else if (r > 0 && m.type != SPORE_SVC_PONG) {
		spore_err_setx(&err, EPROTO, "spored answered with message type %u", m.type);
	} else if (r > 0) {
		struct spore_svc_pong pong;
		memcpy(&pong, m.payload, sizeof(pong));
		printf("spored %u answers on %s, serving %u consoles\n", pong.pid,
		       path ? path : SPORE_SVC_SOCK, pong.consoles);
	}
out:
	if (fd >= 0)
		close(fd);
	if (err.code) {
		spore_err_print("spored", err.msg);
		return 1;
	}
	return 0;
}

static int run(struct spored *d, const char *sock, const char *metrics, struct spore_err *err)
{
	static struct pollfd p[MAX_POLL];
	int r;

	if ((r = spore_xc_open(&d->xc, err)) < 0 || (r = spore_xs_open(&d->xs, err)) < 0 ||
	    (r = reaper_new(&d->reaper, d->xc, d->xs, err)) < 0 ||
	    (r = reaper_watch(d->reaper, err)) < 0 ||
	    (r = restarter_new(&d->restarter, d->xs, d->sporectl, err)) < 0 ||
	    (r = backend_new(&d->backend, d->xc, d->xs, d->root, &d->lim, err)) < 0 ||
	    (r = backend_watch(d->backend, err)) < 0 ||
	    (r = chanset_new(&d->chans, d->xc, d->xs, err)) < 0 ||
	    (r = chanset_watch(d->chans, err)) < 0 ||
	    (r = server_open(&d->server, sock, on_message, d, err)) < 0)
		return r;
	/* The sums so far: a file that does not parse starts them again (a
	 * counter reset to Prometheus), it never stops spored. */
	struct spore_err e = {0};
	if (launch_store_load(d->root, &d->launches, &e) < 0)
		log_warn("the launch histogram starts from 0: %s", e.msg);
	d->msrc = (struct metrics_src){.xc = d->xc, .xs = d->xs, .backend = d->backend,
				       .sysfs = "/sys", .launches = &d->launches};
	if (metrics && (r = httpd_open(&d->httpd, metrics, metrics_page, &d->msrc, err)) < 0)
		return r;
	backend_set_server(d->backend, d->server);
	chanset_set_server(d->chans, d->server);
	chanset_set_backend(d->chans, d->backend);
	while (!stop) {
		/* Events queued so far are covered by the work that follows;
		 * later ones wake the poll below. */
		for (;;) {
			struct spore_xs_event *ev = NULL;
			r = spore_xs_read_watch(d->xs, &ev, 0, err);
			if (r == -EAGAIN)
				break;
			if (r < 0)
				return spore_err_wrap(err, "xenstore watch");
			reaper_event(d->reaper, ev);
			restarter_event(d->restarter, ev);
			backend_event(d->backend, ev);
			chanset_event(d->chans, ev);
			free(ev);
		}
		spore_err_clear(err);
		/* Channels, then consoles: a guest that stopped gives its last
		 * stderr (to its console's log), then its last output, before
		 * the reaper destroys its domain. */
		chanset_run(d->chans);
		backend_run(d->backend);
		reaper_run(d->reaper);
		restarter_run(d->restarter);

		int timeout = -1;
		size_t n = 0, nb, ns, nr, nt, nm, nc;
		p[n++] = (struct pollfd){.fd = spore_xs_watch_fd(d->xs), .events = POLLIN};
		nb = backend_pollfds(d->backend, p + n, MAX_POLL - n, &timeout);
		n += nb;
		ns = server_pollfds(d->server, p + n, MAX_POLL - n);
		n += ns;
		nr = reaper_pollfds(d->reaper, p + n, MAX_POLL - n, &timeout);
		n += nr;
		/* The restarter's own timeout: its wake-up is no safety-net tick. */
		int treap = timeout, trestart = -1;
		nt = restarter_pollfds(d->restarter, p + n, MAX_POLL - n, &trestart);
		n += nt;
		if (trestart >= 0 && (timeout < 0 || trestart < timeout))
			timeout = trestart;
		nm = httpd_pollfds(d->httpd, p + n, MAX_POLL - n, &timeout);
		n += nm;
		int tchan = -1;
		nc = chanset_pollfds(d->chans, p + n, MAX_POLL - n, &tchan);
		n += nc;
		if (tchan >= 0 && (timeout < 0 || tchan < timeout))
			timeout = tchan;
		int k = poll(p, n, timeout);
		if (k < 0 && errno != EINTR)
			return spore_err_set(err, errno, "poll");
		if (k < 0)
			continue;
		/* A zero timeout (a console with more to take) is no safety-net tick. */
		reaper_polled(d->reaper, p + 1 + nb + ns, nr,
			      k == 0 && timeout != 0 && timeout == treap && timeout != tchan);
		backend_polled(d->backend, p + 1, nb);
		server_polled(d->server, p + 1 + nb, ns);
		restarter_polled(d->restarter, p + 1 + nb + ns + nr, nt);
		httpd_polled(d->httpd, p + 1 + nb + ns + nr + nt, nm);
		chanset_polled(d->chans, p + 1 + nb + ns + nr + nt + nm, nc);
	}
	log_info("stopping");
	return 0;
}

int main(int argc, char **argv)
{
	const char *sock = SPORE_SVC_SOCK, *metrics = NULL;
	struct spore_err err = {0};
	struct spored d = {.lim = {.max_size = 10 << 20, .max_files = 3}};
	int use_syslog = 0, do_ping = 0, r;

	spore_log_init("spored");
	/* A launch that died may have left anonymous volumes with its record. */
	spore_reap_removed = spore_anon_volumes_removed;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--syslog")) {
			use_syslog = 1;
		} else if (!strcmp(a, "--ping")) {
			do_ping = 1;
		} else if (!strcmp(a, "--log") || !strcmp(a, "--socket") || !strcmp(a, "--root") ||
			   !strcmp(a, "--log-max-size") || !strcmp(a, "--log-max-files") ||
			   !strcmp(a, "--sporectl") || !strcmp(a, "--metrics")) {
			if (i + 1 >= argc)
				return usage_error("%s needs an argument", a);
			const char *val = argv[++i];
			if (!strcmp(a, "--socket")) {
				sock = val;
			} else if (!strcmp(a, "--sporectl")) {
				d.sporectl = val;
			} else if (!strcmp(a, "--metrics")) {
				struct sockaddr_storage ss;
				socklen_t len;
				if (http_parse_addr(val, &ss, &len) < 0)
					return usage_error("--metrics: '%s' is not IPv4:PORT or [IPv6]:PORT",
							   val);
				metrics = val;
			} else if (!strcmp(a, "--root")) {
				d.root = val;
			} else if (!strcmp(a, "--log-max-size")) {
				if (spore_size_parse(val, 0, &d.lim.max_size) < 0 ||
				    d.lim.max_size < 16384)
					return usage_error("--log-max-size: '%s' is not a size of 16k or more",
							   val);
			} else if (!strcmp(a, "--log-max-files")) {
				char *end;
				long v = strtol(val, &end, 10);
				if (end == val || *end || v < 1 || v > SPORE_CONLOG_MAX_FILES)
					return usage_error("--log-max-files: '%s' is not 1..100", val);
				d.lim.max_files = (unsigned)v;
			} else {
				int lvl = spore_log_parse_level(val);
				if (lvl < 0)
					return usage_error("unknown log level '%s'", val);
				spore_log_set_level((enum spore_log_level)lvl);
			}
		} else {
			return usage_error("unknown argument '%s'", a);
		}
	}
	if (do_ping)
		return ping(sock);
	if (use_syslog)
		spore_log_use_syslog(1);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!d.sporectl)
		d.sporectl = default_sporectl();
	log_info("restart policies run %s", d.sporectl);
	r = run(&d, sock, metrics, &err);
	if (r < 0)
		log_error("%s", err.msg);
	httpd_free(d.httpd);
	server_free(d.server);
	chanset_free(d.chans);
	backend_free(d.backend);
	restarter_free(d.restarter);
	reaper_free(d.reaper);
	spore_xs_close(d.xs);
	spore_xc_close(d.xc);
	return r < 0 ? 1 : 0;
}

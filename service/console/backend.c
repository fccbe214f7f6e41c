/* spored's console backend; see backend.h. */
#include "backend.h"

#include "conring.h"
#include "evtchn.h"
#include "foreignmem.h"
#include "guest_teardown.h"
#include "uuid.h"
#include <spore/conlog.h>
#include <spore/guest_record.h>
#include <spore/log.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xen/io/console.h>

/* Rounds of taking from one ring per wake-up: a guest writing as fast as
 * spored reads cannot keep it from the others. */
#define PUMP_ROUNDS 32
#define INPUT_MAX 4096
#define MAX_CONSOLES 4096

struct console {
	char uuid[37];
	uint32_t domid;
	uint8_t handle[16];
	uint32_t port; /* ours, bound to the guest's */
	struct spore_fmap ring;
	struct logfile log;
	/* Input waiting for room in the ring: a client is read only while
	 * less than INPUT_MAX waits, so its whole message always fits. */
	char in[INPUT_MAX + SPORE_SVC_MAX_PAYLOAD];
	size_t inlen;
	uint64_t out_bytes; /* from the ring and stderr's channel since served (/metrics) */
	bool more;      /* the ring may hold more: take again soon */
	bool log_failed; /* warned once */
	uint64_t logged; /* bytes this domain wrote, taken since it was served */
};

/* A domain seen that is not a spore guest's console to serve. */
struct ignored {
	uint32_t domid;
	uint8_t handle[16];
};

struct backend {
	struct spore_xc *xc;
	struct spore_xs *xs;
	struct server *srv;
	int evfd;
	char root[4096];
	struct logfile_limits lim;
	struct console **con;
	size_t n;
	struct ignored *ign;
	size_t nign;
	bool scan, release, first;
	char (*gone)[37]; /* records to check: their logs go with them */
	size_t ngone;
};

int backend_new(struct backend **bp, struct spore_xc *xc, struct spore_xs *xs, const char *root,
		const struct logfile_limits *lim, struct spore_err *err)
{
	struct backend *b = calloc(1, sizeof(*b));
	if (!b)
		return spore_err_set(err, ENOMEM, "console backend");
	b->xc = xc;
	b->xs = xs;
	b->lim = *lim;
	b->first = b->scan = true;
	spore_conlog_root(root, b->root, sizeof(b->root));
	if (!(b->con = calloc(MAX_CONSOLES, sizeof(*b->con))) ||
	    (b->evfd = spore_evtchn_open(err)) < 0) {
		int r = b->con ? b->evfd : spore_err_set(err, ENOMEM, "console backend");
		free(b->con);
		free(b);
		return r;
	}
	*bp = b;
	return 0;
}

void backend_set_server(struct backend *b, struct server *s)
{
	b->srv = s;
}

bool backend_console_bytes(const struct backend *b, const char *uuid, uint64_t *bytes)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->con[i]->uuid, uuid)) {
			*bytes = b->con[i]->out_bytes;
			return true;
		}
	return false;
}

size_t backend_nconsoles(const struct backend *b)
{
	return b->n;
}

int backend_watch(struct backend *b, struct spore_err *err)
{
	int r = spore_xs_watch(b->xs, "@introduceDomain", "introduce", err);
	return r < 0 ? spore_err_wrap(err, "console backend") : 0;
}

static volatile struct xencons_interface *intf(struct console *c)
{
	return c->ring.addr;
}

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Takes what the guest wrote (into the log, then to the clients) and
 * gives it what the clients typed. force: even if a client is behind (the
 * last output of a stopped guest). Returns -1 for a hostile ring. */
static int pump(struct backend *b, struct console *c, bool force)
{
	volatile struct xencons_interface *x = intf(c);
	char buf[sizeof(x->out)];
	bool moved = false;

	c->more = false;
	for (int round = 0; round < PUMP_ROUNDS; round++) {
		if (!force && b->srv && server_backlog(b->srv, c) >= SERVER_QUEUE_HIGH)
			break; /* taken up again as the client catches up */
		uint32_t cons = x->out_cons, prod = x->out_prod;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		long n = conring_take(x->out, sizeof(x->out), cons, prod, buf, sizeof(buf));
		if (n < 0) {
			log_warn("guest %s: console ring indexes out of range (cons %" PRIu32
				 ", prod %" PRIu32 "): its console is no longer served",
				 c->uuid, cons, prod);
			return -1;
		}
		if (n == 0)
			break;
		struct spore_err e = {0};
		if (logfile_write(&c->log, now_ns(), SPORE_CONLOG_STDOUT, buf, (size_t)n, &e) < 0 &&
		    !c->log_failed) {
			/* Output is not held back for a log that cannot be
			 * written (a full disk): the guest would hang. */
			log_warn("guest %s: %s (its output is not logged meanwhile)", c->uuid, e.msg);
			c->log_failed = true;
		}
		c->logged += (uint64_t)n;
		if (b->srv)
			server_output(b->srv, c, buf, (size_t)n);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		x->out_cons = cons + (uint32_t)n;
		c->out_bytes += (uint64_t)n;
		moved = true;
		if (round == PUMP_ROUNDS - 1)
			c->more = true;
	}
	if (c->inlen) {
		uint32_t cons = x->in_cons, prod = x->in_prod;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		long n = conring_put(x->in, sizeof(x->in), cons, prod, c->in, c->inlen);
		if (n < 0) {
			log_warn("guest %s: console input indexes out of range: its console is no "
				 "longer served", c->uuid);
			return -1;
		}
		if (n > 0) {
			__atomic_thread_fence(__ATOMIC_RELEASE);
			x->in_prod = prod + (uint32_t)n;
			memmove(c->in, c->in + n, c->inlen - (size_t)n);
			c->inlen -= (size_t)n;
			moved = true;
			if (b->srv && c->inlen < INPUT_MAX)
				server_input_unblock(b->srv, c);
		}
	}
	if (moved)
		spore_evtchn_notify(b->evfd, c->port);
	return 0;
}

static void console_free(struct backend *b, struct console *c)
{
	spore_evtchn_unbind(b->evfd, c->port);
	spore_fmem_unmap(&c->ring);
	logfile_close(&c->log);
	free(c);
}

/* Lets a console go: its last output first, then EOF to its clients. */
static void drop(struct backend *b, size_t i, bool drain)
{
	struct console *c = b->con[i];
	if (drain)
		pump(b, c, true);
	if (b->srv)
		server_console_gone(b->srv, c);
	log_info("guest %s (domain %" PRIu32 "): console let go", c->uuid, c->domid);
	console_free(b, c);
	b->con[i] = b->con[--b->n];
}

/* A console key of domid: 1 and its value, 0 if absent, or -errno. */
static int read_key(struct spore_xs *xs, uint32_t domid, const char *key, char *out, size_t n)
{
	char path[96], *val = NULL;
	size_t len;
	struct spore_err e = {0};
	snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/console/%s", domid, key);
	int r = spore_xs_read(xs, 0, path, &val, &len, &e);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	snprintf(out, n, "%.*s", (int)len, val);
	free(val);
	return 1;
}

static int parse_u32(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || end == s || *end || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

/* Serves domain d's console (a guest with a record and console type
 * "spore"). Returns 1 if served, 0 if not a console of ours (yet), -errno. */
static int serve(struct backend *b, const struct spore_dominfo *d)
{
	char uuid[37], type[32], val[32], path[256], dir[4200];
	uint64_t mfn, port;
	struct spore_err e = {0};
	struct console *c = NULL;
	int r;

	spore_uuid_format(d->handle, uuid);
	snprintf(path, sizeof(path), SPORE_XS_GUESTS "/%s/" SPORE_REC_STATE, uuid);
	char *st = NULL;
	size_t len;
	if ((r = spore_xs_read(b->xs, 0, path, &st, &len, &e)) < 0)
		return r == -ENOENT ? -ENOENT : r; /* not spore's guest */
	free(st);
	if ((r = read_key(b->xs, d->domid, "type", type, sizeof(type))) <= 0)
		return r; /* not written yet: the builder's skeleton comes next */
	if (strcmp(type, "spore"))
		return -ENOENT; /* xenconsoled's */
	if ((r = read_key(b->xs, d->domid, "ring-ref", val, sizeof(val))) <= 0 ||
	    (r = parse_u32(val, UINT64_MAX >> 12, &mfn)) < 0 ||
	    (r = read_key(b->xs, d->domid, "port", val, sizeof(val))) <= 0 ||
	    (r = parse_u32(val, 1u << 17, &port)) < 0)
		return r;
	if (b->n == MAX_CONSOLES) {
		log_warn("guest %s: %d consoles served already", uuid, MAX_CONSOLES);
		return -ENOSPC;
	}
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	memcpy(c->uuid, uuid, sizeof(c->uuid));
	memcpy(c->handle, d->handle, sizeof(c->handle));
	c->domid = d->domid;
	c->log.fd = -1;
	xen_pfn_t frame = mfn;
	snprintf(dir, sizeof(dir), "%s/%s", b->root, uuid);
	if ((r = spore_fmem_map(b->xc, d->domid, PROT_READ | PROT_WRITE, &frame, 1, &c->ring, &e)) <
		    0 ||
	    (r = logfile_open(&c->log, dir, &b->lim, &e)) < 0)
		goto fail;
	r = spore_evtchn_bind(b->evfd, d->domid, (uint32_t)port, &e);
	if (r < 0)
		goto fail;
	c->port = (uint32_t)r;
	b->con[b->n++] = c;
	log_info("guest %s (domain %" PRIu32 "): serving its console", uuid, d->domid);
	/* Whatever the ring holds already (written before we bound, or
	 * while spored was down). */
	c->more = true;
	return 1;
fail:
	log_warn("guest %s: serving its console: %s", uuid, e.msg);
	spore_fmem_unmap(&c->ring);
	logfile_close(&c->log);
	free(c);
	return r;
}

static struct console *by_handle(struct backend *b, const uint8_t h[16], size_t *idx)
{
	for (size_t i = 0; i < b->n; i++)
		if (!memcmp(b->con[i]->handle, h, 16)) {
			if (idx)
				*idx = i;
			return b->con[i];
		}
	return NULL;
}

static bool ignored(const struct backend *b, const struct spore_dominfo *d)
{
	for (size_t i = 0; i < b->nign; i++)
		if (b->ign[i].domid == d->domid && !memcmp(b->ign[i].handle, d->handle, 16))
			return true;
	return false;
}

/* Every domain against the consoles served: new guests are served, those
 * shut down or gone let go. */
static void look(struct backend *b)
{
	struct spore_dominfo *doms = NULL;
	size_t nd = 0;
	struct spore_err e = {0};

	if (spore_domain_snapshot(b->xc, &doms, &nd, &e) < 0) {
		log_warn("console backend: %s", e.msg);
		return;
	}
	for (size_t i = 0; i < b->n;) {
		struct console *c = b->con[i];
		const struct spore_dominfo *d = spore_domain_in(doms, nd, c->domid, c->handle);
		if (!d || spore_dominfo_shutdown(d) || spore_dominfo_dying(d))
			drop(b, i, true);
		else
			i++;
	}
	/* The ignored list keeps only domains that still exist. */
	struct ignored *ign = calloc(nd ? nd : 1, sizeof(*ign));
	size_t nign = 0;
	for (size_t k = 0; k < nd; k++) {
		const struct spore_dominfo *d = &doms[k];
		if (d->domid == 0 || spore_dominfo_shutdown(d) || spore_dominfo_dying(d) ||
		    by_handle(b, d->handle, NULL))
			continue;
		if (ignored(b, d) || serve(b, d) == -ENOENT) {
			if (ign)
				ign[nign++] = (struct ignored){.domid = d->domid};
			if (ign)
				memcpy(ign[nign - 1].handle, d->handle, 16);
		}
	}
	free(b->ign);
	b->ign = ign;
	b->nign = nign;
	free(doms);
}

/* Logs whose record is gone go too (a record's removal, or all of them at
 * the start: what went while spored was down). */
static void sweep_logs(struct backend *b, char (*uuids)[37], size_t n)
{
	DIR *d = NULL;
	struct dirent *ent;
	char (*all)[37] = NULL;
	size_t nall = 0;

	if (!uuids) {
		if (!(d = opendir(b->root)))
			return;
		while ((ent = readdir(d))) {
			if (strlen(ent->d_name) != 36)
				continue;
			char (*more)[37] = realloc(all, (nall + 1) * sizeof(*all));
			if (!more)
				break;
			all = more;
			memcpy(all[nall++], ent->d_name, 37);
		}
		closedir(d);
		uuids = all;
		n = nall;
	}
	for (size_t i = 0; i < n; i++) {
		char path[256], dir[4200], *val = NULL;
		size_t len;
		struct spore_err e = {0};
		bool served = false;
		for (size_t k = 0; k < b->n; k++)
			served |= !strcmp(b->con[k]->uuid, uuids[i]);
		snprintf(path, sizeof(path), SPORE_XS_GUESTS "/%s/" SPORE_REC_STATE, uuids[i]);
		if (served || spore_xs_read(b->xs, 0, path, &val, &len, &e) != -ENOENT) {
			free(val);
			continue;
		}
		snprintf(dir, sizeof(dir), "%s/%s", b->root, uuids[i]);
		if (logfile_remove(dir) == 0 && access(dir, F_OK) != 0)
			log_debug("guest %s: record gone, its log removed", uuids[i]);
	}
	free(all);
}

void backend_event(struct backend *b, const struct spore_xs_event *ev)
{
	if (!strcmp(ev->token, "introduce")) {
		b->scan = true;
	} else if (!strcmp(ev->token, "release")) {
		b->release = true;
	} else if (!strcmp(ev->token, "records")) {
		/* /spore/guests/<uuid>: its removal fires this path. */
		const char *p = ev->path + strlen(SPORE_XS_GUESTS);
		if (strncmp(ev->path, SPORE_XS_GUESTS "/", strlen(SPORE_XS_GUESTS) + 1) ||
		    strlen(p + 1) != 36)
			return;
		char (*more)[37] = realloc(b->gone, (b->ngone + 1) * sizeof(*more));
		if (!more)
			return;
		b->gone = more;
		memcpy(b->gone[b->ngone++], p + 1, 37);
	}
}

void backend_run(struct backend *b)
{
	if (b->scan || b->release)
		look(b);
	b->scan = b->release = false;
	if (b->first)
		sweep_logs(b, NULL, 0);
	else if (b->ngone)
		sweep_logs(b, b->gone, b->ngone);
	b->first = false;
	b->ngone = 0;
}

size_t backend_pollfds(struct backend *b, struct pollfd *p, size_t max, int *timeout_ms)
{
	if (!max)
		return 0;
	p[0] = (struct pollfd){.fd = b->evfd, .events = POLLIN};
	for (size_t i = 0; i < b->n; i++) {
		/* More in the ring, or a client has caught up with a stalled one. */
		struct console *c = b->con[i];
		if (c->more || (b->srv && server_backlog(b->srv, c) < SERVER_QUEUE_HIGH / 2 &&
				intf(c)->out_cons != intf(c)->out_prod))
			*timeout_ms = 0;
	}
	return 1;
}

static void pump_or_drop(struct backend *b, size_t i)
{
	if (pump(b, b->con[i], false) < 0)
		drop(b, i, false);
}

void backend_polled(struct backend *b, const struct pollfd *p, size_t n)
{
	uint32_t ports[256];
	int k = n && (p[0].revents & POLLIN) ? spore_evtchn_pending(b->evfd, ports, 256) : 0;

	for (int j = 0; j < k; j++) {
		for (size_t i = 0; i < b->n; i++) {
			if (b->con[i]->port != ports[j])
				continue;
			pump_or_drop(b, i);
			break;
		}
		spore_evtchn_unmask(b->evfd, ports[j]);
	}
	for (size_t i = 0; i < b->n;) {
		struct console *c = b->con[i];
		size_t before = b->n;
		if (c->more || (b->srv && server_backlog(b->srv, c) < SERVER_QUEUE_HIGH / 2 &&
				intf(c)->out_cons != intf(c)->out_prod))
			pump_or_drop(b, i);
		if (b->n == before)
			i++;
	}
}

void backend_attach(struct backend *b, struct server_client *c, const struct spore_svc_attach *a)
{
	char uuid[37], dir[4200];
	struct console *con = NULL;

	memcpy(uuid, a->uuid, 36);
	uuid[36] = '\0';
	for (int tries = 0; tries < 2 && !con; tries++) {
		for (size_t i = 0; i < b->n && !con; i++)
			if (!strcmp(b->con[i]->uuid, uuid))
				con = b->con[i];
		if (!con && !tries)
			look(b); /* a launch may be here before @introduceDomain */
	}
	if (!con) {
		spore_svc_send_error(c->fd, ESRCH, "guest %s has no console served (not running?)",
				     uuid);
		server_close(b->srv, c);
		return;
	}
	/* Whatever is in the ring goes to the log first: the history then
	 * ends exactly where the live output starts. */
	pump(b, con, true);
	if (spore_svc_send(c->fd, SPORE_SVC_ATTACHED, NULL, 0, 1) < 0) {
		server_close(b->srv, c);
		return;
	}
	uint32_t history = a->history & ~SPORE_SVC_HISTORY_DOMAIN;
	if ((a->history & SPORE_SVC_HISTORY_DOMAIN) && history > con->logged)
		history = (uint32_t)con->logged;
	if (history) {
		char *hist = NULL;
		size_t n = 0;
		struct spore_err e = {0};
		snprintf(dir, sizeof(dir), "%s/%s", b->root, uuid);
		if (logfile_tail(dir, history, &hist, &n, &e) < 0)
			log_warn("guest %s: history: %s", uuid, e.msg);
		else if (!server_client_output(b->srv, c, hist, n)) {
			free(hist);
			return;
		}
		free(hist);
	}
	/* Live output from here on: after the history, nothing between. */
	c->console = con;
	log_debug("client pid %d attached to guest %s", (int)c->pid, uuid);
}

static struct console *by_uuid(struct backend *b, const char *uuid)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->con[i]->uuid, uuid))
			return b->con[i];
	return NULL;
}

bool backend_stderr_held(struct backend *b, const char *uuid, size_t mark)
{
	struct console *c = by_uuid(b, uuid);
	return c && b->srv && server_backlog(b->srv, c) >= mark;
}

void backend_stderr(struct backend *b, const char *uuid, const void *buf, size_t n)
{
	struct console *c = by_uuid(b, uuid);
	struct spore_err e = {0};

	if (!c) {
		/* Said once per guest in a row: a guest whose console was cut
		 * off must not flood the journal through its channel. */
		static char last[37];
		if (strcmp(last, uuid))
			log_warn("guest %s: its stderr comes with no console served: dropped", uuid);
		snprintf(last, sizeof(last), "%s", uuid);
		return;
	}
	if (logfile_write(&c->log, now_ns(), SPORE_CONLOG_STDERR, buf, n, &e) < 0 &&
	    !c->log_failed) {
		log_warn("guest %s: %s (its output is not logged meanwhile)", c->uuid, e.msg);
		c->log_failed = true;
	}
	c->logged += n;
	c->out_bytes += n;
	if (b->srv)
		server_output_err(b->srv, c, buf, n);
}

void backend_input(struct backend *b, struct server_client *c, const void *buf, size_t n)
{
	struct console *con = c->console;
	if (!con)
		return;
	if (n > sizeof(con->in) - con->inlen)
		return; /* cannot happen: the client is not read while it is full */
	memcpy(con->in + con->inlen, buf, n);
	con->inlen += n;
	pump(b, con, false);
	if (con->inlen >= INPUT_MAX)
		c->input_blocked = true; /* the guest is not reading: hold the client back */
}

void backend_free(struct backend *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		console_free(b, b->con[i]);
	free(b->con);
	free(b->ign);
	free(b->gone);
	if (b->evfd >= 0)
		close(b->evfd);
	free(b);
}

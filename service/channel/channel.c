/* spored's control channels; see channel.h. */
#include "channel.h"

#include "backend.h"
#include "conring.h"
#include "guest_teardown.h"
#include "net_xendev.h"
#include "server.h"
#include "uuid.h"
#include <spore/chan_proto.h>
#include <spore/clock.h>
#include <spore/guest_record.h>
#include <spore/log.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/console.h>

#define BACKEND_DIR "/local/domain/0/backend/console"
#define TOKEN_BACKEND "chan-be"
#define TOKEN_FRONTEND "chan-fe"
/* HELLO again while sporeinit has not answered: it may open the device
 * after the first one came (its event then found no handler). */
#define HELLO_EVERY_MS 1000
/* Frames queued for one guest beyond what its ring holds; a client's
 * stdin is not read while less than one of its messages (as frames) fits. */
#define OUTQ_MAX (64 * 1024)
#define INPUT_ROOM (SPORE_SVC_MAX_PAYLOAD + 32 * SPORE_CHAN_HDR)
#define NSTREAMS 256
#define MAX_PENDING 4096

struct chan {
	char uuid[37];
	uint32_t domid;
	uint8_t handle[16];
	struct nb_xendev x;
	void *page;
	uint64_t index;
	bool ready; /* sporeinit's end is raw: HELLO may go */
	bool greeted;
	uint16_t peer_version;
	int64_t hello_at;
	uint8_t outq[OUTQ_MAX];
	size_t outlen;
	/* Sessions: the client id of each stream (0: free), and the bytes
	 * of its stdin sent but not yet taken by its process (STDIN_ACK). */
	uint64_t sess[NSTREAMS];
	uint32_t inflight[NSTREAMS];
	size_t nsess;
	uint8_t next_stream;
	bool held; /* output waits for a slow client */
};

/* A domain to look at, or cut off (not served again while it lives). */
struct dom_ref {
	uint32_t domid;
	uint8_t handle[16];
};

struct chanset {
	struct spore_xc *xc;
	struct spore_xs *xs;
	struct server *srv;
	struct backend *backend; /* the container's stderr goes to its console's log */
	struct chan *c[CHAN_MAX];
	size_t n;
	bool scan;
	/* Frontends watched until they say Initialised. */
	uint32_t watched[MAX_PENDING];
	size_t nwatched;
	/* Domains a frontend event named since the last run. */
	uint32_t todo[MAX_PENDING];
	size_t ntodo;
	struct dom_ref cut[MAX_PENDING];
	size_t ncut;
};

int chanset_new(struct chanset **sp, struct spore_xc *xc, struct spore_xs *xs,
		struct spore_err *err)
{
	struct chanset *s = calloc(1, sizeof(*s));
	if (!s)
		return spore_err_set(err, ENOMEM, "control channels");
	s->xc = xc;
	s->xs = xs;
	s->scan = true;
	*sp = s;
	return 0;
}

int chanset_watch(struct chanset *s, struct spore_err *err)
{
	int r = spore_xs_watch(s->xs, BACKEND_DIR, TOKEN_BACKEND, err);
	return r < 0 ? spore_err_wrap(err, "control channels") : 0;
}

static size_t index_of(struct chanset *s, struct chan *c);
static void drop(struct chanset *s, size_t i, bool cut);

static volatile struct xencons_interface *intf(struct chan *c)
{
	return c->page;
}

static void fe_path(uint32_t domid, const char *key, char *buf, size_t n)
{
	snprintf(buf, n, "/local/domain/%" PRIu32 "/device/console/%d/%s", domid, SPORE_CHAN_DEVID,
		 key);
}

static void be_path(uint32_t domid, const char *key, char *buf, size_t n)
{
	snprintf(buf, n, BACKEND_DIR "/%" PRIu32 "/%d/%s", domid, SPORE_CHAN_DEVID, key);
}

/* sporeinit writes it once its end of the channel is raw: anything
 * spored wrote before would be echoed back by the tty's default line
 * discipline, and read as frames. */
static void ready_path(uint32_t domid, char *buf, size_t n)
{
	snprintf(buf, n, "/local/domain/%" PRIu32 "/" SPORE_CHAN_READY_KEY, domid);
}

static void watch_frontend(struct chanset *s, uint32_t domid, bool on)
{
	char path[128], rpath[128];
	struct spore_err e = {0};
	size_t i = 0;

	while (i < s->nwatched && s->watched[i] != domid)
		i++;
	if (on == (i < s->nwatched) || (on && s->nwatched == MAX_PENDING))
		return;
	/* Its frontend's state, and sporeinit's word that its end is raw. */
	fe_path(domid, "state", path, sizeof(path));
	ready_path(domid, rpath, sizeof(rpath));
	if (on) {
		if (spore_xs_watch(s->xs, path, TOKEN_FRONTEND, &e) == 0 &&
		    spore_xs_watch(s->xs, rpath, TOKEN_FRONTEND, &e) == 0)
			s->watched[s->nwatched++] = domid;
	} else {
		spore_xs_unwatch(s->xs, path, TOKEN_FRONTEND, &e);
		spore_xs_unwatch(s->xs, rpath, TOKEN_FRONTEND, &e);
		s->watched[i] = s->watched[--s->nwatched];
	}
}

/* A key the guest wrote, as a number of at most max: 0, -ENOENT, -EINVAL. */
static int read_num(struct spore_xs *xs, const char *path, uint64_t max, uint64_t *v)
{
	char *val = NULL;
	size_t len = 0;
	struct spore_err e = {0};
	int r = spore_xs_read(xs, 0, path, &val, &len, &e);
	uint64_t x = 0;

	if (r < 0)
		return r;
	/* Digits only, no sign, space or leading zeros' overflow. */
	if (len == 0 || len > 10)
		r = -EINVAL;
	for (size_t i = 0; i < len && r == 0; i++) {
		if (val[i] < '0' || val[i] > '9')
			r = -EINVAL;
		else
			x = x * 10 + (uint64_t)(val[i] - '0');
	}
	free(val);
	if (r == 0 && x > max)
		r = -EINVAL;
	if (r == 0)
		*v = x;
	return r;
}

static void set_backend_state(struct chanset *s, uint32_t domid, unsigned state)
{
	char path[128], val[4];
	struct spore_err e = {0};
	be_path(domid, "state", path, sizeof(path));
	snprintf(val, sizeof(val), "%u", state);
	if (spore_xs_write_str(s->xs, 0, path, val, &e) < 0 && e.code != ENOENT)
		log_warn("domain %" PRIu32 ": control channel state: %s", domid, e.msg);
}

static void chan_free(struct chan *c)
{
	nb_xendev_unmap(&c->x, c->page, c->index);
	nb_xendev_close(&c->x);
	free(c);
}

/* Lets channel i go: cut (a broken rule: not served again while its
 * domain lives, and its backend says Closed) or because the domain went. */
/* Ends session stream of c: its client, if still there, gets an error
 * and goes. */
static void end_session(struct chanset *s, struct chan *c, unsigned stream, const char *why)
{
	struct server_client *cl = s->srv ? server_find(s->srv, c->sess[stream]) : NULL;
	if (cl) {
		spore_svc_send_error(cl->fd, EPIPE, "guest %s: %s", c->uuid, why);
		server_close(s->srv, cl);
	}
	c->sess[stream] = 0;
	c->nsess--;
}

static void drop(struct chanset *s, size_t i, bool cut)
{
	struct chan *c = s->c[i];
	for (unsigned k = 1; k < NSTREAMS && c->nsess; k++)
		if (c->sess[k])
			end_session(s, c, k, cut ? "its control channel was cut off"
						 : "the guest stopped");
	if (cut) {
		if (s->ncut < MAX_PENDING) {
			s->cut[s->ncut].domid = c->domid;
			memcpy(s->cut[s->ncut++].handle, c->handle, 16);
		}
		set_backend_state(s, c->domid, 6);
	}
	log_info("guest %s (domain %" PRIu32 "): control channel %s", c->uuid, c->domid,
		 cut ? "cut off" : "let go");
	chan_free(c);
	s->c[i] = s->c[--s->n];
}

static bool is_cut(const struct chanset *s, uint32_t domid, const uint8_t h[16])
{
	for (size_t i = 0; i < s->ncut; i++)
		if (s->cut[i].domid == domid && !memcmp(s->cut[i].handle, h, 16))
			return true;
	return false;
}

/* Queues a frame for the guest; false if it breaks a rule (ours: a bug)
 * or the queue is full. */
static bool send_frame(struct chan *c, uint8_t type, uint8_t stream, const void *p, size_t len)
{
	size_t n = spore_chan_encode(c->outq + c->outlen, sizeof(c->outq) - c->outlen, type, stream,
				     p, len);
	c->outlen += n;
	return n > 0;
}

static void send_hello(struct chan *c)
{
	uint8_t v[2] = {SPORE_CHAN_VERSION & 0xff, SPORE_CHAN_VERSION >> 8};
	send_frame(c, SPORE_CHAN_HELLO, 0, v, sizeof(v));
	c->hello_at = spore_now_ms();
}

static struct server_client *session_client(struct chanset *s, struct chan *c, uint8_t stream)
{
	return c->sess[stream] && s->srv ? server_find(s->srv, c->sess[stream]) : NULL;
}

/* Whether m must wait: output for a client that has not taken enough. */
static bool must_wait(struct chanset *s, struct chan *c, const struct spore_chan_msg *m)
{
	if (m->type != SPORE_CHAN_STDOUT && m->type != SPORE_CHAN_STDERR)
		return false;
	if (!m->stream)
		return s->backend && backend_stderr_held(s->backend, c->uuid, SERVER_QUEUE_HIGH);
	struct server_client *cl = session_client(s, c, m->stream);
	return cl && server_client_backlog(cl) >= SERVER_QUEUE_HIGH;
}

/* Whether stream k's client may be read: a whole message of stdin fits
 * the queue and, for a version 2 sporeinit, the window. */
static bool may_take_input(const struct chan *c, unsigned k)
{
	return sizeof(c->outq) - c->outlen >= INPUT_ROOM &&
	       (c->peer_version < 2 ||
		c->inflight[k] + SPORE_SVC_MAX_PAYLOAD <= SPORE_CHAN_STDIN_WINDOW);
}

/* STDIN_ACK: the process took n bytes of its stdin. false: more than was
 * sent (a rule broken). */
static bool on_stdin_ack(struct chanset *s, struct chan *c, const struct spore_chan_msg *m)
{
	uint16_t n = spore_chan_u16(m->payload);

	if (!c->sess[m->stream])
		return true; /* a session gone meanwhile */
	if (n > c->inflight[m->stream]) {
		log_warn("guest %s: control channel: %u bytes of stdin acknowledged, %" PRIu32
			 " were sent", c->uuid, n, c->inflight[m->stream]);
		return false;
	}
	c->inflight[m->stream] -= n;
	struct server_client *cl = session_client(s, c, m->stream);
	if (cl && may_take_input(c, m->stream))
		cl->input_blocked = false;
	return true;
}

/* A session's frame from the guest. Frames for a stream with no session
 * are dropped: a session whose client went, or the sessions of the spored
 * before (sent before the guest read our HELLO). */
static void on_session_frame(struct chanset *s, struct chan *c, const struct spore_chan_msg *m)
{
	struct server_client *cl = session_client(s, c, m->stream);

	if (m->type == SPORE_CHAN_EXIT) {
		if (cl) {
			uint32_t code = m->payload[0];
			cl->exec = NULL;
			if (server_client_send(s->srv, cl, SPORE_SVC_EXEC_EXIT, &code, sizeof(code))) {
				cl->eof_pending = true; /* goes once all is sent */
				cl->input_blocked = false;
			}
		}
		if (c->sess[m->stream]) {
			c->sess[m->stream] = 0;
			c->nsess--;
		}
		return;
	}
	if (cl && m->len)
		server_client_send(s->srv, cl,
				   m->type == SPORE_CHAN_STDOUT ? SPORE_SVC_EXEC_STDOUT
								: SPORE_SVC_EXEC_STDERR,
				   m->payload, m->len);
}

/* One frame from the guest. false: cut the channel off. */
static bool on_frame(struct chanset *s, struct chan *c, const struct spore_chan_msg *m)
{
	if (!spore_chan_from_guest(m->type)) {
		log_warn("guest %s: control channel: frame type %u is not the guest's to send",
			 c->uuid, m->type);
		return false;
	}
	switch (m->type) {
	case SPORE_CHAN_HELLO:
		c->peer_version = spore_chan_hello_version(m);
		if (c->peer_version < SPORE_CHAN_VERSION_MIN || c->peer_version > SPORE_CHAN_VERSION) {
			log_warn("guest %s: control channel: sporeinit speaks version %u, spored "
				 "%u..%u",
				 c->uuid, c->peer_version, SPORE_CHAN_VERSION_MIN, SPORE_CHAN_VERSION);
			return false;
		}
		if (!c->greeted)
			log_info("guest %s (domain %" PRIu32 "): control channel connected, "
				 "sporeinit protocol version %u",
				 c->uuid, c->domid, c->peer_version);
		c->greeted = true;
		return true;
	case SPORE_CHAN_STDIN_ACK:
		return on_stdin_ack(s, c, m);
	case SPORE_CHAN_STDERR:
		if (!m->stream) {
			if (s->backend)
				backend_stderr(s->backend, c->uuid, m->payload, m->len);
			return true;
		}
		on_session_frame(s, c, m);
		return true;
	default:
		on_session_frame(s, c, m);
		return true;
	}
}

/* Moves whole frames both ways. false: cut the channel off. */
static bool pump(struct chanset *s, struct chan *c)
{
	volatile struct xencons_interface *x = intf(c);
	char buf[sizeof(x->out)];
	bool moved = false;

	c->held = false;
	uint32_t cons = x->out_cons, prod = x->out_prod;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	long n = conring_take(x->out, sizeof(x->out), cons, prod, buf, sizeof(buf));
	if (n < 0) {
		log_warn("guest %s: control channel ring indexes out of range (cons %" PRIu32
			 ", prod %" PRIu32 ")", c->uuid, cons, prod);
		return false;
	}
	size_t used = 0;
	for (;;) {
		struct spore_chan_msg m;
		const char *why;
		int k = spore_chan_decode(buf + used, (size_t)n - used, &m, &why);
		if (k < 0) {
			const uint8_t *h = (const uint8_t *)buf + used;
			log_warn("guest %s: control channel: invalid frame (%s; header %02x %02x %02x "
				 "%02x)", c->uuid, why, h[0], h[1], h[2], h[3]);
			return false;
		}
		if (k == 0)
			break;
		if ((c->held = must_wait(s, c, &m)))
			break; /* taken up again as the client catches up */
		if (!on_frame(s, c, &m))
			return false;
		used += (size_t)k;
	}
	if (used) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		x->out_cons = cons + (uint32_t)used;
		moved = true;
	}
	/* To the guest: whole frames only, so a spored killed here leaves no
	 * half frame in the ring for the next one's to follow. */
	size_t sent = 0;
	cons = x->in_cons;
	prod = x->in_prod;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (prod - cons > sizeof(x->in)) {
		log_warn("guest %s: control channel input indexes out of range", c->uuid);
		return false;
	}
	size_t room = sizeof(x->in) - (prod - cons);
	while (sent < c->outlen) {
		size_t len = SPORE_CHAN_HDR + ((size_t)c->outq[sent + 2] | (size_t)c->outq[sent + 3] << 8);
		if (len > room)
			break;
		conring_put(x->in, sizeof(x->in), cons, prod, (const char *)c->outq + sent, len);
		prod += (uint32_t)len;
		room -= len;
		sent += len;
	}
	if (sent) {
		__atomic_thread_fence(__ATOMIC_RELEASE);
		x->in_prod = prod;
		memmove(c->outq, c->outq + sent, c->outlen - sent);
		c->outlen -= sent;
		moved = true;
		for (unsigned k = 1; k < NSTREAMS && sizeof(c->outq) - c->outlen >= INPUT_ROOM; k++) {
			struct server_client *cl = session_client(s, c, (uint8_t)k);
			if (cl && may_take_input(c, k))
				cl->input_blocked = false;
		}
	}
	if (moved)
		nb_xendev_notify(&c->x);
	return true;
}

/* HELLO once sporeinit said its end is raw (until then its frontend stays
 * watched). */
static void check_ready(struct chanset *s, struct chan *c)
{
	char path[128], *val = NULL;
	size_t len = 0;
	struct spore_err e = {0};

	ready_path(c->domid, path, sizeof(path));
	if (c->ready || spore_xs_read(s->xs, 0, path, &val, &len, &e) < 0)
		return;
	c->ready = len == 5 && !memcmp(val, "ready", 5);
	free(val);
	if (!c->ready) {
		watch_frontend(s, c->domid, true);
		return;
	}
	watch_frontend(s, c->domid, false);
	send_hello(c);
	if (!pump(s, c))
		drop(s, index_of(s, c), true);
}

/* Serves domain d's channel if its frontend is ready. 1 served, 0 not
 * yet (its frontend is watched), -errno not to be served. */
static int serve(struct chanset *s, const struct spore_dominfo *d)
{
	char path[160], uuid[37], *val = NULL;
	size_t len;
	uint64_t state, gref, port;
	struct spore_err e = {0};
	struct chan *c = NULL;
	int r;

	if (is_cut(s, d->domid, d->handle))
		return -EPERM;
	spore_uuid_format(d->handle, uuid);
	snprintf(path, sizeof(path), SPORE_XS_GUESTS "/%s/" SPORE_REC_STATE, uuid);
	if ((r = spore_xs_read(s->xs, 0, path, &val, &len, &e)) < 0)
		return r; /* not spore's guest */
	free(val);
	fe_path(d->domid, "state", path, sizeof(path));
	r = read_num(s->xs, path, 8, &state);
	if (r == -ENOENT || (r == 0 && state < 3)) {
		watch_frontend(s, d->domid, true);
		return 0;
	}
	if (r < 0 || state > 4) {
		log_warn("guest %s: control channel: frontend state is not 1..4", uuid);
		r = -EINVAL;
		goto cut;
	}
	/* A grant reference names an entry of the guest's table; an event
	 * channel port is below 2^17 (FIFO ABI's limit). */
	fe_path(d->domid, "ring-ref", path, sizeof(path));
	if ((r = read_num(s->xs, path, UINT32_MAX, &gref)) < 0) {
		log_warn("guest %s: control channel: ring-ref is %s", uuid,
			 r == -ENOENT ? "missing" : "not a number below 2^32");
		goto cut;
	}
	fe_path(d->domid, "port", path, sizeof(path));
	if ((r = read_num(s->xs, path, (1u << 17) - 1, &port)) < 0) {
		log_warn("guest %s: control channel: port is %s", uuid,
			 r == -ENOENT ? "missing" : "not a number below 2^17");
		goto cut;
	}
	if (s->n == CHAN_MAX) {
		log_warn("guest %s: %d control channels served already", uuid, CHAN_MAX);
		return -ENOSPC;
	}
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	memcpy(c->uuid, uuid, sizeof(c->uuid));
	memcpy(c->handle, d->handle, 16);
	c->domid = d->domid;
	c->x.gnt = c->x.evt = -1;
	if ((r = nb_xendev_open(&c->x, d->domid, &e)) < 0 ||
	    (r = nb_xendev_map(&c->x, (uint32_t)gref, &c->page, &c->index, &e)) < 0 ||
	    (r = nb_xendev_bind(&c->x, (uint32_t)port, &e)) < 0) {
		log_warn("guest %s: control channel: %s", uuid, e.msg);
		nb_xendev_unmap(&c->x, c->page, c->index);
		nb_xendev_close(&c->x);
		free(c);
		goto cut;
	}
	s->c[s->n++] = c;
	set_backend_state(s, d->domid, 4);
	log_info("guest %s (domain %" PRIu32 "): control channel mapped", uuid, d->domid);
	check_ready(s, c);
	return 1;
cut:
	/* Not tried again while the domain lives: each try is the guest's
	 * to trigger (a write to its state), and logged. */
	log_info("guest %s (domain %" PRIu32 "): control channel cut off", uuid, d->domid);
	if (s->ncut < MAX_PENDING) {
		s->cut[s->ncut].domid = d->domid;
		memcpy(s->cut[s->ncut++].handle, d->handle, 16);
	}
	watch_frontend(s, d->domid, false);
	set_backend_state(s, d->domid, 6);
	return r;
}

static struct chan *by_domid(struct chanset *s, uint32_t domid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i]->domid == domid)
			return s->c[i];
	return NULL;
}

/* Every channel against the domains: served, let go. */
static void look(struct chanset *s)
{
	struct spore_dominfo *doms = NULL;
	size_t nd = 0;
	char **names = NULL;
	size_t nn = 0;
	struct spore_err e = {0};

	if (spore_domain_snapshot(s->xc, &doms, &nd, &e) < 0) {
		log_warn("control channels: %s", e.msg);
		return;
	}
	for (size_t i = 0; i < s->n;) {
		struct chan *c = s->c[i];
		const struct spore_dominfo *d = spore_domain_in(doms, nd, c->domid, c->handle);
		if (!d || spore_dominfo_shutdown(d) || spore_dominfo_dying(d)) {
			/* Its last frames first (the container's stderr): the
			 * page stays mapped until drop. */
			if (d && c->greeted)
				pump(s, c);
			drop(s, i, false);
		} else {
			i++;
		}
	}
	/* Cut-off domains and watched frontends: only while they live. */
	for (size_t i = 0; i < s->ncut;) {
		if (spore_domain_in(doms, nd, s->cut[i].domid, s->cut[i].handle))
			i++;
		else
			s->cut[i] = s->cut[--s->ncut];
	}
	for (size_t i = 0; i < s->nwatched;) {
		bool live = false;
		for (size_t k = 0; k < nd && !live; k++)
			live = doms[k].domid == s->watched[i] && !spore_dominfo_dying(&doms[k]);
		size_t before = s->nwatched;
		if (!live)
			watch_frontend(s, s->watched[i], false);
		if (s->nwatched == before)
			i++;
	}
	if (spore_xs_directory(s->xs, 0, BACKEND_DIR, &names, &nn, &e) == 0) {
		for (size_t i = 0; i < nn; i++) {
			uint64_t domid;
			char *end;
			errno = 0;
			domid = strtoull(names[i], &end, 10);
			if (errno || *end || end == names[i] || domid == 0 || domid > UINT16_MAX ||
			    by_domid(s, (uint32_t)domid))
				continue;
			for (size_t k = 0; k < nd; k++)
				if (doms[k].domid == domid && !spore_dominfo_shutdown(&doms[k]) &&
				    !spore_dominfo_dying(&doms[k]))
					serve(s, &doms[k]);
		}
	}
	free(names);
	free(doms);
}

/* A frontend event named domid: that domain only. */
static void look_one(struct chanset *s, uint32_t domid)
{
	struct spore_dominfo d;
	struct spore_err e = {0};
	struct chan *c = by_domid(s, domid);
	if (c) {
		check_ready(s, c);
		return;
	}
	if (spore_xc_domain_getinfo(s->xc, domid, &d, &e) < 0 ||
	    d.domid != domid || spore_dominfo_shutdown(&d) || spore_dominfo_dying(&d))
		return;
	serve(s, &d);
}

void chanset_event(struct chanset *s, const struct spore_xs_event *ev)
{
	if (!strcmp(ev->token, "introduce") || !strcmp(ev->token, "release") ||
	    !strcmp(ev->token, TOKEN_BACKEND)) {
		s->scan = true;
	} else if (!strcmp(ev->token, TOKEN_FRONTEND)) {
		unsigned long domid;
		if (sscanf(ev->path, "/local/domain/%lu/", &domid) == 1 && domid <= UINT16_MAX &&
		    s->ntodo < MAX_PENDING)
			s->todo[s->ntodo++] = (uint32_t)domid;
	}
}

/* Sessions whose client went: the guest kills their processes. */
static void sweep_sessions(struct chanset *s)
{
	for (size_t i = 0; i < s->n;) {
		struct chan *c = s->c[i];
		bool sent = false;
		for (unsigned k = 1; k < NSTREAMS && c->nsess; k++) {
			if (!c->sess[k] || (s->srv && server_find(s->srv, c->sess[k])))
				continue;
			if (!send_frame(c, SPORE_CHAN_CLOSE, (uint8_t)k, NULL, 0))
				break; /* again once the queue has room */
			c->sess[k] = 0;
			c->nsess--;
			sent = true;
		}
		if (sent && !pump(s, c))
			drop(s, i, true);
		else
			i++;
	}
}

void chanset_run(struct chanset *s)
{
	sweep_sessions(s);
	if (s->scan)
		look(s);
	else
		for (size_t i = 0; i < s->ntodo; i++)
			look_one(s, s->todo[i]);
	s->scan = false;
	s->ntodo = 0;
}

/* Whether any session's client of c is still behind (half the mark: no
 * flapping). */
static bool must_wait_any(struct chanset *s, struct chan *c)
{
	if (s->backend && backend_stderr_held(s->backend, c->uuid, SERVER_QUEUE_HIGH / 2))
		return true;
	for (unsigned k = 1; k < NSTREAMS; k++) {
		struct server_client *cl = session_client(s, c, (uint8_t)k);
		if (cl && server_client_backlog(cl) >= SERVER_QUEUE_HIGH / 2)
			return true;
	}
	return false;
}

size_t chanset_pollfds(struct chanset *s, struct pollfd *p, size_t max, int *timeout_ms)
{
	size_t k = 0;
	int64_t now = spore_now_ms();

	for (size_t i = 0; i < s->n && k < max; i++) {
		struct chan *c = s->c[i];
		p[k++] = (struct pollfd){.fd = c->x.evt, .events = POLLIN};
		if (c->held && !must_wait_any(s, c))
			*timeout_ms = 0;
		if (c->ready && !c->greeted) {
			int64_t left = c->hello_at + HELLO_EVERY_MS - now;
			int t = left < 0 ? 0 : (int)left;
			if (*timeout_ms < 0 || t < *timeout_ms)
				*timeout_ms = t;
		}
	}
	return k;
}

void chanset_polled(struct chanset *s, const struct pollfd *p, size_t n)
{
	int64_t now = spore_now_ms();

	for (size_t j = 0; j < n; j++) {
		size_t i = 0;
		while (i < s->n && s->c[i]->x.evt != p[j].fd)
			i++;
		if (i == s->n)
			continue;
		struct chan *c = s->c[i];
		bool kick = false;
		if (p[j].revents & POLLIN)
			kick = nb_xendev_events(&c->x) > 0;
		if (c->ready && !c->greeted && now - c->hello_at >= HELLO_EVERY_MS) {
			/* Again only once the last one was taken: no pile. */
			volatile struct xencons_interface *x = intf(c);
			if (x->in_cons == x->in_prod && !c->outlen)
				send_hello(c);
			else
				c->hello_at = now;
			kick = true;
		}
		if (c->held && !must_wait_any(s, c))
			kick = true;
		if (kick && !pump(s, c)) {
			drop(s, i, true);
			continue;
		}
		if (c->ready && !c->greeted && kick)
			nb_xendev_notify(&c->x); /* in case its first event found no handler */
	}
}

size_t chanset_count(const struct chanset *s, size_t *greeted)
{
	size_t g = 0;
	for (size_t i = 0; i < s->n; i++)
		g += s->c[i]->greeted;
	if (greeted)
		*greeted = g;
	return s->n;
}

void chanset_set_server(struct chanset *s, struct server *srv)
{
	s->srv = srv;
}

void chanset_set_backend(struct chanset *s, struct backend *b)
{
	s->backend = b;
}

static struct chan *by_uuid(struct chanset *s, const char *uuid)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->c[i]->uuid, uuid))
			return s->c[i];
	return NULL;
}

static size_t index_of(struct chanset *s, struct chan *c)
{
	size_t i = 0;
	while (i < s->n && s->c[i] != c)
		i++;
	return i;
}

void chanset_exec(struct chanset *s, struct server_client *cl, const struct spore_svc_msg *m)
{
	struct spore_svc_exec x;
	char uuid[37];
	struct chan *c;
	unsigned stream = 0;

	memcpy(&x, m->payload, sizeof(x));
	memcpy(uuid, x.uuid, 36);
	uuid[36] = '\0';
	if (cl->exec) {
		spore_svc_send_error(cl->fd, EISCONN, "an exec session is open already");
		server_close(s->srv, cl);
		return;
	}
	if (!(c = by_uuid(s, uuid)) || !c->greeted) {
		spore_svc_send_error(cl->fd, ESRCH,
				     "guest %s has no control channel (not running, or not yet)", uuid);
		server_close(s->srv, cl);
		return;
	}
	if ((x.flags & (SPORE_SVC_EXEC_TTY | SPORE_SVC_EXEC_TOP)) && c->peer_version < 2) {
		spore_svc_send_error(cl->fd, EPROTONOSUPPORT,
				     "guest %s: its sporeinit is older than this spored and has no %s "
				     "(restart the container)",
				     uuid, (x.flags & SPORE_SVC_EXEC_TOP) ? "process table" : "terminals");
		server_close(s->srv, cl);
		return;
	}
	/* The items and RUN as frames: one per item (each fits one, the
	 * message parser saw to it). */
	size_t items = m->len - sizeof(x), need = items + 64 * SPORE_CHAN_HDR + 8;
	for (unsigned k = 0; k < NSTREAMS - 1 && !stream; k++) {
		unsigned id = (unsigned)(c->next_stream + k) % (NSTREAMS - 1) + 1;
		if (!c->sess[id])
			stream = id;
	}
	if (!stream || sizeof(c->outq) - c->outlen < need) {
		spore_svc_send_error(cl->fd, EBUSY, "guest %s: too many exec sessions at once", uuid);
		server_close(s->srv, cl);
		return;
	}
	c->next_stream = (uint8_t)stream;
	const uint8_t *p = m->payload + sizeof(x), *end = p + items;
	while (p < end) {
		size_t n = strlen((const char *)p);
		send_frame(c, SPORE_CHAN_EXEC_ITEM, (uint8_t)stream, p, n);
		p += n + 1;
	}
	uint8_t run[5] = {0};
	size_t runlen = 1;
	if (x.flags & SPORE_SVC_EXEC_STDIN_OPEN)
		run[0] |= SPORE_CHAN_RUN_STDIN;
	if (x.flags & SPORE_SVC_EXEC_TOP)
		run[0] |= SPORE_CHAN_RUN_TOP;
	if (x.flags & SPORE_SVC_EXEC_TTY) {
		run[0] |= SPORE_CHAN_RUN_TTY;
		spore_chan_put_u16(run + 1, x.tty.rows);
		spore_chan_put_u16(run + 3, x.tty.cols);
		runlen = 5;
	}
	send_frame(c, SPORE_CHAN_EXEC_RUN, (uint8_t)stream, run, runlen);
	c->sess[stream] = cl->id;
	c->inflight[stream] = 0;
	c->nsess++;
	cl->exec = c;
	cl->exec_stream = stream;
	log_debug("client pid %d: exec in guest %s, stream %u", (int)cl->pid, uuid, stream);
	if (!pump(s, c))
		drop(s, index_of(s, c), true);
}

void chanset_exec_stdin(struct chanset *s, struct server_client *cl, const struct spore_svc_msg *m)
{
	struct chan *c = cl->exec;
	size_t off = 0;

	/* A client whose session ended (its EXIT is on the way) may still
	 * send: nothing to do. */
	if (!c || index_of(s, c) == s->n)
		return;
	if (sizeof(c->outq) - c->outlen < m->len + (m->len / SPORE_CHAN_MAX_PAYLOAD + 1) * SPORE_CHAN_HDR) {
		/* Cannot happen: the client is not read while it would not fit. */
		return;
	}
	do {
		size_t n = m->len - off > SPORE_CHAN_MAX_PAYLOAD ? SPORE_CHAN_MAX_PAYLOAD : m->len - off;
		send_frame(c, SPORE_CHAN_STDIN, (uint8_t)cl->exec_stream, m->payload + off, n);
		off += n;
	} while (off < m->len);
	c->inflight[cl->exec_stream] += m->len;
	if (!may_take_input(c, cl->exec_stream))
		cl->input_blocked = true;
	if (!pump(s, c))
		drop(s, index_of(s, c), true);
}

void chanset_exec_resize(struct chanset *s, struct server_client *cl, const struct spore_svc_msg *m)
{
	struct chan *c = cl->exec;
	struct spore_svc_winsize ws;
	uint8_t p[4];

	/* A resize is small and rare; one that finds the queue full is
	 * dropped (the next one says the size again). */
	if (!c || index_of(s, c) == s->n || c->peer_version < 2)
		return;
	memcpy(&ws, m->payload, sizeof(ws));
	spore_chan_put_u16(p, ws.rows);
	spore_chan_put_u16(p + 2, ws.cols);
	send_frame(c, SPORE_CHAN_RESIZE, (uint8_t)cl->exec_stream, p, sizeof(p));
	if (!pump(s, c))
		drop(s, index_of(s, c), true);
}

void chanset_free(struct chanset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		chan_free(s->c[i]);
	free(s);
}

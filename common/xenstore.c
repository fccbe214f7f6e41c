/* xenstore client over xenstored's Unix socket or /dev/xen/xenbus. The
 * byte-level protocol lives in xs_wire.c; this file does I/O, request/reply
 * matching and the watch event queue. */
#include <spore/xenstore.h>
#include <spore/clock.h>
#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* A reply slower than this means xenstored is gone or wedged; without it a
 * missing daemon behind /dev/xen/xenbus would hang us forever. */
#define XS_REPLY_TIMEOUT_MS 15000
#define XS_TX_ATTEMPTS 100
/* Requests given up on whose replies are still to come: room for several
 * whole batches (SPORE_XS_BATCH_MAX requests each) that timed out. */
#define XS_LATE_MAX 1024

struct late_req {
	uint32_t req, type;
};

struct queued_event {
	struct queued_event *next;
	struct spore_xs_event *ev;
};

struct spore_xs {
	int fd;
	int evfd;   /* eventfd, non-zero while events are queued */
	int pollfd; /* epoll over fd and evfd: what spore_xs_watch_fd() hands out */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint32_t next_req;
	char *rbuf; /* received, not yet consumed bytes */
	size_t rlen, rcap;
	char *reply; /* body of the last reply, NUL-terminated */
	size_t reply_len;
	struct queued_event *evq_head, **evq_tail;
	int reply_timeout_ms;
	/* Requests whose reply did not come in time: xenstored answers them
	 * all the same, later, and each such reply is dropped when it comes
	 * (taken for the next request's, it would put every later reply one
	 * request behind). */
	struct late_req late[XS_LATE_MAX];
	size_t nlate;
};

static int connect_socket(const char *path, int *fdp)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	*fdp = fd;
	return 0;
}

/* A socket path gets connect(), a device open(). */
static int open_transport(const char *path, int *fdp)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISSOCK(st.st_mode))
		return connect_socket(path, fdp);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*fdp = fd;
	return 0;
}

static int xs_setup(struct spore_xs **xsp, int fd, const char *path, struct spore_err *err)
{
	struct spore_xs *xs = calloc(1, sizeof(*xs));
	struct epoll_event ee = {.events = EPOLLIN};

	if (!xs) {
		close(fd);
		return spore_err_set(err, ENOMEM, "xenstore");
	}
	xs->fd = fd;
	xs->evfd = xs->pollfd = -1;
	snprintf(xs->path, sizeof(xs->path), "%s", path);
	xs->evq_tail = &xs->evq_head;
	xs->next_req = 1;
	xs->reply_timeout_ms = XS_REPLY_TIMEOUT_MS;
	xs->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	xs->pollfd = epoll_create1(EPOLL_CLOEXEC);
	if (xs->evfd < 0 || xs->pollfd < 0)
		goto fail;
	ee.data.fd = xs->fd;
	if (epoll_ctl(xs->pollfd, EPOLL_CTL_ADD, xs->fd, &ee) < 0)
		goto fail;
	ee.data.fd = xs->evfd;
	if (epoll_ctl(xs->pollfd, EPOLL_CTL_ADD, xs->evfd, &ee) < 0)
		goto fail;
	*xsp = xs;
	log_debug("xenstore: connected via %s", path);
	return 0;
fail:;
	int e = errno;
	spore_xs_close(xs);
	return spore_err_set(err, e, "xenstore: setting up the watch fd");
}

int spore_xs_open_path(struct spore_xs **xsp, const char *path, struct spore_err *err)
{
	int fd = -1;
	int r = open_transport(path, &fd);

	if (r < 0)
		return spore_err_set(err, -r, "cannot connect to xenstored at %s", path);
	return xs_setup(xsp, fd, path, err);
}

int spore_xs_open(struct spore_xs **xsp, struct spore_err *err)
{
	/* Debian's /var/run is /run, but not everywhere (minimal dom0s). */
	static const char *const sockets[] = {SPORE_XS_SOCKET, "/var/run/xenstored/socket"};
	const char *env = getenv("XENSTORED_PATH");
	int fd = -1, rs = -ENOENT;

	if (env && *env)
		return spore_xs_open_path(xsp, env, err);
	for (size_t i = 0; i < sizeof(sockets) / sizeof(sockets[0]); i++) {
		int r = connect_socket(sockets[i], &fd);
		if (r == 0)
			return xs_setup(xsp, fd, sockets[i], err);
		log_debug("xenstore: %s: %s", sockets[i], strerror(-r));
		if (rs == -ENOENT)
			rs = r;
	}
	int rb = open_transport(SPORE_XS_XENBUS, &fd);
	if (rb == 0)
		return xs_setup(xsp, fd, SPORE_XS_XENBUS, err);
	if (rb == -ENOENT && rs == -ENOENT)
		return spore_err_setx(err, ENOENT,
				      "cannot reach xenstore: neither %s nor %s exists "
				      "(not a Xen dom0, or xenstored not started?)",
				      SPORE_XS_SOCKET, SPORE_XS_XENBUS);
	return spore_err_setx(err, -rs,
			      "cannot reach xenstore: %s: %s; %s: %s (is xenstored running?)",
			      SPORE_XS_SOCKET, strerror(-rs), SPORE_XS_XENBUS, strerror(-rb));
}

void spore_xs_close(struct spore_xs *xs)
{
	if (!xs)
		return;
	while (xs->evq_head) {
		struct queued_event *q = xs->evq_head;
		xs->evq_head = q->next;
		free(q->ev);
		free(q);
	}
	if (xs->pollfd >= 0)
		close(xs->pollfd);
	if (xs->evfd >= 0)
		close(xs->evfd);
	if (xs->fd >= 0)
		close(xs->fd);
	free(xs->rbuf);
	free(xs->reply);
	free(xs);
}

int spore_xs_watch_fd(const struct spore_xs *xs)
{
	return xs->pollfd;
}

void spore_xs_set_reply_timeout(struct spore_xs *xs, int ms)
{
	xs->reply_timeout_ms = ms > 0 ? ms : XS_REPLY_TIMEOUT_MS;
}

static int write_all(struct spore_xs *xs, const char *buf, size_t len, struct spore_err *err)
{
	/* /dev/xen/xenbus wants a whole message per write(); a message is at
	 * most 4112 bytes, which one write() of a socket or device takes. */
	while (len > 0) {
		ssize_t n = write(xs->fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return spore_err_set(err, errno, "xenstore: writing to %s", xs->path);
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads more bytes into rbuf, waiting up to timeout_ms (-1: forever).
 * -ETIMEDOUT when nothing came, -ECONNRESET when the daemon hung up. */
static int fill(struct spore_xs *xs, int timeout_ms, struct spore_err *err)
{
	struct pollfd pfd = {.fd = xs->fd, .events = POLLIN};

	if (xs->rcap - xs->rlen < 4096) {
		size_t cap = xs->rcap ? xs->rcap * 2 : 8192;
		if (cap > 2 * (SPORE_XS_HDR_LEN + SPORE_XS_REPLY_MAX))
			cap = 2 * (SPORE_XS_HDR_LEN + SPORE_XS_REPLY_MAX);
		if (cap > xs->rcap) {
			char *n = realloc(xs->rbuf, cap);
			if (!n)
				return spore_err_set(err, ENOMEM, "xenstore");
			xs->rbuf = n;
			xs->rcap = cap;
		}
	}
	for (;;) {
		int r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return spore_err_set(err, errno, "xenstore: poll");
		if (r == 0)
			return -ETIMEDOUT;
		ssize_t n = read(xs->fd, xs->rbuf + xs->rlen, xs->rcap - xs->rlen);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return spore_err_set(err, errno, "xenstore: reading from %s", xs->path);
		if (n == 0)
			return spore_err_setx(err, ECONNRESET,
					      "xenstore: %s closed the connection", xs->path);
		xs->rlen += (size_t)n;
		return 0;
	}
}

static void consume(struct spore_xs *xs, size_t n)
{
	memmove(xs->rbuf, xs->rbuf + n, xs->rlen - n);
	xs->rlen -= n;
}

static int queue_event(struct spore_xs *xs, const struct spore_xs_msg *m, struct spore_err *err)
{
	const char *path, *token;
	int r = spore_xs_parse_watch_event(m, &path, &token, err);
	if (r < 0)
		return r;

	size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
	struct spore_xs_event *ev = malloc(sizeof(*ev) + pl + tl);
	struct queued_event *q = malloc(sizeof(*q));
	if (!ev || !q) {
		free(ev);
		free(q);
		return spore_err_set(err, ENOMEM, "xenstore watch event");
	}
	ev->path = (char *)(ev + 1);
	ev->token = ev->path + pl;
	memcpy(ev->path, path, pl);
	memcpy(ev->token, token, tl);
	q->ev = ev;
	q->next = NULL;
	if (!xs->evq_head) {
		uint64_t one = 1;
		if (write(xs->evfd, &one, sizeof(one)) < 0)
			log_debug("xenstore: eventfd write: %s", strerror(errno));
	}
	*xs->evq_tail = q;
	xs->evq_tail = &q->next;
	return 0;
}

static struct spore_xs_event *dequeue_event(struct spore_xs *xs)
{
	struct queued_event *q = xs->evq_head;
	if (!q)
		return NULL;
	xs->evq_head = q->next;
	if (!xs->evq_head) {
		uint64_t v;
		xs->evq_tail = &xs->evq_head;
		if (read(xs->evfd, &v, sizeof(v)) < 0)
			log_debug("xenstore: eventfd read: %s", strerror(errno));
	}
	struct spore_xs_event *ev = q->ev;
	free(q);
	return ev;
}

/* Takes one whole message from rbuf if there is one: > 0 (its size, to
 * consume() after use), 0 if incomplete, < 0 on a corrupt stream. */
static int take(struct spore_xs *xs, struct spore_xs_msg *m, struct spore_err *err)
{
	int r = spore_xs_parse(xs->rbuf, xs->rlen, SPORE_XS_REPLY_MAX, m, err);
	if (r < 0)
		spore_err_wrap(err, "xenstore: %s", xs->path);
	return r;
}

/* Queues watch events already buffered behind a reply, so that the watch fd
 * reports them even though the connection itself has nothing to read. */
static void drain_events(struct spore_xs *xs)
{
	struct spore_xs_msg m;
	struct spore_err e = {0};
	int n;

	/* A reply stops the drain: it answers a pipelined request (see
	 * spore_xs_batch) that is still to be collected. */
	while (xs->rlen && (n = take(xs, &m, &e)) > 0 && m.type == XS_WATCH_EVENT) {
		queue_event(xs, &m, &e);
		consume(xs, (size_t)n);
	}
}

/* Sends a request without waiting; *req gets its id. */
static int send_req(struct spore_xs *xs, uint32_t type, uint32_t tx, const char *const *strs,
		    size_t nstrs, const void *raw, size_t rawlen, uint32_t *req,
		    struct spore_err *err)
{
	char buf[SPORE_XS_HDR_LEN + XENSTORE_PAYLOAD_MAX];
	int r;

	*req = xs->next_req++;
	if (xs->next_req == 0)
		xs->next_req = 1;
	r = spore_xs_encode(buf, sizeof(buf), type, *req, tx, strs, nstrs, raw, rawlen, err);
	if (r < 0)
		return r;
	return write_all(xs, buf, (size_t)r, err);
}

/* Request req (of type) is given up on: its reply is dropped when it
 * comes. With more of them outstanding than remembered, the oldest is
 * forgotten (its reply would then be an unknown one: EPROTO). */
static void give_up(struct spore_xs *xs, uint32_t req, uint32_t type)
{
	if (xs->nlate == XS_LATE_MAX) {
		memmove(xs->late, xs->late + 1, (XS_LATE_MAX - 1) * sizeof(xs->late[0]));
		xs->nlate--;
	}
	xs->late[xs->nlate++] = (struct late_req){req, type};
}

/* True if m answers a request given up on: it is dropped. A transaction
 * that started after all is ended (aborted) at once, so that none stays
 * open on xenstored's side for as long as the connection lives. */
static bool drop_late(struct spore_xs *xs, const struct spore_xs_msg *m)
{
	size_t i = 0;
	uint32_t tx, req;

	while (i < xs->nlate && xs->late[i].req != m->req_id)
		i++;
	if (i == xs->nlate)
		return false;
	uint32_t type = xs->late[i].type;
	memmove(xs->late + i, xs->late + i + 1, (xs->nlate - i - 1) * sizeof(xs->late[0]));
	xs->nlate--;
	log_debug("xenstore: dropped the late reply to request %" PRIu32 " (%s)", m->req_id,
		  spore_xs_type_name(type));
	if (type == XS_TRANSACTION_START && m->type == XS_TRANSACTION_START &&
	    spore_xs_parse_u32(m->body, m->len, &tx) == 0 && tx) {
		const char *strs[] = {"F"};
		struct spore_err e = {0};
		if (send_req(xs, XS_TRANSACTION_END, tx, strs, 1, NULL, 0, &req, &e) == 0)
			give_up(xs, req, XS_TRANSACTION_END);
	}
	return true;
}

/* Waits for the next reply, queueing watch events met on the way. Its body
 * is left in xs->reply, its header in *m (m->body points at xs->reply). */
static int next_reply(struct spore_xs *xs, uint32_t type, struct spore_xs_msg *m,
		      struct spore_err *err)
{
	int64_t deadline = spore_now_ms() + xs->reply_timeout_ms;
	int r;

	for (;;) {
		r = take(xs, m, err);
		if (r < 0)
			return r;
		if (r == 0) {
			int64_t left = deadline - spore_now_ms();
			r = left > 0 ? fill(xs, (int)left, err) : -ETIMEDOUT;
			if (r == -ETIMEDOUT)
				return spore_err_setx(err, ETIMEDOUT,
						      "xenstore: no reply to %s from %s in %d s "
						      "(is xenstored running?)",
						      spore_xs_type_name(type), xs->path,
						      xs->reply_timeout_ms / 1000);
			if (r < 0)
				return r;
			continue;
		}
		size_t used = (size_t)r;
		if (m->type == XS_WATCH_EVENT) {
			r = queue_event(xs, m, err);
			consume(xs, used);
			if (r < 0)
				return r;
			continue;
		}
		if (drop_late(xs, m)) {
			consume(xs, used);
			continue;
		}
		char *body = realloc(xs->reply, m->len + 1);
		if (!body) {
			consume(xs, used);
			return spore_err_set(err, ENOMEM, "xenstore reply");
		}
		memcpy(body, m->body, m->len);
		body[m->len] = 0;
		xs->reply = body;
		xs->reply_len = m->len;
		m->body = body;
		consume(xs, used);
		drain_events(xs);
		return 0;
	}
}

/* Waits for the reply to request req, the only one outstanding. */
static int await_reply(struct spore_xs *xs, uint32_t type, uint32_t req, struct spore_err *err)
{
	struct spore_xs_msg m;
	int r = next_reply(xs, type, &m, err);

	if (r == -ETIMEDOUT)
		give_up(xs, req, type);
	if (r < 0)
		return r;
	if (m.req_id != req) {
		give_up(xs, req, type); /* its own reply is yet to come */
		return spore_err_setx(err, EPROTO, "xenstore: reply for request %u while awaiting %u",
				      m.req_id, req);
	}
	return spore_xs_reply_check(&m, type, err);
}

/* Sends a request and waits for its reply. */
static int talk(struct spore_xs *xs, uint32_t type, uint32_t tx, const char *const *strs,
		size_t nstrs, const void *raw, size_t rawlen, struct spore_err *err)
{
	uint32_t req;
	int r = send_req(xs, type, tx, strs, nstrs, raw, rawlen, &req, err);

	return r < 0 ? r : await_reply(xs, type, req, err);
}

static int path_op(struct spore_xs *xs, uint32_t type, uint32_t tx, const char *path,
		   struct spore_err *err)
{
	const char *strs[] = {path};
	int r = spore_xs_check_path(path, err);
	if (r == 0)
		r = talk(xs, type, tx, strs, 1, NULL, 0, err);
	if (r < 0)
		return spore_err_wrap(err, "%s %s", spore_xs_type_name(type), path);
	return 0;
}

int spore_xs_read(struct spore_xs *xs, uint32_t tx, const char *path, char **val, size_t *len,
		  struct spore_err *err)
{
	int r = path_op(xs, XS_READ, tx, path, err);
	if (r < 0)
		return r;
	*val = xs->reply;
	if (len)
		*len = xs->reply_len;
	xs->reply = NULL;
	return 0;
}

int spore_xs_write_str(struct spore_xs *xs, uint32_t tx, const char *path, const char *val,
		       struct spore_err *err)
{
	const char *strs[] = {path};
	int r = spore_xs_check_path(path, err);
	if (r == 0)
		r = talk(xs, XS_WRITE, tx, strs, 1, val, strlen(val), err);
	if (r < 0)
		return spore_err_wrap(err, "WRITE %s", path);
	return 0;
}

int spore_xs_mkdir(struct spore_xs *xs, uint32_t tx, const char *path, struct spore_err *err)
{
	return path_op(xs, XS_MKDIR, tx, path, err);
}

int spore_xs_rm(struct spore_xs *xs, uint32_t tx, const char *path, struct spore_err *err)
{
	return path_op(xs, XS_RM, tx, path, err);
}

/* Turns NUL-separated names into one block: a NULL-terminated pointer
 * array followed by the strings. */
static int names_block(const char *data, size_t len, char ***names, size_t *n,
		       struct spore_err *err)
{
	int cnt = spore_xs_split(data, len, NULL, 0);
	if (cnt < 0)
		return spore_err_setx(err, EPROTO, "xenstore sent a malformed directory");
	size_t ptrs = ((size_t)cnt + 1) * sizeof(char *);
	char **block = malloc(ptrs + len + 1);
	if (!block)
		return spore_err_set(err, ENOMEM, "xenstore directory");
	char *copy = (char *)block + ptrs;
	memcpy(copy, data, len);
	copy[len] = 0;
	spore_xs_split(copy, len, (const char **)block, (size_t)cnt);
	block[cnt] = NULL;
	*names = block;
	*n = (size_t)cnt;
	return 0;
}

static int directory_part(struct spore_xs *xs, uint32_t tx, const char *path, char ***names,
			  size_t *n, struct spore_err *err)
{
	struct spore_xs_dirpart dp;
	int r;

	spore_xs_dirpart_init(&dp);
	do {
		char off[24];
		const char *strs[] = {path, off};
		snprintf(off, sizeof(off), "%zu", dp.len);
		r = talk(xs, XS_DIRECTORY_PART, tx, strs, 2, NULL, 0, err);
		if (r == -ENOSYS || r == -EINVAL) {
			r = spore_err_setx(err, E2BIG,
					   "directory is over the %d-byte payload limit and "
					   "xenstored does not support DIRECTORY_PART",
					   XENSTORE_PAYLOAD_MAX);
			break;
		}
		if (r == 0)
			r = spore_xs_dirpart_feed(&dp, xs->reply, xs->reply_len, err);
	} while (r == 0);
	if (r == 1)
		r = names_block(dp.names ? dp.names : "", dp.len, names, n, err);
	spore_xs_dirpart_free(&dp);
	return r;
}

int spore_xs_directory(struct spore_xs *xs, uint32_t tx, const char *path, char ***names,
		       size_t *n, struct spore_err *err)
{
	const char *strs[] = {path};
	int r = spore_xs_check_path(path, err);

	if (r == 0)
		r = talk(xs, XS_DIRECTORY, tx, strs, 1, NULL, 0, err);
	if (r == -E2BIG) {
		log_debug("xenstore: %s is large, listing it with DIRECTORY_PART", path);
		spore_err_clear(err);
		r = directory_part(xs, tx, path, names, n, err);
	} else if (r == 0) {
		r = names_block(xs->reply, xs->reply_len, names, n, err);
	}
	if (r < 0)
		return spore_err_wrap(err, "DIRECTORY %s", path);
	return 0;
}

int spore_xs_get_perms(struct spore_xs *xs, uint32_t tx, const char *path,
		       struct spore_xs_perm **perms, size_t *n, struct spore_err *err)
{
	int r = path_op(xs, XS_GET_PERMS, tx, path, err);
	if (r < 0)
		return r;
	int cnt = spore_xs_split(xs->reply, xs->reply_len, NULL, 0);
	if (cnt <= 0)
		return spore_err_setx(err, EPROTO, "GET_PERMS %s: malformed reply", path);
	const char **strs = calloc((size_t)cnt, sizeof(*strs));
	struct spore_xs_perm *p = calloc((size_t)cnt, sizeof(*p));
	if (!strs || !p) {
		free(strs);
		free(p);
		return spore_err_set(err, ENOMEM, "GET_PERMS %s", path);
	}
	spore_xs_split(xs->reply, xs->reply_len, strs, (size_t)cnt);
	for (int i = 0; i < cnt; i++) {
		if (spore_xs_perm_parse(strs[i], &p[i]) < 0) {
			free(strs);
			free(p);
			return spore_err_setx(err, EPROTO, "GET_PERMS %s: bad entry in reply",
					      path);
		}
	}
	free(strs);
	*perms = p;
	*n = (size_t)cnt;
	return 0;
}

int spore_xs_set_perms(struct spore_xs *xs, uint32_t tx, const char *path,
		       const struct spore_xs_perm *perms, size_t n, struct spore_err *err)
{
	/* Each entry is at most "b65535": 7 bytes; the payload cap bounds n. */
	if (n == 0 || n > XENSTORE_PAYLOAD_MAX / 3)
		return spore_err_setx(err, EINVAL, "SET_PERMS %s: %zu entries", path, n);
	int r = spore_xs_check_path(path, err);
	if (r < 0)
		return spore_err_wrap(err, "SET_PERMS %s", path);
	const char **strs = calloc(n + 1, sizeof(*strs));
	char(*txt)[8] = calloc(n, sizeof(*txt));
	if (!strs || !txt) {
		r = spore_err_set(err, ENOMEM, "SET_PERMS %s", path);
		goto out;
	}
	strs[0] = path;
	for (size_t i = 0; i < n; i++) {
		if (spore_xs_perm_format(&perms[i], txt[i], sizeof(txt[i])) < 0) {
			r = spore_err_setx(err, EINVAL, "SET_PERMS %s: bad entry %zu", path, i);
			goto out;
		}
		strs[i + 1] = txt[i];
	}
	r = talk(xs, XS_SET_PERMS, tx, strs, n + 1, NULL, 0, err);
	if (r < 0)
		spore_err_wrap(err, "SET_PERMS %s", path);
out:
	free(strs);
	free(txt);
	return r;
}

static int transaction_start(struct spore_xs *xs, uint32_t *tx, struct spore_err *err)
{
	const char *strs[] = {""};
	int r = talk(xs, XS_TRANSACTION_START, 0, strs, 1, NULL, 0, err);
	if (r < 0)
		return spore_err_wrap(err, "TRANSACTION_START");
	if (spore_xs_parse_u32(xs->reply, xs->reply_len, tx) < 0 || *tx == 0)
		return spore_err_setx(err, EPROTO, "TRANSACTION_START: bad id in reply");
	return 0;
}

/* Commits (or aborts); -EAGAIN means a conflict: redo the transaction. */
static int transaction_end(struct spore_xs *xs, uint32_t tx, bool commit, struct spore_err *err)
{
	const char *strs[] = {commit ? "T" : "F"};
	int r = talk(xs, XS_TRANSACTION_END, tx, strs, 1, NULL, 0, err);
	if (r < 0)
		return spore_err_wrap(err, "TRANSACTION_END");
	return 0;
}

int spore_xs_transact(struct spore_xs *xs, spore_xs_tx_fn fn, void *arg, struct spore_err *err)
{
	for (int attempt = 1; attempt <= XS_TX_ATTEMPTS; attempt++) {
		uint32_t tx;
		int r = transaction_start(xs, &tx, err);
		if (r < 0)
			return r;
		r = fn(xs, tx, arg, err);
		if (r < 0) {
			struct spore_err ignored = {0};
			transaction_end(xs, tx, false, &ignored);
			if (r != -EAGAIN)
				return r;
		} else {
			r = transaction_end(xs, tx, true, err);
			if (r != -EAGAIN)
				return r;
		}
		log_debug("xenstore: transaction conflict, attempt %d", attempt);
		spore_err_clear(err);
		/* Back off a little so a busy writer can finish. */
		struct timespec ts = {0, (attempt < 20 ? attempt : 20) * 500000L};
		nanosleep(&ts, NULL);
	}
	return spore_err_setx(err, EAGAIN, "xenstore transaction conflicted %d times in a row",
			      XS_TX_ATTEMPTS);
}

int spore_xs_watch(struct spore_xs *xs, const char *path, const char *token,
		   struct spore_err *err)
{
	const char *strs[] = {path, token};
	int r = spore_xs_check_path(path, err);
	if (r == 0)
		r = talk(xs, XS_WATCH, 0, strs, 2, NULL, 0, err);
	if (r < 0)
		return spore_err_wrap(err, "WATCH %s", path);
	return 0;
}

int spore_xs_unwatch(struct spore_xs *xs, const char *path, const char *token,
		     struct spore_err *err)
{
	const char *strs[] = {path, token};
	int r = spore_xs_check_path(path, err);
	if (r == 0)
		r = talk(xs, XS_UNWATCH, 0, strs, 2, NULL, 0, err);
	if (r < 0)
		return spore_err_wrap(err, "UNWATCH %s", path);
	return 0;
}

int spore_xs_read_watch(struct spore_xs *xs, struct spore_xs_event **ev, int timeout_ms,
			struct spore_err *err)
{
	int64_t deadline = timeout_ms < 0 ? 0 : spore_now_ms() + timeout_ms;

	for (;;) {
		*ev = dequeue_event(xs);
		if (*ev)
			return 0;
		struct spore_xs_msg m;
		int r = take(xs, &m, err);
		if (r < 0)
			return r;
		if (r > 0) {
			size_t used = (size_t)r;
			if (m.type == XS_WATCH_EVENT)
				r = queue_event(xs, &m, err);
			else if (!drop_late(xs, &m))
				log_warn("xenstore: ignoring an unexpected %s message",
					 spore_xs_type_name(m.type));
			consume(xs, used);
			if (r < 0)
				return r;
			continue;
		}
		int wait = -1;
		if (timeout_ms >= 0) {
			int64_t left = deadline - spore_now_ms();
			wait = left > 0 ? (int)left : 0;
		}
		r = fill(xs, wait, err);
		if (r == -ETIMEDOUT)
			return -EAGAIN;
		if (r < 0)
			return r;
	}
}

/* A token of our own per wait entry: a watch is (path, token), so one
 * already set by the caller on the same path is left alone. */
static void wait_token(char *buf, size_t n, size_t i)
{
	snprintf(buf, n, "spore-wait-%zu", i);
}

int spore_xs_wait_all(struct spore_xs *xs, struct spore_xs_wait *w, size_t n,
		      struct spore_err *err)
{
	int64_t start = spore_now_ms();
	size_t watched = 0, pending = n;
	char token[32];
	int r = 0;

	for (size_t i = 0; i < n; i++)
		w[i].done = w[i].timed_out = false;
	for (; watched < n; watched++) {
		wait_token(token, sizeof(token), watched);
		if ((r = spore_xs_watch(xs, w[watched].path, token, err)) < 0)
			break;
	}
	while (r >= 0 && pending) {
		int64_t wait = -1;
		for (size_t i = 0; i < n && r >= 0; i++) {
			if (w[i].done)
				continue;
			r = w[i].look(xs, w[i].arg, err);
			if (r > 0) {
				w[i].done = true;
				pending--;
				r = 0;
				continue;
			}
			int64_t left = w[i].timeout_ms - (spore_now_ms() - start);
			if (r == 0 && left <= 0) {
				w[i].timed_out = true;
				r = spore_err_setx(err, ETIMEDOUT, "xenstore: %s: not ready within %d ms",
						   w[i].path, w[i].timeout_ms);
			} else if (r == 0 && (wait < 0 || left < wait)) {
				wait = left;
			}
		}
		if (r < 0 || !pending)
			break;
		struct spore_xs_event *ev = NULL;
		r = spore_xs_read_watch(xs, &ev, (int)wait, err);
		free(ev);
		if (r == -EAGAIN)
			r = 0;
	}
	for (size_t i = 0; i < watched; i++) {
		struct spore_err ignored = {0};
		wait_token(token, sizeof(token), i);
		spore_xs_unwatch(xs, w[i].path, token, &ignored);
	}
	return r;
}

int spore_xs_wait(struct spore_xs *xs, const char *path, int timeout_ms, spore_xs_look_fn look,
		  void *arg, struct spore_err *err)
{
	struct spore_xs_wait w = {.path = path, .timeout_ms = timeout_ms, .look = look, .arg = arg};
	return spore_xs_wait_all(xs, &w, 1, err);
}

int spore_xs_introduce(struct spore_xs *xs, uint32_t domid, uint64_t mfn, uint32_t port,
		       struct spore_err *err)
{
	char d[16], m[24], p[16];
	const char *strs[] = {d, m, p};
	snprintf(d, sizeof(d), "%" PRIu32, domid);
	snprintf(m, sizeof(m), "%" PRIu64, mfn);
	snprintf(p, sizeof(p), "%" PRIu32, port);
	int r = talk(xs, XS_INTRODUCE, 0, strs, 3, NULL, 0, err);
	if (r < 0)
		return spore_err_wrap(err, "INTRODUCE domain %" PRIu32, domid);
	return 0;
}

/* Sends op (its request only). */
static int batch_send(struct spore_xs *xs, uint32_t tx, const struct spore_xs_op *op,
		      uint32_t *req, struct spore_err *err)
{
	const char *strs[1 + SPORE_XS_OP_MAX_PERMS] = {op->path};
	char txt[SPORE_XS_OP_MAX_PERMS][8];
	size_t nstrs = 1;
	int r = spore_xs_check_path(op->path, err);

	if (r < 0)
		return r;
	switch (op->type) {
	case XS_READ:
	case XS_MKDIR:
	case XS_RM:
		break;
	case XS_WRITE:
		return send_req(xs, XS_WRITE, tx, strs, 1, op->val, op->len, req, err);
	case XS_SET_PERMS:
		if (op->nperms == 0 || op->nperms > SPORE_XS_OP_MAX_PERMS)
			return spore_err_setx(err, EINVAL, "%zu permission entries", op->nperms);
		for (size_t i = 0; i < op->nperms; i++) {
			if (spore_xs_perm_format(&op->perms[i], txt[i], sizeof(txt[i])) < 0)
				return spore_err_setx(err, EINVAL, "bad permission entry %zu", i);
			strs[nstrs++] = txt[i];
		}
		break;
	default:
		return spore_err_setx(err, EINVAL, "%s cannot be batched",
				      spore_xs_type_name(op->type));
	}
	return send_req(xs, op->type, tx, strs, nstrs, NULL, 0, req, err);
}

int spore_xs_batch(struct spore_xs *xs, uint32_t tx, struct spore_xs_op *ops, size_t n,
		   struct spore_err *err)
{
	uint32_t reqs[SPORE_XS_BATCH_MAX];
	int first = 0;

	for (size_t i = 0; i < n; i++) {
		ops[i].result = 0;
		ops[i].out = NULL;
		ops[i].out_len = 0;
	}
	/* In chunks, so that the replies waiting on the connection stay far
	 * below a socket buffer whatever the daemon does meanwhile. */
	for (size_t base = 0; base < n; base += SPORE_XS_BATCH_MAX) {
		size_t cnt = n - base < SPORE_XS_BATCH_MAX ? n - base : SPORE_XS_BATCH_MAX, sent;
		int r = 0;

		for (sent = 0; sent < cnt; sent++) {
			struct spore_xs_op *op = &ops[base + sent];
			if ((r = batch_send(xs, tx, op, &reqs[sent], err)) < 0) {
				spore_err_wrap(err, "%s %s", spore_xs_type_name(op->type), op->path);
				break;
			}
		}
		/* Collect what was sent even after a send failed: the connection
		 * must stay in step. Replies are matched by id, not by order. */
		for (size_t got = 0; got < sent; got++) {
			struct spore_xs_msg m;
			struct spore_err e = {0};
			size_t i = 0;
			int t = next_reply(xs, ops[base].type, &m, &e);

			while (t >= 0 && i < sent && reqs[i] != m.req_id)
				i++;
			if (t >= 0 && i == sent) {
				/* Not one of ours (a request given up on that is no
				 * longer remembered): dropped; ours are still due. */
				log_warn("xenstore: dropped a reply for unknown request %u", m.req_id);
				got--;
				continue;
			}
			for (size_t k = 0; t == -ETIMEDOUT && k < sent; k++)
				if (reqs[k])
					give_up(xs, reqs[k], ops[base + k].type);
			if (t < 0) {
				*err = e;
				return t; /* a timeout's late replies are dropped as they come */
			}
			struct spore_xs_op *op = &ops[base + i];
			reqs[i] = 0; /* ids are never 0: a duplicate reply is unknown */
			t = spore_xs_reply_check(&m, op->type, &e);
			op->result = t < 0 ? t : 0;
			if (t >= 0 && op->type == XS_READ) {
				op->out = xs->reply;
				op->out_len = xs->reply_len;
				xs->reply = NULL;
			}
			if (t < 0 && !op->may_fail && !first) {
				*err = e;
				spore_err_wrap(err, "%s %s", spore_xs_type_name(op->type), op->path);
				first = t;
			}
		}
		if (r < 0)
			return r;
	}
	return first;
}

void spore_xs_batch_free(struct spore_xs_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ops[i].out);
		ops[i].out = NULL;
	}
}

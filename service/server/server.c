/* spored's socket; see server.h. */
#include "server.h"

#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct server {
	int fd;
	char path[108];
	server_handler h;
	void *arg;
	struct server_client c[SERVER_MAX_CLIENTS];
	size_t n;
	uint64_t next_id;
	unsigned char buf[SPORE_SVC_MAX_MSG];
};

int server_open(struct server **sp, const char *path, server_handler h, void *arg,
		struct spore_err *err)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct server *s;
	int r = 0;

	if (strlen(path) >= sizeof(a.sun_path))
		return spore_err_setx(err, ENAMETOOLONG, "socket path %s is too long", path);
	if (!(s = calloc(1, sizeof(*s))))
		return spore_err_set(err, ENOMEM, "server");
	strcpy(a.sun_path, path);
	strcpy(s->path, path);
	s->h = h;
	s->arg = arg;
	s->fd = -1;
	char dir[108];
	strcpy(dir, path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			r = spore_err_set(err, errno, "creating %s", dir);
			goto out;
		}
	}
	/* A socket that answers belongs to a running spored: not ours to take. */
	int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0) {
		close(probe);
		r = spore_err_setx(err, EADDRINUSE, "%s: another spored is running", path);
		goto out;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	s->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		r = spore_err_set(err, errno, "socket");
		goto out;
	}
	/* Root only for now: the mode keeps others out, SO_PEERCRED checks. */
	mode_t old = umask(0177);
	if (bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		r = spore_err_set(err, errno, "binding %s", path);
	umask(old);
	if (r >= 0 && listen(s->fd, 16) < 0)
		r = spore_err_set(err, errno, "listening on %s", path);
out:
	if (r < 0) {
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return r;
	}
	log_info("listening on %s", path);
	*sp = s;
	return 0;
}

void server_free(struct server *s)
{
	if (!s)
		return;
	while (s->n)
		server_close(s, &s->c[0]);
	close(s->fd);
	unlink(s->path);
	free(s);
}

size_t server_nclients(const struct server *s)
{
	return s->n;
}

void server_close(struct server *s, struct server_client *c)
{
	log_debug("client %d (pid %d) gone", c->fd, (int)c->pid);
	close(c->fd);
	free(c->q);
	free(c->mq);
	s->n--;
	size_t i = (size_t)(c - s->c);
	if (i != s->n)
		s->c[i] = s->c[s->n];
}

/* false when there is nobody more to accept. */
static bool accept_one(struct server *s)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
		log_warn("refused a client (uid %d): root only", len ? (int)cred.uid : -1);
		spore_svc_send_error(fd, EACCES, "spored serves root only");
		close(fd);
		return true;
	}
	if (s->n == SERVER_MAX_CLIENTS) {
		log_warn("refused a client (pid %d): %d clients already", (int)cred.pid,
			 SERVER_MAX_CLIENTS);
		spore_svc_send_error(fd, EMFILE, "spored has too many clients");
		close(fd);
		return true;
	}
	s->c[s->n++] = (struct server_client){.fd = fd, .pid = cred.pid, .id = ++s->next_id};
	log_debug("client %d (pid %d)", fd, (int)cred.pid);
	return true;
}

/* Sends the queued messages; false if the client is gone. */
static bool flush_messages(struct server *s, struct server_client *c, bool *blocked)
{
	size_t off = 0;
	while (off < c->mqlen) {
		uint32_t len;
		uint16_t type;
		memcpy(&len, c->mq + off, sizeof(len));
		memcpy(&type, c->mq + off + 4, sizeof(type));
		int r = spore_svc_send(c->fd, type, c->mq + off + 6, len, 1);
		if (r == -EAGAIN) {
			*blocked = true;
			break;
		}
		if (r < 0) {
			server_close(s, c);
			return false;
		}
		off += 6 + len;
	}
	if (off) {
		memmove(c->mq, c->mq + off, c->mqlen - off);
		c->mqlen -= off;
	}
	return true;
}

/* Sends what is queued; true if the client is still there. */
static bool flush(struct server *s, struct server_client *c)
{
	size_t off = 0;
	bool blocked = false;
	if (!flush_messages(s, c, &blocked))
		return false;
	while (!blocked && off < c->qlen) {
		size_t n = c->qlen - off;
		if (n > SPORE_SVC_MAX_PAYLOAD)
			n = SPORE_SVC_MAX_PAYLOAD;
		int r = spore_svc_send(c->fd, SPORE_SVC_OUTPUT, c->q + off, n, 1);
		if (r == -EAGAIN)
			break;
		if (r < 0) {
			server_close(s, c);
			return false;
		}
		off += n;
	}
	memmove(c->q, c->q + off, c->qlen - off);
	c->qlen -= off;
	if (!c->qlen && !c->mqlen && c->eof_pending) {
		spore_svc_send(c->fd, SPORE_SVC_EOF, NULL, 0, 1);
		server_close(s, c);
		return false;
	}
	return true;
}

size_t server_pollfds(struct server *s, struct pollfd *p, size_t max)
{
	size_t k = 0;
	if (max < 1 + s->n)
		return 0;
	p[k++] = (struct pollfd){.fd = s->fd, .events = POLLIN};
	for (size_t i = 0; i < s->n; i++) {
		struct server_client *c = &s->c[i];
		short ev = (c->input_blocked || c->eof_pending ? 0 : POLLIN) |
			   (c->qlen || c->mqlen ? POLLOUT : 0);
		p[k++] = (struct pollfd){.fd = c->fd, .events = ev};
	}
	return k;
}

static struct server_client *by_fd(struct server *s, int fd)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].fd == fd)
			return &s->c[i];
	return NULL;
}

void server_polled(struct server *s, const struct pollfd *p, size_t n)
{
	if (!n)
		return;
	/* Clients first (by fd: handling one may close another), then new ones. */
	for (size_t i = 1; i < n; i++) {
		struct server_client *c = by_fd(s, p[i].fd);
		if (!c || !p[i].revents)
			continue;
		if ((p[i].revents & POLLOUT) && !flush(s, c))
			continue;
		if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		struct spore_svc_msg m;
		struct spore_err e = {0};
		int r = spore_svc_recv(c->fd, s->buf, &m, &e);
		if (r == -EAGAIN)
			continue;
		if (r < 0)
			log_warn("client pid %d: %s", (int)c->pid, e.msg);
		if (r <= 0) {
			server_close(s, c);
			continue;
		}
		s->h(s->arg, s, c, &m);
	}
	/* All that wait (a few at most per round: the others get their turn). */
	for (int k = 0; k < 16 && (p[0].revents & POLLIN) && accept_one(s); k++) {
	}
}

/* false if the client is gone. */
static bool queue(struct server *s, struct server_client *c, const void *buf, size_t n)
{
	unsigned char *q = realloc(c->q, c->qlen + n);
	if (!q) {
		log_warn("client pid %d: out of memory for its output", (int)c->pid);
		server_close(s, c);
		return false;
	}
	c->q = q;
	memcpy(c->q + c->qlen, buf, n);
	c->qlen += n;
	return flush(s, c);
}

bool server_client_output(struct server *s, struct server_client *c, const void *buf, size_t n)
{
	return !n || queue(s, c, buf, n);
}

void server_output(struct server *s, const void *console, const void *buf, size_t n)
{
	for (size_t i = 0; i < s->n && n; i++)
		if (s->c[i].console == console && !queue(s, &s->c[i], buf, n))
			i--;
}

void server_output_err(struct server *s, const void *console, const void *buf, size_t n)
{
	for (size_t i = 0; i < s->n && n; i++)
		if (s->c[i].console == console &&
		    !server_client_send(s, &s->c[i], SPORE_SVC_OUTPUT_ERR, buf, n))
			i--;
}

size_t server_backlog(const struct server *s, const void *console)
{
	size_t most = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].console == console && server_client_backlog(&s->c[i]) > most)
			most = server_client_backlog(&s->c[i]);
	return most;
}

void server_console_gone(struct server *s, const void *console)
{
	for (size_t i = 0; i < s->n; i++) {
		struct server_client *c = &s->c[i];
		if (c->console != console)
			continue;
		c->console = NULL;
		c->eof_pending = true;
		if (!flush(s, c))
			i--;
	}
}

void server_input_unblock(struct server *s, const void *console)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].console == console)
			s->c[i].input_blocked = false;
}

struct server_client *server_find(struct server *s, uint64_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].id == id)
			return &s->c[i];
	return NULL;
}

bool server_client_send(struct server *s, struct server_client *c, enum spore_svc_type type,
			const void *payload, size_t len)
{
	uint32_t l = (uint32_t)len;
	uint16_t t = (uint16_t)type;
	unsigned char *q = len <= SPORE_SVC_MAX_PAYLOAD ? realloc(c->mq, c->mqlen + 6 + len) : NULL;
	if (!q) {
		log_warn("client pid %d: out of memory for its messages", (int)c->pid);
		server_close(s, c);
		return false;
	}
	c->mq = q;
	memcpy(q + c->mqlen, &l, 4);
	memcpy(q + c->mqlen + 4, &t, 2);
	if (len)
		memcpy(q + c->mqlen + 6, payload, len);
	c->mqlen += 6 + len;
	return flush(s, c);
}

size_t server_client_backlog(const struct server_client *c)
{
	return c->qlen + c->mqlen;
}

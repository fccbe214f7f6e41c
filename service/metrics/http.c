/* The responder (http.h). A connection reads its request, then writes its
 * whole answer, built at once in memory (a page is a few hundred bytes per
 * guest), then is closed; its deadline covers both, so a client that sends
 * slowly or does not read cannot hold a slot for long. */
#include "http.h"
#include "expo.h"
#include <spore/clock.h>
#include <spore/log.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct conn {
	int fd; /* -1: free */
	int64_t deadline;
	char req[HTTP_MAX_REQ];
	size_t rlen;
	char *out; /* the answer, once the request is read */
	size_t olen, off;
};

struct httpd {
	int lfd;
	http_page_fn fn;
	void *arg;
	struct conn c[HTTP_MAX_CONNS];
	/* Which conn each of the last pollfds is for (-1: the listener). */
	int polled[HTTP_MAX_CONNS + 1];
};

int http_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (!colon || colon == s || (hl = (size_t)(colon - s)) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || colon[1] == '-' || colon[1] == '+' || port < 1 ||
	    port > 65535)
		return -EINVAL;
	if (host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return 0;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
		return -EINVAL;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	*len = sizeof(*a);
	return 0;
}

int http_judge(const char *req, size_t n)
{
	const char *sp1 = memchr(req, ' ', n);
	if (!sp1)
		return 400;
	const char *path = sp1 + 1;
	const char *sp2 = memchr(path, ' ', n - (size_t)(path - req));
	if (!sp2 || sp2 == path)
		return 400;
	size_t rest = n - (size_t)(sp2 + 1 - req);
	if (rest < 8 || memcmp(sp2 + 1, "HTTP/1.", 7) || (sp2[8] != '0' && sp2[8] != '1'))
		return 400;
	if ((size_t)(sp1 - req) != 3 || memcmp(req, "GET", 3))
		return 405;
	size_t plen = (size_t)(sp2 - path);
	const char *q = memchr(path, '?', plen);
	if (q)
		plen = (size_t)(q - path);
	if (plen != 8 || memcmp(path, "/metrics", 8))
		return 404;
	return 200;
}

int httpd_open(struct httpd **hp, const char *addr, http_page_fn fn, void *arg,
	       struct spore_err *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct httpd *h = NULL;
	int one = 1, r = 0, fd = -1;

	if (http_parse_addr(addr, &ss, &len) < 0) {
		r = spore_err_setx(err, EINVAL, "metrics address '%s' is not IPv4:PORT or [IPv6]:PORT",
				   addr);
		goto out;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
		r = spore_err_set(err, errno, "metrics: listening on %s", addr);
		goto out;
	}
	if (!(h = calloc(1, sizeof(*h)))) {
		r = spore_err_set(err, ENOMEM, "metrics");
		goto out;
	}
	h->lfd = fd;
	h->fn = fn;
	h->arg = arg;
	for (int i = 0; i < HTTP_MAX_CONNS; i++)
		h->c[i].fd = -1;
	*hp = h;
	log_info("serving /metrics on %s", addr);
out:
	if (r < 0 && fd >= 0)
		close(fd);
	return r;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->rlen = c->olen = c->off = 0;
}

void httpd_free(struct httpd *h)
{
	if (!h)
		return;
	for (int i = 0; i < HTTP_MAX_CONNS; i++)
		if (h->c[i].fd >= 0)
			conn_close(&h->c[i]);
	close(h->lfd);
	free(h);
}

size_t httpd_pollfds(struct httpd *h, struct pollfd *p, size_t max, int *timeout_ms)
{
	size_t n = 0, busy = 0;
	int64_t now = spore_now_ns();

	if (!h)
		return 0;
	for (int i = 0; i < HTTP_MAX_CONNS && n < max; i++) {
		struct conn *c = &h->c[i];
		if (c->fd < 0)
			continue;
		busy++;
		int64_t left = (c->deadline - now) / 1000000 + 1;
		if (left < 0)
			left = 0;
		if (*timeout_ms < 0 || left < *timeout_ms)
			*timeout_ms = (int)left;
		h->polled[n] = i;
		p[n++] = (struct pollfd){.fd = c->fd, .events = c->out ? POLLOUT : POLLIN};
	}
	/* With every slot taken, new clients wait in the backlog. */
	if (busy < HTTP_MAX_CONNS && n < max) {
		h->polled[n] = -1;
		p[n++] = (struct pollfd){.fd = h->lfd, .events = POLLIN};
	}
	return n;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	default: return "Bad Request";
	}
}

/* Builds c's answer to a request judged status (the page, for a 200). */
static void answer(struct httpd *h, struct conn *c, int status)
{
	char *body = NULL, *out = NULL;
	size_t blen = 0, olen = 0;
	struct spore_err e = {0};

	if (status == 200) {
		FILE *f = open_memstream(&body, &blen);
		int r = f ? h->fn(h->arg, f, &e) : spore_err_set(&e, ENOMEM, "metrics");
		if ((f && fclose(f) == EOF) || r < 0) {
			log_warn("metrics: %s", e.code ? e.msg : "building the page");
			free(body);
			body = NULL;
			status = 500;
		}
	}
	if (status != 200 && asprintf(&body, "%d %s\n", status, reason(status)) < 0)
		body = NULL;
	if (body)
		blen = strlen(body);
	FILE *o = body ? open_memstream(&out, &olen) : NULL;
	if (o) {
		fprintf(o,
			"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
			"Connection: close\r\n\r\n",
			status, reason(status), status == 200 ? EXPO_CONTENT_TYPE : "text/plain",
			blen, status == 405 ? "Allow: GET\r\n" : "");
		fwrite(body, 1, blen, o);
	}
	if (!o || fclose(o) == EOF) {
		free(out);
		conn_close(c);
	} else {
		c->out = out;
		c->olen = olen;
		c->off = 0;
	}
	free(body);
}

static void conn_read(struct httpd *h, struct conn *c)
{
	ssize_t k = read(c->fd, c->req + c->rlen, sizeof(c->req) - c->rlen - 1);
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (k <= 0) {
		conn_close(c);
		return;
	}
	c->rlen += (size_t)k;
	c->req[c->rlen] = '\0';
	/* The request line and headers end at a blank line; a body is not
	 * read (a GET has none, anything else is refused). */
	char *end = strstr(c->req, "\r\n\r\n");
	if (!end)
		end = strstr(c->req, "\n\n");
	if (end || memchr(c->req, '\0', c->rlen)) {
		char *eol = strpbrk(c->req, "\r\n");
		answer(h, c, memchr(c->req, '\0', c->rlen) ? 400
					  : http_judge(c->req, (size_t)(eol - c->req)));
	} else if (c->rlen == sizeof(c->req) - 1) {
		answer(h, c, 431);
	}
}

static void conn_write(struct conn *c)
{
	ssize_t k = send(c->fd, c->out + c->off, c->olen - c->off, MSG_NOSIGNAL);
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (k < 0) {
		conn_close(c);
		return;
	}
	c->off += (size_t)k;
	if (c->off == c->olen) {
		shutdown(c->fd, SHUT_WR);
		conn_close(c);
	}
}

void httpd_polled(struct httpd *h, const struct pollfd *p, size_t n)
{
	int64_t now = spore_now_ns();

	if (!h)
		return;
	for (size_t i = 0; i < n; i++) {
		if (h->polled[i] < 0) {
			if (!(p[i].revents & POLLIN))
				continue;
			int fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			for (int k = 0; k < HTTP_MAX_CONNS; k++)
				if (h->c[k].fd < 0) {
					h->c[k].fd = fd;
					h->c[k].deadline = now + (int64_t)HTTP_TIMEOUT_MS * 1000000;
					fd = -1;
					break;
				}
			if (fd >= 0)
				close(fd);
			continue;
		}
		struct conn *c = &h->c[h->polled[i]];
		if (c->fd != p[i].fd || !p[i].revents)
			continue;
		if (c->out)
			conn_write(c);
		else
			conn_read(h, c);
	}
	for (int k = 0; k < HTTP_MAX_CONNS; k++)
		if (h->c[k].fd >= 0 && now >= h->c[k].deadline) {
			log_debug("metrics: a client past its %d ms, closed", HTTP_TIMEOUT_MS);
			conn_close(&h->c[k]);
		}
}

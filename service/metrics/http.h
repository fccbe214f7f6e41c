/* A minimal HTTP/1.x responder for spored's poll loop: GET /metrics only
 * (anything else: 404, 405 or 400), one request per connection, then
 * closed. It never blocks the loop: non-blocking sockets, at most
 * HTTP_MAX_CONNS connections (more wait in the listen backlog), a request
 * of at most HTTP_MAX_REQ bytes, and HTTP_TIMEOUT_MS for a connection's
 * whole life, after which it is closed whatever it was doing. */
#ifndef SPORED_HTTP_H
#define SPORED_HTTP_H

#include <spore/err.h>

#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>

#define HTTP_MAX_CONNS 4
#define HTTP_MAX_REQ 4096
#define HTTP_TIMEOUT_MS 5000

/* Writes the page's body to f. */
typedef int (*http_page_fn)(void *arg, FILE *f, struct spore_err *err);

struct httpd;

/* "IPv4:PORT" or "[IPv6]:PORT", numeric only; -EINVAL otherwise. Pure. */
int http_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len);
/* What a request asks for (the bytes up to its blank line): the status to
 * answer, 200 for GET /metrics. Pure. */
int http_judge(const char *req, size_t n);

int httpd_open(struct httpd **hp, const char *addr, http_page_fn fn, void *arg,
	       struct spore_err *err);
void httpd_free(struct httpd *h);
/* Its fds (none for a NULL h); *timeout_ms is lowered to the nearest
 * connection's deadline. */
size_t httpd_pollfds(struct httpd *h, struct pollfd *p, size_t max, int *timeout_ms);
void httpd_polled(struct httpd *h, const struct pollfd *p, size_t n);

#endif

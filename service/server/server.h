/* spored's unix socket: accepting clients (root only, by SO_PEERCRED),
 * receiving their messages (include/spore/svc_proto.h) and sending them
 * console output without ever blocking the service: each client has a
 * bounded queue, and what a slow client has not taken yet holds back the
 * console it watches (the guest's ring fills, the guest waits), so nothing
 * is dropped on the way to an attached terminal. */
#ifndef SPORED_SERVER_H
#define SPORED_SERVER_H

#include <spore/err.h>
#include <spore/svc_proto.h>

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SERVER_MAX_CLIENTS 64
/* Output queued per client before its console stops taking from the ring. */
#define SERVER_QUEUE_HIGH (256 * 1024)

struct server_client {
	int fd;
	pid_t pid;
	void *console;      /* the console it is attached to, or NULL */
	bool input_blocked; /* its console's input queue is full: not read */
	bool eof_pending;   /* send EOF once the queue is empty, then close */
	unsigned char *q;   /* queued output */
	size_t qlen;
	unsigned char *mq;  /* queued typed messages (exec's), each u32 length, u16 type, payload */
	size_t mqlen;
	uint64_t id;        /* unique for spored's life: a client that went is not taken for a new one */
	void *exec;         /* the control channel of its exec session, or NULL */
	unsigned exec_stream; /* that session's stream */
};

struct server;

/* Called for each valid message; c may be closed by it (server_close). */
typedef void (*server_handler)(void *arg, struct server *s, struct server_client *c,
			       const struct spore_svc_msg *m);

/* Creates the socket's folder (0755) and the socket (0600), replacing a
 * stale one (a socket nobody answers on). */
int server_open(struct server **sp, const char *path, server_handler h, void *arg,
		struct spore_err *err);
void server_free(struct server *s);
size_t server_pollfds(struct server *s, struct pollfd *p, size_t max);
void server_polled(struct server *s, const struct pollfd *p, size_t n);
size_t server_nclients(const struct server *s);

/* Queues output for every client attached to console (none are refused:
 * callers look at server_backlog first). */
void server_output(struct server *s, const void *console, const void *buf, size_t n);
/* The same for the container's stderr (OUTPUT_ERR messages). */
void server_output_err(struct server *s, const void *console, const void *buf, size_t n);
/* Queues output for one client (and sends what it can); false if that
 * closed it (c is then another client's slot). */
bool server_client_output(struct server *s, struct server_client *c, const void *buf, size_t n);
/* The largest queue among the clients attached to console. */
size_t server_backlog(const struct server *s, const void *console);
/* Sends EOF (after what is queued) to console's clients and detaches them. */
void server_console_gone(struct server *s, const void *console);
/* Wakes the readers blocked on console's input. */
void server_input_unblock(struct server *s, const void *console);
void server_close(struct server *s, struct server_client *c);
/* The client of that id, or NULL if it is gone. */
struct server_client *server_find(struct server *s, uint64_t id);
/* Queues one message of type for c (and sends what it can); false if
 * that closed it. */
bool server_client_send(struct server *s, struct server_client *c, enum spore_svc_type type,
			const void *payload, size_t len);
/* Bytes queued for c, output and messages. */
size_t server_client_backlog(const struct server_client *c);

#endif

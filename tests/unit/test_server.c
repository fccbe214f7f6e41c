/* spored's socket (service/server/server.c): a client's PING reaches the
 * handler, a second spored on the same socket is refused, output queued
 * for an attached client arrives whole and in order, EOF after it, and a
 * malformed message closes the client. */
#include "server.h"
#include "tap.h"
#include <spore/svc_proto.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int pings;
static struct server_client *last;

static void handler(void *arg, struct server *s, struct server_client *c,
		    const struct spore_svc_msg *m)
{
	(void)arg;
	(void)s;
	last = c;
	if (m->type == SPORE_SVC_PING) {
		pings++;
		struct spore_svc_pong p = {.pid = 1};
		spore_svc_send(c->fd, SPORE_SVC_PONG, &p, sizeof(p), 1);
	}
}

/* One round of the service's loop. */
static void turn(struct server *s)
{
	struct pollfd p[SERVER_MAX_CLIENTS + 1];
	size_t n = server_pollfds(s, p, SERVER_MAX_CLIENTS + 1);
	if (poll(p, n, 1000) > 0)
		server_polled(s, p, n);
}

int main(void)
{
	static unsigned char buf[SPORE_SVC_MAX_MSG];
	char dir[] = "/tmp/test_server.XXXXXX", path[128];
	struct spore_err err = {0};
	struct spore_svc_msg m;
	struct server *s = NULL, *s2 = NULL;
	static int console; /* stands for a console */

	setvbuf(stdout, NULL, _IONBF, 0);
	ok(mkdtemp(dir) != NULL, "a temp folder");
	snprintf(path, sizeof(path), "%s/run/spored.sock", dir);
	is_int(server_open(&s, path, handler, NULL, &err), 0, "the socket opens (its folder made)");
	is_int(server_open(&s2, path, handler, NULL, &err), -EADDRINUSE,
	       "a second spored on it is refused");
	/* Its probe (a connection, closed at once): accepted, then let go. */
	turn(s);
	turn(s);
	is_int((int)server_nclients(s), 0, "the probe's connection is let go");
	int c = spore_svc_connect(path, &err);
	ok(c >= 0, "a client connects");
	turn(s); /* accept */
	is_int((int)server_nclients(s), geteuid() == 0 ? 1 : 0, "... and is served if root");
	if (geteuid() != 0) {
		/* Not root: the refusal is all there is to see. */
		is_int(spore_svc_recv(c, buf, &m, &err), 1, "a non-root client gets an answer");
		ok(m.type == SPORE_SVC_ERROR, "... an ERROR");
		close(c);
		server_free(s);
		return tap_done();
	}
	is_int(spore_svc_send(c, SPORE_SVC_PING, NULL, 0, 0), 0, "it sends PING");
	turn(s);
	is_int(pings, 1, "the handler gets it");
	struct pollfd p = {.fd = c, .events = POLLIN};
	poll(&p, 1, 1000);
	is_int(spore_svc_recv(c, buf, &m, &err), 1, "an answer comes back");
	is_int(m.type, SPORE_SVC_PONG, "... PONG");

	/* Output for an attached client: 40 KiB in order, then EOF. */
	last->console = &console;
	static char big[40960];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	server_output(s, &console, big, sizeof(big));
	server_console_gone(s, &console);
	static char got[sizeof(big)];
	size_t have = 0;
	int eof = 0;
	for (int round = 0; round < 100 && !eof; round++) {
		turn(s);
		while (spore_svc_recv(c, buf, &m, &err) == 1) {
			if (m.type == SPORE_SVC_OUTPUT && have + m.len <= sizeof(got)) {
				memcpy(got + have, m.payload, m.len);
				have += m.len;
			} else if (m.type == SPORE_SVC_EOF) {
				eof = 1;
			}
		}
	}
	is_int((long)have, (long)sizeof(big), "all the output arrives");
	ok(!memcmp(got, big, sizeof(big)), "... in order");
	ok(eof, "then EOF");
	is_int((int)server_nclients(s), 0, "and the client is let go");
	close(c);

	/* A malformed message closes its client. */
	c = spore_svc_connect(path, &err);
	turn(s);
	is_int((int)server_nclients(s), 1, "another client");
	ok(send(c, "junk", 4, 0) == 4, "it sends 4 bytes of junk");
	turn(s);
	is_int((int)server_nclients(s), 0, "... and is closed");
	close(c);
	server_free(s);
	ok(access(path, F_OK) != 0, "the socket is removed at the end");
	snprintf(path, sizeof(path), "%s/run", dir);
	rmdir(path);
	rmdir(dir);
	return tap_done();
}

#include "console.h"
#include <spore/svc_proto.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"

/* A seqpacket pair stands in for spored; pipes for the user. */
int main(void)
{
	static unsigned char msg[SPORE_SVC_MAX_MSG];
	struct spore_err e = {0};
	struct spore_svc_msg m;
	int sv[2], in[2], out[2];
	char buf[256];

	is_int(console_find_escape("ab\x1d" "c", 4), 2, "escape found");
	is_int(console_find_escape("abc", 3), -1, "no escape");
	is_int(console_find_escape("", 0), -1, "empty input");

	ok(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "a seqpacket pair");
	ok(pipe(in) == 0 && pipe(out) == 0, "pipes");

	/* Guest output reaches the user; user input reaches the guest up to the
	 * escape, which detaches. */
	ok(spore_svc_send(sv[1], SPORE_SVC_OUTPUT, "hello from guest", 16, 0) == 0,
	   "spored sends output");
	ok(write(in[1], "ls\r\x1dzzz", 7) == 7, "user types ls, then Ctrl+]");
	struct console_relay c = {.in_fd = in[0], .out_fd = out[1], .svc_fd = sv[0], .stop_fd = -1};
	is_int(console_relay_run(&c, &e), CONSOLE_DETACHED, "Ctrl+] detaches");
	ssize_t n = read(out[0], buf, sizeof(buf));
	ok(n == 16 && !memcmp(buf, "hello from guest", 16), "output relayed");
	is_int(spore_svc_recv(sv[1], msg, &m, &e), 1, "spored gets a message");
	ok(m.type == SPORE_SVC_INPUT && m.len == 3 && !memcmp(m.payload, "ls\r", 3),
	   "... INPUT: what came before the escape; the rest dropped");

	/* A stop request ends the relay. */
	int efd = eventfd(1, 0);
	c.stop_fd = efd;
	c.in_fd = -1;
	is_int(console_relay_run(&c, &e), CONSOLE_STOPPED, "stop fd ends the relay");
	c.stop_fd = -1;

	/* EOF from spored: the guest stopped, after its last output. */
	spore_svc_send(sv[1], SPORE_SVC_OUTPUT, "bye\n", 4, 0);
	spore_svc_send(sv[1], SPORE_SVC_EOF, NULL, 0, 0);
	is_int(console_relay_run(&c, &e), CONSOLE_CLOSED, "EOF ends the relay");
	n = read(out[0], buf, sizeof(buf));
	ok(n == 4 && !memcmp(buf, "bye\n", 4), "... after the last output");

	/* An ERROR is the relay's error. */
	spore_svc_send_error(sv[1], ESRCH, "no such guest");
	is_int(console_relay_run(&c, &e), -ESRCH, "ERROR ends the relay with its code");
	is_str(e.msg, "spored: no such guest", "... and its text");

	/* A malformed message is an error, not output. */
	ok(send(sv[1], "garbage!!", 9, 0) == 9, "spored sends garbage");
	ok(console_relay_run(&c, &e) == -EBADMSG, "... refused");

	/* spored going away ends it too. */
	close(sv[1]);
	is_int(console_relay_run(&c, &e), CONSOLE_LOST, "spored's close ends the relay");
	close(sv[0]);
	close(efd);
	return tap_done();
}

#include "console.h"
#include <spore/svc_proto.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
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
	is_int(console_incomplete_escape("ab\x1b", 3), 1, "a lone ESC at the end is held");
	is_int(console_incomplete_escape("\x1b[", 2), 2, "ESC [ is held");
	is_int(console_incomplete_escape("x\x1b[50;5", 7), 6, "a CSI without its final byte is held");
	is_int(console_incomplete_escape("\x1bO", 2), 2, "ESC O (SS3) is held");
	is_int(console_incomplete_escape("\x1b[50;5R", 8), 0, "a whole cursor report is not");
	is_int(console_incomplete_escape("\x1bOA", 3), 0, "nor a whole SS3 key");
	is_int(console_incomplete_escape("\x1b[1;2Ax", 8), 0, "nor text after a sequence");
	is_int(console_incomplete_escape("\x1bx", 2), 0, "nor Alt+x (ESC x)");
	is_int(console_incomplete_escape("plain", 5), 0, "nor plain text");
	is_int(console_incomplete_escape("", 0), 0, "nor nothing");
	char longtail[40] = "\x1b[";
	memset(longtail + 2, '1', sizeof(longtail) - 2);
	is_int(console_incomplete_escape(longtail, sizeof(longtail)), 0,
	       "a tail longer than a terminal's reply is passed on");

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

	/* The container's stderr goes to err_fd, its stdout to out_fd. */
	int errp[2];
	ok(pipe(errp) == 0, "a pipe for stderr");
	spore_svc_send(sv[1], SPORE_SVC_OUTPUT_ERR, "oops", 4, 0);
	spore_svc_send(sv[1], SPORE_SVC_OUTPUT, "fine", 4, 0);
	spore_svc_send(sv[1], SPORE_SVC_EOF, NULL, 0, 0);
	struct console_relay ce = {.in_fd = -1, .out_fd = out[1], .err_fd = errp[1],
				   .svc_fd = sv[0], .stop_fd = -1};
	is_int(console_relay_run(&ce, &e), CONSOLE_CLOSED, "EOF ends the relay");
	n = read(errp[0], buf, sizeof(buf));
	ok(n == 4 && !memcmp(buf, "oops", 4), "OUTPUT_ERR on err_fd");
	n = read(out[0], buf, sizeof(buf));
	ok(n == 4 && !memcmp(buf, "fine", 4), "OUTPUT on out_fd");
	close(errp[0]);
	close(errp[1]);

	/* One file for both (2>&1): a stderr line comes whole, never cut by
	 * stdout, even when it arrives in pieces around a stdout line. */
	spore_svc_send(sv[1], SPORE_SVC_OUTPUT_ERR, "/bin/sh: ", 9, 0);
	spore_svc_send(sv[1], SPORE_SVC_OUTPUT, "write-failed\n", 13, 0);
	spore_svc_send(sv[1], SPORE_SVC_OUTPUT_ERR, "can't create", 12, 0);
	spore_svc_send(sv[1], SPORE_SVC_OUTPUT_ERR, "\n", 1, 0);
	spore_svc_send(sv[1], SPORE_SVC_OUTPUT, "half ", 5, 0);
	spore_svc_send(sv[1], SPORE_SVC_OUTPUT_ERR, "e2\n", 3, 0);
	spore_svc_send(sv[1], SPORE_SVC_OUTPUT, "line\n", 5, 0);
	spore_svc_send(sv[1], SPORE_SVC_OUTPUT_ERR, "tail", 4, 0);
	spore_svc_send(sv[1], SPORE_SVC_EOF, NULL, 0, 0);
	struct console_relay cm = {.in_fd = -1, .out_fd = out[1], .err_fd = out[1],
				   .svc_fd = sv[0], .stop_fd = -1};
	is_int(console_relay_run(&cm, &e), CONSOLE_CLOSED, "merged: EOF ends the relay");
	n = read(out[0], buf, sizeof(buf));
	buf[n > 0 ? n : 0] = '\0';
	is_str(buf, "write-failed\n/bin/sh: can't create\nhalf line\ne2\ntail",
	       "merged a line at a time; what stderr held at the end follows");

	/* Without the escape (spore-runc's terminal), Ctrl+] is input too:
	 * the relay runs until stopped. */
	ok(write(in[1], "a\x1d" "b", 3) == 3, "Ctrl+] between two bytes");
	int efd0 = eventfd(0, 0);
	struct console_relay cn = {.in_fd = in[0], .out_fd = out[1], .svc_fd = sv[0],
				   .stop_fd = efd0, .no_escape = true};
	pid_t stopper = fork();
	if (stopper == 0) {
		usleep(100000);
		uint64_t one = 1;
		_exit(write(efd0, &one, sizeof(one)) == sizeof(one) ? 0 : 1);
	}
	is_int(console_relay_run(&cn, &e), CONSOLE_STOPPED, "no_escape: no detach, runs until stopped");
	waitpid(stopper, NULL, 0);
	close(efd0);
	is_int(spore_svc_recv(sv[1], msg, &m, &e), 1, "spored gets a message");
	ok(m.type == SPORE_SVC_INPUT && m.len == 3 && !memcmp(m.payload, "a\x1d" "b", 3),
	   "... INPUT with the escape byte in it (%u bytes)", m.len);

	/* A terminal's reply split in two (ESC now, the rest 30 ms later)
	 * reaches the guest as one INPUT message. */
	ok(write(in[1], "\x1b", 1) == 1, "the reply's ESC arrives alone");
	pid_t kid = fork();
	if (kid == 0) {
		usleep(30000);
		_exit(write(in[1], "[50;5R\x1d", 7) == 7 ? 0 : 1);
	}
	is_int(console_relay_run(&c, &e), CONSOLE_DETACHED, "then the rest and Ctrl+]");
	waitpid(kid, NULL, 0);
	is_int(spore_svc_recv(sv[1], msg, &m, &e), 1, "spored gets one message");
	ok(m.type == SPORE_SVC_INPUT && m.len == 7 && !memcmp(m.payload, "\x1b[50;5R", 7),
	   "... the whole reply (%u bytes)", m.len);

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

#include "console.h"

#include <fcntl.h>
#include <pty.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

/* A pty pair stands in for xenconsoled's pty; pipes for the user. */
int main(void)
{
	struct spore_err e = {0};
	int master, slave, in[2], out[2];
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

	ok(openpty(&master, &slave, NULL, NULL, NULL) == 0, "pty pair");
	struct termios t;
	tcgetattr(slave, &t);
	cfmakeraw(&t);
	tcsetattr(slave, TCSANOW, &t);
	ok(pipe(in) == 0 && pipe(out) == 0, "pipes");

	/* Guest output reaches the user; user input reaches the guest up to the
	 * escape, which detaches. */
	ok(write(slave, "hello from guest", 16) == 16, "guest writes");
	ok(write(in[1], "ls\r\x1dzzz", 7) == 7, "user types ls, then Ctrl+]");
	struct console_relay c = {.in_fd = in[0], .out_fd = out[1], .pty_fd = master, .stop_fd = -1};
	is_int(console_relay_run(&c, &e), CONSOLE_DETACHED, "Ctrl+] detaches");
	ssize_t n = read(out[0], buf, sizeof(buf));
	ok(n == 16 && !memcmp(buf, "hello from guest", 16), "output relayed");
	n = read(slave, buf, sizeof(buf));
	ok(n == 3 && !memcmp(buf, "ls\r", 3), "input before the escape relayed, rest dropped");

	/* Without the escape (spore-runc's terminal), Ctrl+] is input too. */
	ok(write(in[1], "a\x1d" "b", 3) == 3, "Ctrl+] between two bytes");
	close(in[1]);
	int efd0 = eventfd(0, 0);
	struct console_relay cn = {.in_fd = in[0], .out_fd = out[1], .pty_fd = master,
				   .stop_fd = efd0, .no_escape = true};
	pid_t stopper = fork();
	if (stopper == 0) {
		usleep(100000);
		uint64_t one = 1;
		_exit(write(efd0, &one, sizeof(one)) == sizeof(one) ? 0 : 1);
	}
	is_int(console_relay_run(&cn, &e), CONSOLE_STOPPED, "no_escape: no detach, runs until stopped");
	waitpid(stopper, NULL, 0);
	n = read(slave, buf, sizeof(buf));
	ok(n == 3 && !memcmp(buf, "a\x1d" "b", 3), "the escape byte reached the guest (%zd bytes)", n);
	close(efd0);
	close(in[0]);
	ok(pipe(in) == 0, "a new input pipe");

	/* A terminal's reply split in two (ESC now, the rest 30 ms later)
	 * reaches the guest as one write: a SEQPACKET pair stands in for the
	 * pty here, as it keeps each write's boundary. */
	int sp[2];
	ok(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == 0, "a packet pair");
	ok(write(in[1], "\x1b", 1) == 1, "the reply's ESC arrives alone");
	pid_t kid = fork();
	if (kid == 0) {
		usleep(30000);
		_exit(write(in[1], "[50;5R\x1d", 7) == 7 ? 0 : 1);
	}
	struct console_relay cs = {.in_fd = in[0], .out_fd = out[1], .pty_fd = sp[0], .stop_fd = -1};
	is_int(console_relay_run(&cs, &e), CONSOLE_DETACHED, "then the rest and Ctrl+]");
	waitpid(kid, NULL, 0);
	n = read(sp[1], buf, sizeof(buf));
	ok(n == 7 && !memcmp(buf, "\x1b[50;5R", 7), "the guest gets the whole reply in one write (%zd bytes)", n);
	close(sp[0]);
	close(sp[1]);

	/* A stop request ends the relay. */
	int efd = eventfd(1, 0);
	c.stop_fd = efd;
	c.in_fd = -1;
	is_int(console_relay_run(&c, &e), CONSOLE_STOPPED, "stop fd ends the relay");

	/* The guest's console going away ends it too. */
	close(slave);
	c.stop_fd = -1;
	is_int(console_relay_run(&c, &e), CONSOLE_CLOSED, "pty hangup ends the relay");
	close(master);
	close(efd);
	return tap_done();
}

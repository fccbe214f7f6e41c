#include "console.h"

#include <fcntl.h>
#include <pty.h>
#include <string.h>
#include <sys/eventfd.h>
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

/* ptyrun: runs a command on a new pseudo-terminal and plays a script of
 * expect/send steps against it, for end-to-end tests of interactive use
 * (`sporectl launch -a -t -i`, `sporectl console`). Everything the command
 * prints is copied to stdout; the exit status is the command's.
 *
 * Usage: ptyrun [--timeout S] [--check-termios] [STEP...] -- CMD [ARG...]
 *   expect=TEXT  wait until TEXT appears in the output (after the last match)
 *   send=TEXT    type TEXT (escapes: \n \r \t \\ \xHH; Ctrl+] is \x1d)
 *   sleep=MS     pause
 *   winsize=RxC  resize the terminal to R rows, C columns (SIGWINCH)
 * Exit: CMD's status (128+N if killed by signal N); 124 if the timeout
 * (default 120 s) expired or CMD exited before every step was played.
 * --check-termios prints "ptyrun: termios restored" or "ptyrun: termios
 * changed" on stderr once CMD has exited: whether it left the terminal's
 * settings as it found them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define BUF_MAX (256 * 1024)

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Decodes the escapes in s in place; returns the length. */
static size_t unescape(char *s)
{
	char *o = s;
	for (const char *p = s; *p; p++) {
		if (*p != '\\' || !p[1]) {
			*o++ = *p;
			continue;
		}
		switch (*++p) {
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'x': {
			char hex[3] = {0};
			for (int i = 0; i < 2 && p[1] && strchr("0123456789abcdefABCDEF", p[1]); i++)
				hex[i] = *++p;
			*o++ = (char)strtol(hex, NULL, 16);
			break;
		}
		default: *o++ = *p; break;
		}
	}
	*o = '\0';
	return (size_t)(o - s);
}

static bool same_termios(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
	       a->c_cflag == b->c_cflag && a->c_lflag == b->c_lflag &&
	       !memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc));
}

static void copy_out(int master, char *buf, size_t *len)
{
	char chunk[4096];
	ssize_t n = read(master, chunk, sizeof(chunk));
	if (n <= 0)
		return;
	if (write(STDOUT_FILENO, chunk, (size_t)n) < 0) {
		/* the test reads what it can */
	}
	if (*len + (size_t)n > BUF_MAX) { /* keep the newest half */
		memmove(buf, buf + BUF_MAX / 2, *len - BUF_MAX / 2);
		*len -= BUF_MAX / 2;
	}
	memcpy(buf + *len, chunk, (size_t)n);
	*len += (size_t)n;
}

int main(int argc, char **argv)
{
	long timeout_s = 120;
	bool check_termios = false;
	int i = 1, master = -1, slave = -1, status = 0;
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	struct termios before, after;

	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_s = atol(argv[++i]);
		else if (!strcmp(argv[i], "--check-termios"))
			check_termios = true;
		else
			break;
	}
	int first_step = i;
	while (i < argc && strcmp(argv[i], "--"))
		i++;
	int nsteps = i - first_step;
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: ptyrun [--timeout S] [--check-termios] "
				"[expect=T|send=T|sleep=MS|winsize=RxC]... -- CMD [ARG...]\n");
		return 2;
	}
	char **cmd = argv + i + 1;
	if (openpty(&master, &slave, NULL, NULL, &ws) < 0 || tcgetattr(slave, &before) < 0) {
		perror("ptyrun: openpty");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("ptyrun: fork");
		return 2;
	}
	if (pid == 0) {
		close(master);
		setsid();
		if (ioctl(slave, TIOCSCTTY, 0) < 0)
			_exit(126);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		if (slave > 2)
			close(slave);
		execvp(cmd[0], cmd);
		fprintf(stderr, "ptyrun: %s: %s\n", cmd[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	/* The slave stays open here too: the pty outlives the command, so its
	 * settings can be read after it exits. */
	char *buf = malloc(BUF_MAX);
	size_t len = 0;
	int step = 0;
	bool exited = false, timed_out = false;
	long long deadline = now_ms() + timeout_s * 1000;
	if (!buf)
		return 2;
	while (!exited) {
		while (step < nsteps) {
			char *s = argv[first_step + step];
			if (!strncmp(s, "send=", 5)) {
				size_t n = unescape(s + 5);
				if (write(master, s + 5, n) < 0)
					break;
			} else if (!strncmp(s, "winsize=", 8)) {
				struct winsize w = {0};
				char *x;
				w.ws_row = (unsigned short)strtoul(s + 8, &x, 10);
				w.ws_col = (unsigned short)(*x == 'x' ? strtoul(x + 1, NULL, 10) : 0);
				/* The pty's foreground group gets SIGWINCH. */
				ioctl(master, TIOCSWINSZ, &w);
			} else if (!strncmp(s, "sleep=", 6)) {
				usleep((useconds_t)atol(s + 6) * 1000);
			} else if (!strncmp(s, "expect=", 7)) {
				size_t n = unescape(s + 7);
				char *m = memmem(buf, len, s + 7, n);
				if (!m)
					break;
				len -= (size_t)(m + n - buf);
				memmove(buf, m + n, len);
			} else {
				fprintf(stderr, "ptyrun: unknown step '%s'\n", s);
				kill(pid, SIGKILL);
				return 2;
			}
			step++;
		}
		long long left = deadline - now_ms();
		if (left <= 0) {
			timed_out = true;
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		struct pollfd p = {.fd = master, .events = POLLIN};
		if (poll(&p, 1, left < 100 ? (int)left : 100) > 0)
			copy_out(master, buf, &len);
		if (waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
	}
	/* What the command wrote just before it exited. */
	fcntl(master, F_SETFL, O_NONBLOCK);
	for (size_t before_len = (size_t)-1; before_len != len;) {
		before_len = len;
		copy_out(master, buf, &len);
	}
	if (check_termios && tcgetattr(slave, &after) == 0)
		fprintf(stderr, "ptyrun: termios %s\n",
			same_termios(&before, &after) ? "restored" : "changed");
	if (timed_out) {
		fprintf(stderr, "\nptyrun: timed out after %ld s at step %d of %d%s%s\n", timeout_s,
			step + 1, nsteps, step < nsteps ? ": " : "",
			step < nsteps ? argv[first_step + step] : "");
		return 124;
	}
	if (step < nsteps) {
		fprintf(stderr, "\nptyrun: the command exited before step %d of %d: %s\n", step + 1,
			nsteps, argv[first_step + step]);
		return 124;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

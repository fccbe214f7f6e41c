/* sporectl exec: run a process in a running container, through spored and
 * the guest's control channel (service/channel/, container/exec.c). The
 * session itself (exec_session.h) also carries `sporectl top`. */
#include "exec_session.h"
#include "guest_teardown.h"
#include "term_filter.h"
#include <spore/chan_proto.h>
#include <spore/log.h>
#include <spore/svc_proto.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sporectl exec [-i] [-t] [-e K[=V]]... [-u USER] [-w DIR] ID CMD [ARG...]\n"
		"\n"
		"Run CMD in a running container: in its root, with its environment (plus -e),\n"
		"user and working directory unless given, as docker exec does. stdout and\n"
		"stderr come back apart; sporectl exits with the process's status (126: not\n"
		"executable, 127: not found, 128+N: killed by signal N), or 1 if exec\n"
		"itself failed (one line). It travels over the guest's control channel, not\n"
		"its network (works with --network none). Without -t, output bound for a\n"
		"terminal is filtered as `logs` filters it (escape sequences that could\n"
		"rewrite the terminal are dropped). ID is a UUID, a unique UUID prefix, a\n"
		"name or a domid.\n"
		"\n"
		"Options:\n"
		"  -i, --interactive   Relay stdin (EOF when it ends); else the process\n"
		"                      reads /dev/null\n"
		"  -t, --tty           Give the process a terminal (TERM=xterm unless -e TERM),\n"
		"                      kept at this terminal's size; its output is passed as\n"
		"                      it is. With -i, stdin must be a terminal (put in raw\n"
		"                      mode meanwhile)\n"
		"  -e, --env K[=V]     Set a variable (K alone: from sporectl's environment)\n"
		"  -u, --user USER     As USER (name, uid, uid:gid, name:group); default: the\n"
		"                      container's\n"
		"  -w, --workdir DIR   In DIR (default: the container's)\n"
		"  -h, --help          Show this help\n");
}

struct req {
	uint8_t buf[SPORE_SVC_MAX_PAYLOAD - sizeof(struct spore_svc_exec)];
	size_t len;
};

static int add_item(struct req *q, char kind, const char *text, struct spore_err *err)
{
	size_t n = strlen(text);
	if (n > SPORE_SVC_EXEC_ITEM_MAX || q->len + n + 2 > sizeof(q->buf))
		return spore_err_setx(err, E2BIG,
				      "exec: the command is too long (%zu bytes at most "
				      "per argument, %d in all)",
				      (size_t)SPORE_SVC_EXEC_ITEM_MAX, SPORE_SVC_MAX_PAYLOAD);
	q->buf[q->len++] = (uint8_t)kind;
	memcpy(q->buf + q->len, text, n + 1);
	q->len += n + 1;
	return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

struct out_sink {
	enum exec_out how;
	struct term_filter tf;
	bool ok; /* false once its reader went: copying stops, the wait does not */
};

static void sink_write(struct out_sink *o, int fd, const uint8_t *p, size_t n)
{
	static char buf[SPORE_SVC_MAX_PAYLOAD + TERM_FILTER_MAX_SGR + 4];
	size_t k = n;

	if (!o->ok)
		return;
	if (o->how == EXEC_OUT_FILTER) {
		k = term_filter(&o->tf, (const char *)p, n, buf);
		p = (const uint8_t *)buf;
	} else if (o->how == EXEC_OUT_ASCII) {
		for (size_t i = 0; i < n; i++)
			buf[i] = p[i] == '\n' || (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
		p = (const uint8_t *)buf;
	}
	if (write_all(fd, p, k) < 0)
		o->ok = false;
}

static bool winsize_of(int fd, struct spore_svc_winsize *ws)
{
	struct winsize w;
	if (ioctl(fd, TIOCGWINSZ, &w) < 0 || !w.ws_row || !w.ws_col)
		return false;
	*ws = (struct spore_svc_winsize){w.ws_row, w.ws_col};
	return true;
}

/* Relays until the process's exit; returns its code or -errno. sigfd
 * (-1: none) reads SIGWINCH: the terminal's new size goes to the guest. */
static int relay(int fd, const struct exec_session *x, int sigfd, struct spore_err *err)
{
	static uint8_t in[SPORE_SVC_MAX_PAYLOAD], msg[SPORE_SVC_MAX_MSG];
	size_t inlen = 0;
	bool interactive = x->flags & SPORE_SVC_EXEC_STDIN_OPEN;
	bool in_open = interactive, eof_sent = !interactive, resize = false;
	struct out_sink out[2] = {{.how = x->out_how[0], .ok = true},
				  {.how = x->out_how[1], .ok = true}};

	term_filter_init(&out[0].tf);
	term_filter_init(&out[1].tf);
	for (;;) {
		bool want_out = inlen || (!in_open && !eof_sent) || resize;
		struct pollfd p[3] = {
			{.fd = fd, .events = POLLIN | (want_out ? POLLOUT : 0)},
			{.fd = in_open && !inlen ? 0 : -1, .events = POLLIN},
			{.fd = resize ? -1 : sigfd, .events = POLLIN},
		};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return spore_err_set(err, errno, "exec: poll");
		}
		if (p[2].revents) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == sizeof(si))
				resize = true;
		}
		if (p[1].revents) {
			ssize_t n = read(0, in, sizeof(in));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				in_open = false;
			else
				inlen = (size_t)n;
		}
		if ((p[0].revents & POLLOUT) && resize) {
			struct spore_svc_winsize ws;
			int r = winsize_of(0, &ws) || winsize_of(1, &ws)
					? spore_svc_send(fd, SPORE_SVC_EXEC_RESIZE, &ws, sizeof(ws),
							 1)
					: 0;
			if (r == 0)
				resize = false;
			else if (r != -EAGAIN)
				return spore_err_set(err, -r, "%s: sending to spored", x->verb);
		}
		if ((p[0].revents & POLLOUT) && (inlen || (!in_open && !eof_sent))) {
			int r = spore_svc_send(fd, SPORE_SVC_EXEC_STDIN, in, inlen, 1);
			if (r == 0 && !inlen)
				eof_sent = true;
			if (r == 0)
				inlen = 0;
			else if (r != -EAGAIN)
				return spore_err_set(err, -r, "%s: sending to spored", x->verb);
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		struct spore_svc_msg m;
		int r = spore_svc_recv(fd, msg, &m, err);
		if (r == -EAGAIN)
			continue;
		if (r < 0)
			return spore_err_wrap(err, "%s: from spored", x->verb);
		if (r == 0)
			return spore_err_setx(err, EPIPE, "%s: spored closed the connection",
					      x->verb);
		switch (m.type) {
		case SPORE_SVC_EXEC_STDOUT:
		case SPORE_SVC_EXEC_STDERR: {
			int k = m.type == SPORE_SVC_EXEC_STDOUT ? 0 : 1;
			sink_write(&out[k], k + 1, m.payload, m.len);
			break;
		}
		case SPORE_SVC_EXEC_EXIT: {
			uint32_t code;
			memcpy(&code, m.payload, sizeof(code));
			return (int)code;
		}
		case SPORE_SVC_ERROR: {
			char text[SPORE_SVC_MAX_TEXT + 1];
			int code = spore_svc_error_text(&m, text);
			return spore_err_setx(err, code, "%s: %s", x->verb, text);
		}
		default:
			return spore_err_setx(err, EPROTO,
					      "%s: guest '%s': spored answered with "
					      "message type %u",
					      x->verb, x->id, m.type);
		}
	}
}

/* The terminal's state while -it runs raw; restored however exec ends. */
static struct termios saved_tio;
static bool tio_saved;

static void tty_restore(void)
{
	if (tio_saved)
		tcsetattr(0, TCSADRAIN, &saved_tio);
	tio_saved = false;
}

static int tty_raw(struct spore_err *err)
{
	struct termios t;
	if (tcgetattr(0, &saved_tio) < 0)
		return spore_err_set(err, errno, "exec: reading the terminal's mode");
	t = saved_tio;
	cfmakeraw(&t);
	if (tcsetattr(0, TCSADRAIN, &t) < 0)
		return spore_err_set(err, errno, "exec: setting the terminal raw");
	tio_saved = true;
	return 0;
}

int exec_session_run(const struct exec_session *x, const void *items, size_t len,
		     struct spore_err *err)
{
	static uint8_t buf[SPORE_SVC_MAX_PAYLOAD];
	struct spore_xc *xc = NULL;
	struct spore_xs *xs = NULL;
	struct spore_guest g;
	struct spore_dominfo info;
	struct spore_svc_exec h = {.flags = x->flags};
	int r, fd = -1, sigfd = -1;
	sigset_t winch, old;

	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, &old);
	if ((r = spore_xc_open(&xc, err)) < 0 || (r = spore_xs_open(&xs, err)) < 0)
		goto out;
	if ((r = cli_running_guest(xc, xs, x->verb, x->id, &g, &info, err)) < 0)
		goto out;
	memcpy(h.uuid, g.uuid, sizeof(h.uuid));
	if ((x->flags & SPORE_SVC_EXEC_TTY) && !winsize_of(0, &h.tty) && !winsize_of(1, &h.tty))
		h.tty = (struct spore_svc_winsize){24, 80};
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), items, len);
	if ((fd = spore_svc_connect(NULL, err)) < 0) {
		r = fd;
		spore_err_wrap(err, "%s: guest '%s'", x->verb, x->id);
		goto out;
	}
	if ((r = spore_svc_send(fd, SPORE_SVC_EXEC, buf, sizeof(h) + len, 0)) < 0) {
		spore_err_set(err, -r, "%s: sending to spored", x->verb);
		goto out;
	}
	if ((x->flags & SPORE_SVC_EXEC_TTY) &&
	    (sigfd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		r = spore_err_set(err, errno, "%s: signalfd", x->verb);
		goto out;
	}
	if ((x->flags & SPORE_SVC_EXEC_TTY) && (x->flags & SPORE_SVC_EXEC_STDIN_OPEN) &&
	    (r = tty_raw(err)) < 0)
		goto out;
	r = relay(fd, x, sigfd, err);
out:
	tty_restore();
	if (sigfd >= 0)
		close(sigfd);
	if (fd >= 0)
		close(fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	spore_xs_close(xs);
	spore_xc_close(xc);
	return r;
}

int cmd_exec(int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {{"help", no_argument, 0, 'h'},
					     {"interactive", no_argument, 0, 'i'},
					     {"tty", no_argument, 0, 't'},
					     {"env", required_argument, 0, 'e'},
					     {"user", required_argument, 0, 'u'},
					     {"workdir", required_argument, 0, 'w'},
					     {0, 0, 0, 0}};
	static struct req q;
	struct exec_session x = {.verb = "exec"};
	const char *user = NULL, *wd = NULL;
	bool term_env = false;
	int c, r = 0;

	q.len = 0;
	optind = 1;
	/* '+': options end at ID; CMD's own follow it untouched. */
	while ((c = getopt_long(argc, argv, "+hite:u:w:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'i':
			x.flags |= SPORE_SVC_EXEC_STDIN_OPEN;
			break;
		case 't':
			x.flags |= SPORE_SVC_EXEC_TTY;
			break;
		case 'e': {
			const char *v = strchr(optarg, '=') ? optarg : NULL;
			if (!*optarg || optarg[0] == '=')
				return cli_usage(err, "exec: -e '%s' is not K=V or K", optarg);
			if (!strncmp(optarg, "TERM", 4) && (!optarg[4] || optarg[4] == '='))
				term_env = true;
			if (!v) {
				/* docker's -e K: the caller's value, if it has one. */
				const char *have = getenv(optarg);
				static char kv[SPORE_SVC_EXEC_ITEM_MAX + 2];
				if (!have)
					break;
				if ((size_t)snprintf(kv, sizeof(kv), "%s=%s", optarg, have) >=
				    sizeof(kv))
					return spore_err_setx(err, E2BIG, "exec: -e %s: too long",
							      optarg);
				v = kv;
			} else {
				v = optarg;
			}
			if ((r = add_item(&q, SPORE_CHAN_ITEM_ENV, v, err)) < 0)
				return r;
			break;
		}
		case 'u':
			user = optarg;
			break;
		case 'w':
			wd = optarg;
			break;
		default:
			usage(stderr);
			return cli_usage(err, NULL);
		}
	}
	if (argc - optind < 2) {
		usage(stderr);
		return cli_usage(err, NULL);
	}
	if (wd && wd[0] != '/')
		return cli_usage(err, "exec: -w '%s' is not an absolute path", wd);
	if ((x.flags & SPORE_SVC_EXEC_TTY) && (x.flags & SPORE_SVC_EXEC_STDIN_OPEN) && !isatty(0))
		return spore_err_setx(err, ENOTTY,
				      "exec: -it: the input device is not a terminal "
				      "(drop -t, or run from a terminal)");
	/* docker's exec -t: a terminal type the process can count on. */
	if ((x.flags & SPORE_SVC_EXEC_TTY) && !term_env &&
	    (r = add_item(&q, SPORE_CHAN_ITEM_ENV, "TERM=xterm", err)) < 0)
		return r;
	if ((user && (r = add_item(&q, SPORE_CHAN_ITEM_USER, user, err)) < 0) ||
	    (wd && (r = add_item(&q, SPORE_CHAN_ITEM_WORKDIR, wd, err)) < 0))
		return r;
	for (int i = optind + 1; i < argc; i++)
		if ((r = add_item(&q, SPORE_CHAN_ITEM_ARG, argv[i], err)) < 0)
			return r;
	x.id = argv[optind];
	for (int k = 0; k < 2; k++)
		x.out_how[k] = (x.flags & SPORE_SVC_EXEC_TTY) || !isatty(k + 1) ? EXEC_OUT_RAW
										: EXEC_OUT_FILTER;
	return exec_session_run(&x, q.buf, q.len, err);
}

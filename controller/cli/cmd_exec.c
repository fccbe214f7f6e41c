/* sporectl exec: run a process in a running container, through spored and
 * the guest's control channel (service/channel/, container/exec.c). */
#include "guest_teardown.h"
#include <spore/chan_proto.h>
#include <spore/log.h>
#include <spore/svc_proto.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sporectl exec [-i] [-e K[=V]]... [-u USER] [-w DIR] ID CMD [ARG...]\n"
		"\n"
		"Run CMD in a running container: in its root, with its environment (plus -e),\n"
		"user and working directory unless given, as docker exec does. stdout and\n"
		"stderr come back apart; sporectl exits with the process's status (126: not\n"
		"executable, 127: not found, 128+N: killed by signal N), or 1 if exec\n"
		"itself failed (one line). It travels over the guest's control channel, not\n"
		"its network (works with --network none). ID is a UUID, a unique UUID\n"
		"prefix, a name or a domid.\n"
		"\n"
		"Options:\n"
		"  -i, --interactive   Relay stdin (EOF when it ends); else the process\n"
		"                      reads /dev/null\n"
		"  -e, --env K[=V]     Set a variable (K alone: from sporectl's environment)\n"
		"  -u, --user USER     As USER (name, uid, uid:gid, name:group); default: the\n"
		"                      container's\n"
		"  -w, --workdir DIR   In DIR (default: the container's)\n"
		"  -h, --help          Show this help\n");
}

struct req {
	uint8_t buf[SPORE_SVC_MAX_PAYLOAD];
	size_t len;
};

static int add_item(struct req *q, char kind, const char *text, struct spore_err *err)
{
	size_t n = strlen(text);
	if (n > SPORE_SVC_EXEC_ITEM_MAX || q->len + n + 2 > sizeof(q->buf))
		return spore_err_setx(err, E2BIG, "exec: the command is too long (%zu bytes at most "
				      "per argument, %d in all)",
				      (size_t)SPORE_SVC_EXEC_ITEM_MAX, SPORE_SVC_MAX_PAYLOAD);
	q->buf[q->len++] = (uint8_t)kind;
	memcpy(q->buf + q->len, text, n + 1);
	q->len += n + 1;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
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

/* Relays until the process's exit; returns its code or -errno. */
static int relay(int fd, bool interactive, const char *id, struct spore_err *err)
{
	static uint8_t in[SPORE_SVC_MAX_PAYLOAD], msg[SPORE_SVC_MAX_MSG];
	size_t inlen = 0;
	bool in_open = interactive, eof_sent = !interactive, out_ok = true;

	for (;;) {
		struct pollfd p[2] = {
			{.fd = fd, .events = POLLIN | (inlen || (!in_open && !eof_sent) ? POLLOUT : 0)},
			{.fd = in_open && !inlen ? 0 : -1, .events = POLLIN},
		};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return spore_err_set(err, errno, "exec: poll");
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
		if ((p[0].revents & POLLOUT) && (inlen || (!in_open && !eof_sent))) {
			int r = spore_svc_send(fd, SPORE_SVC_EXEC_STDIN, in, inlen, 1);
			if (r == 0 && !inlen)
				eof_sent = true;
			if (r == 0)
				inlen = 0;
			else if (r != -EAGAIN)
				return spore_err_set(err, -r, "exec: sending to spored");
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		struct spore_svc_msg m;
		int r = spore_svc_recv(fd, msg, &m, err);
		if (r == -EAGAIN)
			continue;
		if (r < 0)
			return spore_err_wrap(err, "exec: from spored");
		if (r == 0)
			return spore_err_setx(err, EPIPE, "exec: spored closed the connection");
		switch (m.type) {
		case SPORE_SVC_EXEC_STDOUT:
		case SPORE_SVC_EXEC_STDERR:
			/* A reader that went (a closed pipe) stops the copying,
			 * not the wait for the status. */
			if (out_ok && write_all(m.type == SPORE_SVC_EXEC_STDOUT ? 1 : 2, m.payload,
						m.len) < 0)
				out_ok = false;
			break;
		case SPORE_SVC_EXEC_EXIT: {
			uint32_t code;
			memcpy(&code, m.payload, sizeof(code));
			return (int)code;
		}
		case SPORE_SVC_ERROR: {
			char text[SPORE_SVC_MAX_TEXT + 1];
			int code = spore_svc_error_text(&m, text);
			return spore_err_setx(err, code, "exec: %s", text);
		}
		default:
			return spore_err_setx(err, EPROTO, "exec: guest '%s': spored answered with "
					      "message type %u", id, m.type);
		}
	}
}

int cmd_exec(int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {{"help", no_argument, 0, 'h'},
					     {"interactive", no_argument, 0, 'i'},
					     {"env", required_argument, 0, 'e'},
					     {"user", required_argument, 0, 'u'},
					     {"workdir", required_argument, 0, 'w'},
					     {0, 0, 0, 0}};
	static struct req q;
	struct spore_xc *xc = NULL;
	struct spore_xs *xs = NULL;
	struct spore_guest g;
	struct spore_dominfo info;
	struct spore_svc_exec x = {0};
	const char *user = NULL, *wd = NULL;
	int c, r = 0, fd = -1;

	q.len = sizeof(x);
	optind = 1;
	/* '+': options end at ID; CMD's own follow it untouched. */
	while ((c = getopt_long(argc, argv, "+hie:u:w:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'i':
			x.flags |= SPORE_SVC_EXEC_STDIN_OPEN;
			break;
		case 'e': {
			const char *v = strchr(optarg, '=') ? optarg : NULL;
			if (!*optarg || optarg[0] == '=')
				return cli_usage(err, "exec: -e '%s' is not K=V or K", optarg);
			if (!v) {
				/* docker's -e K: the caller's value, if it has one. */
				const char *have = getenv(optarg);
				static char kv[SPORE_SVC_EXEC_ITEM_MAX + 2];
				if (!have)
					break;
				if ((size_t)snprintf(kv, sizeof(kv), "%s=%s", optarg, have) >= sizeof(kv))
					return spore_err_setx(err, E2BIG, "exec: -e %s: too long", optarg);
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
	if ((user && (r = add_item(&q, SPORE_CHAN_ITEM_USER, user, err)) < 0) ||
	    (wd && (r = add_item(&q, SPORE_CHAN_ITEM_WORKDIR, wd, err)) < 0))
		return r;
	for (int i = optind + 1; i < argc; i++)
		if ((r = add_item(&q, SPORE_CHAN_ITEM_ARG, argv[i], err)) < 0)
			return r;

	const char *id = argv[optind];
	if ((r = spore_xc_open(&xc, err)) < 0 || (r = spore_xs_open(&xs, err)) < 0)
		goto out;
	if ((r = cli_running_guest(xc, xs, "exec", id, &g, &info, err)) < 0)
		goto out;
	memcpy(x.uuid, g.uuid, sizeof(x.uuid));
	memcpy(q.buf, &x, sizeof(x));
	if ((fd = spore_svc_connect(NULL, err)) < 0) {
		r = fd;
		spore_err_wrap(err, "exec: guest '%s'", id);
		goto out;
	}
	if ((r = spore_svc_send(fd, SPORE_SVC_EXEC, q.buf, q.len, 0)) < 0) {
		spore_err_set(err, -r, "exec: sending to spored");
		goto out;
	}
	r = relay(fd, x.flags & SPORE_SVC_EXEC_STDIN_OPEN, id, err);
out:
	if (fd >= 0)
		close(fd);
	spore_xs_close(xs);
	spore_xc_close(xc);
	return r;
}

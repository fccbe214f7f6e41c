/* sporectl exec's sessions in the guest: spored names a stream, sends the
 * command as items (argv, -e, -u, -w) and RUN; the process runs in the
 * container's root with launch's rules (run.c: user, environment, working
 * directory, PATH lookup, docker's 126/127), its stdin, stdout and stderr
 * on pipes relayed as the stream's frames, and its exit code ends the
 * session once both outputs are drained. Output is read only while the
 * channel has room for a frame: a slow client holds the process back
 * rather than filling PID 1's memory. With TTY the process gets a pty
 * instead (its master is both the output and the input, RESIZE sets its
 * size); with TOP, no command: a child of sporeinit writes the process
 * table (top.c). */
#include "init.h"

#include <spore/chan_proto.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <pty.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SESSIONS 8
#define TEXT_MAX 16384
/* What spored may have sent and the process not yet taken (its window). */
#define STDIN_MAX SPORE_CHAN_STDIN_WINDOW

struct session {
	uint8_t id; /* 0: free */
	bool running, exited, overflow, tty;
	pid_t pid;
	int in, out, err; /* -1 when closed */
	int code;
	char text[TEXT_MAX];
	size_t textlen;
	const char *argv[EXEC_MAX_ARGS + 1], *env[EXEC_MAX_ENV + 1], *user, *workdir;
	unsigned argc, envc;
	uint8_t inbuf[STDIN_MAX];
	size_t inlen;
	size_t unacked; /* taken by the process, not yet said to spored */
	bool in_eof;
};

static struct session ss[MAX_SESSIONS];
static const struct spore_bundle *bundle;

void exec_init(const struct spore_bundle *b)
{
	bundle = b;
	for (int i = 0; i < MAX_SESSIONS; i++)
		ss[i].in = ss[i].out = ss[i].err = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void session_free(struct session *s)
{
	close_fd(&s->in);
	close_fd(&s->out);
	close_fd(&s->err);
	s->id = 0;
}

static void session_kill(struct session *s)
{
	if (s->running && !s->exited)
		kill(-s->pid, SIGKILL);
	session_free(s);
}

void exec_reset(void)
{
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (ss[i].id)
			session_kill(&ss[i]);
}

static struct session *find(uint8_t id)
{
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (ss[i].id == id)
			return &ss[i];
	return NULL;
}

/* A session that cannot run: a line on its stderr, then its exit code. */
static void refuse(uint8_t id, int code, const char *why)
{
	chan_send(SPORE_CHAN_STDERR, id, why, strlen(why));
	uint8_t c = (uint8_t)code;
	chan_send(SPORE_CHAN_EXIT, id, &c, 1);
}

static void add_item(struct session *s, const struct spore_chan_msg *m)
{
	size_t n = m->len - 1u;
	if (s->textlen + n + 1 > sizeof(s->text) || s->argc == EXEC_MAX_ARGS ||
	    s->envc == EXEC_MAX_ENV) {
		s->overflow = true;
		return;
	}
	char *t = s->text + s->textlen;
	memcpy(t, m->payload + 1, n);
	t[n] = '\0';
	s->textlen += n + 1;
	switch (m->payload[0]) {
	case SPORE_CHAN_ITEM_ARG:
		s->argv[s->argc++] = t;
		break;
	case SPORE_CHAN_ITEM_ENV:
		s->env[s->envc++] = t;
		break;
	case SPORE_CHAN_ITEM_USER:
		s->user = t;
		break;
	default:
		s->workdir = t;
	}
}

static bool pipe_pair(int p[2])
{
	return pipe2(p, O_CLOEXEC) == 0;
}

static void session_started(struct session *s)
{
	fcntl(s->out, F_SETFL, O_NONBLOCK);
	if (s->err >= 0)
		fcntl(s->err, F_SETFL, O_NONBLOCK);
	if (s->in >= 0)
		fcntl(s->in, F_SETFL, O_NONBLOCK);
	s->running = true;
	trace("exec session %u: pid %d%s", s->id, (int)s->pid, s->tty ? " (tty)" : "");
}

/* In the session's child: its own session and process group (CLOSE kills
 * all of it; with ctty, fd0 its controlling terminal), fds 0-2, then the
 * command by launch's rules. */
static _Noreturn void session_child(struct session *s, const struct userspec_ids *ids,
				    const char *user, int fd0, int fd1, int fd2, bool ctty)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() < 0 || (ctty && ioctl(fd0, TIOCSCTTY, 0) < 0) || fd0 < 0 || dup2(fd0, 0) < 0 ||
	    dup2(fd1, 1) < 0 || dup2(fd2, 2) < 0)
		_exit(125);
	const char *wd = s->workdir ? s->workdir : bundle->workdir ? bundle->workdir : "/";
	become_and_exec(ids, user, wd, s->argv, build_env(bundle, ids, s->env, s->envc));
}

/* TOP: the process table from a child, as a session with no input. */
static void run_top(struct session *s)
{
	int out[2] = {-1, -1}, err[2] = {-1, -1};

	if (!pipe_pair(out) || !pipe_pair(err) || (s->pid = fork()) < 0) {
		refuse(s->id, 125, "sporeinit: top: out of resources\n");
		for (int i = 0; i < 2; i++) {
			close_fd(&out[i]);
			close_fd(&err[i]);
		}
		session_free(s);
		return;
	}
	if (s->pid == 0)
		_exit(top_write(out[1], err[1]) < 0 ? 1 : 0);
	close_fd(&out[1]);
	close_fd(&err[1]);
	s->out = out[0];
	s->err = err[0];
	session_started(s);
}

/* TTY: the process's stdio is a pty's slave, its controlling terminal;
 * the master carries both ways (stdin only with STDIN). */
static void run_tty(struct session *s, uint8_t flags, const struct winsize *ws,
		    const struct userspec_ids *ids, const char *user)
{
	int master = -1, slave = -1;

	/* Neither end may reach the process's exec but as its stdio. */
	if (openpty(&master, &slave, NULL, NULL, ws) < 0 || fcntl(master, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(slave, F_SETFD, FD_CLOEXEC) < 0 ||
	    ((flags & SPORE_CHAN_RUN_STDIN) && (s->in = fcntl(master, F_DUPFD_CLOEXEC, 0)) < 0) ||
	    (s->pid = fork()) < 0) {
		refuse(s->id, 125, "sporeinit: exec: cannot make a terminal\n");
		close_fd(&master);
		close_fd(&slave);
		session_free(s);
		return;
	}
	if (s->pid == 0)
		session_child(s, ids, user, slave, slave, slave, true);
	close(slave);
	s->out = master;
	s->tty = true;
	session_started(s);
}

static void run(struct session *s, const struct spore_chan_msg *m)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
	char why[256];
	struct userspec_ids ids;
	const char *user = s->user ? s->user : bundle->user;
	uint8_t flags = m->payload[0];

	if (flags & SPORE_CHAN_RUN_TOP) {
		run_top(s);
		return;
	}
	if (s->overflow || !s->argc) {
		refuse(s->id, 125, s->argc ? "sporeinit: exec: command too long\n"
					   : "sporeinit: exec: no command\n");
		session_free(s);
		return;
	}
	s->argv[s->argc] = NULL;
	s->env[s->envc] = NULL;
	if (resolve_userspec(user, &ids, why, sizeof(why) - 1) < 0) {
		strcat(why, "\n");
		refuse(s->id, 125, why);
		session_free(s);
		return;
	}
	if (flags & SPORE_CHAN_RUN_TTY) {
		struct winsize ws = {.ws_row = spore_chan_u16(m->payload + 1),
				     .ws_col = spore_chan_u16(m->payload + 3)};
		run_tty(s, flags, &ws, &ids, user);
		return;
	}
	if (((flags & SPORE_CHAN_RUN_STDIN) && !pipe_pair(in)) || !pipe_pair(out) ||
	    !pipe_pair(err) || (s->pid = fork()) < 0) {
		refuse(s->id, 125, "sporeinit: exec: out of resources\n");
		for (int i = 0; i < 2; i++) {
			close_fd(&in[i]);
			close_fd(&out[i]);
			close_fd(&err[i]);
		}
		session_free(s);
		return;
	}
	if (s->pid == 0)
		session_child(s, &ids, user, in[0] < 0 ? open("/dev/null", O_RDONLY) : in[0], out[1],
			      err[1], false);
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);
	s->in = in[1];
	s->out = out[0];
	s->err = err[0];
	session_started(s);
}

/* Tells spored what the process took (STDIN_ACK), as far as the channel
 * has room now; the rest goes with a later call. */
static void stdin_ack(struct session *s)
{
	while (s->unacked && chan_room() >= SPORE_CHAN_HDR + 2) {
		uint8_t p[2];
		uint16_t n = s->unacked > 0xffff ? 0xffff : (uint16_t)s->unacked;
		spore_chan_put_u16(p, n);
		if (!chan_send(SPORE_CHAN_STDIN_ACK, s->id, p, sizeof(p)))
			return;
		s->unacked -= n;
	}
}

/* Moves what stdin holds into the process's pipe, as far as it takes it. */
static void stdin_write(struct session *s)
{
	ssize_t w = s->inlen ? write(s->in, s->inbuf, s->inlen) : 0;
	if (w < 0 && errno != EAGAIN && errno != EINTR) {
		s->inlen = 0;
		s->in_eof = true; /* it closed its stdin */
	} else if (w > 0) {
		memmove(s->inbuf, s->inbuf + w, s->inlen - (size_t)w);
		s->inlen -= (size_t)w;
		s->unacked += (size_t)w;
		stdin_ack(s);
	}
	if (!s->inlen && s->in_eof)
		close_fd(&s->in);
}

/* A free slot for stream id, or NULL when all are taken. */
static struct session *session_new(uint8_t id)
{
	struct session *s = find(0);
	if (!s)
		return NULL;
	memset(s, 0, offsetof(struct session, inbuf));
	s->in = s->out = s->err = -1;
	s->inlen = s->unacked = 0;
	s->in_eof = false;
	s->id = id;
	return s;
}

bool exec_frame(const struct spore_chan_msg *m)
{
	struct session *s = find(m->stream);

	switch (m->type) {
	case SPORE_CHAN_EXEC_ITEM:
		/* None free: busy, said once the command is complete (RUN). */
		if (!s && !(s = session_new(m->stream)))
			return true;
		if (s->running)
			return false;
		add_item(s, m);
		return true;
	case SPORE_CHAN_EXEC_RUN:
		/* TOP has no items: its session starts here. */
		if (!s && (m->payload[0] & SPORE_CHAN_RUN_TOP))
			s = session_new(m->stream);
		if (!s) {
			refuse(m->stream, 125, "sporeinit: exec: too many sessions\n");
			return true;
		}
		if (s->running)
			return false;
		run(s, m);
		return true;
	case SPORE_CHAN_RESIZE:
		/* The kernel tells the terminal's foreground group (SIGWINCH). */
		if (s && s->tty && s->out >= 0) {
			struct winsize ws = {.ws_row = spore_chan_u16(m->payload),
					     .ws_col = spore_chan_u16(m->payload + 2)};
			ioctl(s->out, TIOCSWINSZ, &ws);
		}
		return true;
	case SPORE_CHAN_STDIN:
		/* Input for a session gone (it ended meanwhile) is dropped. */
		if (!s || s->in < 0)
			return true;
		/* Room first: what the pipe takes now (64 KiB of it). */
		stdin_write(s);
		if (!m->len) {
			s->in_eof = true;
		} else if (m->len > sizeof(s->inbuf) - s->inlen) {
			/* spored sends no more than a window (see channel.c);
			 * beyond it, the input is cut short. */
			s->inlen = 0;
			s->in_eof = true;
		} else {
			memcpy(s->inbuf + s->inlen, m->payload, m->len);
			s->inlen += m->len;
		}
		return true;
	case SPORE_CHAN_CLOSE:
		if (s)
			session_kill(s);
		return true;
	default:
		return false;
	}
}

bool exec_reaped(pid_t pid, int status)
{
	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &ss[i];
		if (!s->id || !s->running || s->exited || s->pid != pid)
			continue;
		s->exited = true;
		s->code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
		return true;
	}
	return false;
}

/* The end of a session: once it exited and both outputs are drained. */
static void maybe_done(struct session *s)
{
	if (!s->exited || s->out >= 0 || s->err >= 0 || chan_room() < SPORE_CHAN_HDR + 1)
		return;
	uint8_t c = (uint8_t)s->code;
	chan_send(SPORE_CHAN_EXIT, s->id, &c, 1);
	session_free(s);
}

size_t exec_pollfds(struct pollfd *p, size_t max)
{
	size_t k = 0;
	bool room = chan_room() >= 2 * SPORE_CHAN_MAX_FRAME;

	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &ss[i];
		if (!s->id || !s->running)
			continue;
		stdin_ack(s); /* what found no room before */
		maybe_done(s);
		if (!s->id)
			continue;
		if (k + 3 > max)
			break;
		p[k++] = (struct pollfd){.fd = room ? s->out : -1, .events = POLLIN};
		p[k++] = (struct pollfd){.fd = room ? s->err : -1, .events = POLLIN};
		p[k++] = (struct pollfd){.fd = s->inlen || s->in_eof ? s->in : -1, .events = POLLOUT};
	}
	return k;
}

static void relay(struct session *s, int *fd, uint8_t type)
{
	uint8_t buf[SPORE_CHAN_MAX_PAYLOAD];
	ssize_t n = read(*fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		chan_send(type, s->id, NULL, 0);
		close_fd(fd);
		return;
	}
	chan_send(type, s->id, buf, (size_t)n);
}

void exec_polled(const struct pollfd *p, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		if (p[j].fd < 0 || !p[j].revents)
			continue;
		for (int i = 0; i < MAX_SESSIONS; i++) {
			struct session *s = &ss[i];
			if (!s->id)
				continue;
			if (p[j].fd == s->out && chan_room() >= SPORE_CHAN_MAX_FRAME)
				relay(s, &s->out, SPORE_CHAN_STDOUT);
			else if (p[j].fd == s->err && chan_room() >= SPORE_CHAN_MAX_FRAME)
				relay(s, &s->err, SPORE_CHAN_STDERR);
			else if (p[j].fd == s->in)
				stdin_write(s);
			else
				continue;
			maybe_done(s);
			break;
		}
	}
}

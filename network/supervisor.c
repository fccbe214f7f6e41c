/* The privileged parent; see net_supervisor.h. */
#include <spore/log.h>
#include <spore/net_ipc.h>
#include <spore/net_packet.h>
#include <spore/net_supervisor.h>
#include <spore/net_worker.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 30000

struct guest {
	struct net_attach attach;
	enum net_worker_state state;
	pid_t pid;
	int ipc;
	unsigned restarts;
	bool failing; /* the last spawn failed: log further failures quietly */
	int64_t started_ms, restart_at_ms, backoff_ms;
	struct net_stats stats;
};

struct sup {
	const struct net_supervisor_opts *opts;
	struct guest *guests;
	size_t n;
	int sigfd, ctl, addrs;
	struct net_msg_dom0_addrs last; /* as last sent to the workers */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void schedule_restart(struct guest *g)
{
	if (g->ipc >= 0)
		close(g->ipc);
	g->ipc = -1;
	g->pid = 0;
	g->state = NET_WORKER_RESTARTING;
	/* A worker that ran for a minute earns a fresh, short backoff. */
	if (now_ms() - g->started_ms > 60000)
		g->backoff_ms = BACKOFF_MIN_MS;
	g->restart_at_ms = now_ms() + g->backoff_ms;
	g->backoff_ms = g->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : g->backoff_ms * 2;
}

/* Opens the guest's socket, forks its worker and hands the socket over. */
static int spawn(struct sup *s, struct guest *g, struct spore_err *err)
{
	struct net_msg_attach m;
	int sv[2], pkt, r;

	net_msg_init(&m, NET_MSG_ATTACH);
	m.attach = g->attach;
	net_filter_init(&m.filter, &g->attach);
	if ((r = net_dom0_addrs(&m.filter, err)) < 0)
		return r;
	m.uid = (uint32_t)s->opts->uid;
	m.gid = (uint32_t)s->opts->gid;
	m.use_syslog = s->opts->use_syslog;

	if ((r = net_iface_prepare(g->attach.ifname, g->attach.mtu, err)) < 0)
		return r;
	if ((pkt = net_packet_open(g->attach.ifname, g->attach.has_mac ? g->attach.mac : NULL,
				   err)) < 0)
		return pkt;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = spore_err_set(err, errno, "socketpair");
		close(pkt);
		return r;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		r = spore_err_set(err, errno, "fork");
		close(pkt);
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		/* Keep stdio and the channel only; the socket arrives over it. */
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		net_worker_main(3, parent);
	}
	close(sv[1]);
	g->pid = pid;
	g->ipc = sv[0];
	g->state = NET_WORKER_STARTING;
	g->started_ms = now_ms();
	r = net_msg_send(g->ipc, &m, pkt, err);
	close(pkt);
	if (r < 0) {
		kill(pid, SIGKILL);
		return r;
	}
	log_debug("%s: worker %d started", g->attach.ifname, (int)pid);
	return 0;
}

static void try_spawn(struct sup *s, struct guest *g)
{
	struct spore_err err = {0};
	if (spawn(s, g, &err) < 0) {
		/* A missing interface (guest not up yet, or gone) is retried with
		 * backoff; say so once, not every few seconds. */
		spore_log(g->failing ? SPORE_LOG_DEBUG : SPORE_LOG_ERROR, "%s: %s (retrying)",
			  g->attach.ifname, err.msg);
		g->failing = true;
		schedule_restart(g);
		return;
	}
	if (g->failing)
		log_info("%s: interface usable again", g->attach.ifname);
	g->failing = false;
}

static void reap(struct sup *s)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < s->n; i++) {
			struct guest *g = &s->guests[i];
			if (g->pid != pid)
				continue;
			if (WIFSIGNALED(status))
				log_error("%s: worker %d killed by signal %d", g->attach.ifname,
					  (int)pid, WTERMSIG(status));
			else
				log_error("%s: worker %d exited with status %d", g->attach.ifname,
					  (int)pid, WEXITSTATUS(status));
			g->restarts++;
			schedule_restart(g);
		}
	}
}

static void handle_worker(struct guest *g)
{
	static _Alignas(8) uint8_t buf[NET_MSG_MAX_SIZE];
	struct spore_err err = {0};
	int r = net_msg_recv(g->ipc, buf, sizeof(buf), NULL, &err);

	if (r == -EAGAIN)
		return;
	if (r <= 0) {
		/* EOF or garbage: the worker is dying or compromised. Kill it;
		 * SIGCHLD brings the restart. */
		if (r < 0)
			log_error("%s: worker channel: %s", g->attach.ifname, err.msg);
		kill(g->pid, SIGKILL);
		close(g->ipc);
		g->ipc = -1;
		return;
	}
	switch (r) {
	case NET_MSG_READY:
		if (g->state != NET_WORKER_RUNNING)
			log_info("%s: attached (worker %d)", g->attach.ifname, (int)g->pid);
		g->state = NET_WORKER_RUNNING;
		break;
	case NET_MSG_STATS:
		memcpy(&g->stats, &((struct net_msg_stats *)buf)->stats, sizeof(g->stats));
		break;
	default:
		log_error("%s: unexpected message %d from worker", g->attach.ifname, r);
		kill(g->pid, SIGKILL);
		close(g->ipc);
		g->ipc = -1;
	}
}

/* dom0 gained or lost an address: refresh every worker's filter. */
static void update_dom0_addrs(struct sup *s)
{
	struct spore_err err = {0};
	static struct net_filter flt;
	struct net_msg_dom0_addrs m;

	memset(&flt, 0, sizeof(flt));
	if (net_dom0_addrs(&flt, &err) < 0) {
		log_error("dom0 addresses: %s", err.msg);
		return;
	}
	net_msg_init(&m, NET_MSG_DOM0_ADDRS);
	m.n4 = (uint32_t)flt.n_dom0_4;
	m.n6 = (uint32_t)flt.n_dom0_6;
	memcpy(m.a4, flt.dom0_4, sizeof(m.a4));
	memcpy(m.a6, flt.dom0_6, sizeof(m.a6));
	if (!memcmp(&m, &s->last, sizeof(m)))
		return;
	s->last = m;
	log_info("dom0 addresses changed (%u IPv4, %u IPv6): updating the filters", m.n4, m.n6);
	for (size_t i = 0; i < s->n; i++)
		if (s->guests[i].ipc >= 0 && net_msg_send(s->guests[i].ipc, &m, -1, &err) < 0)
			log_error("%s: %s", s->guests[i].attach.ifname, err.msg);
}

static void serve_status(struct sup *s)
{
	static _Alignas(8) uint8_t buf[NET_MSG_MAX_SIZE];
	struct spore_err err = {0};
	int c = accept4(s->ctl, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	struct timeval tv = {.tv_sec = 1};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (net_msg_recv(c, buf, sizeof(buf), NULL, &err) != NET_MSG_STATUS_REQ) {
		close(c);
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct guest *g = &s->guests[i];
		struct net_msg_status m;
		net_msg_init(&m, NET_MSG_STATUS);
		m.attach = g->attach;
		m.pid = g->pid;
		m.state = g->state;
		m.restarts = g->restarts;
		m.stats = g->stats;
		if (net_msg_send(c, &m, -1, &err) < 0)
			goto out;
	}
	struct net_msg_status_end end;
	net_msg_init(&end, NET_MSG_STATUS_END);
	end.count = (uint32_t)s->n;
	net_msg_send(c, &end, -1, &err);
out:
	close(c);
}

static int open_control(const char *path, struct spore_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return spore_err_setx(err, ENAMETOOLONG, "control socket path %s", path);
	strcpy(sa.sun_path, path);

	/* Create the directory of the default path (/run/sporenet). */
	char dir[sizeof(sa.sun_path)];
	strcpy(dir, path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return spore_err_set(err, errno, "mkdir %s", dir);
	}
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return spore_err_set(err, errno, "control socket");
	/* A stale socket from a killed sporenet is in the way: replace it. */
	unlink(path);
	mode_t old = umask(0077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 8) < 0) {
		r = spore_err_set(err, errno, "control socket %s", path);
		close(fd);
		return r;
	}
	return fd;
}

static void shutdown_workers(struct sup *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->guests[i].pid > 0)
			kill(s->guests[i].pid, SIGTERM);
	int64_t deadline = now_ms() + 2000;
	for (size_t i = 0; i < s->n; i++) {
		struct guest *g = &s->guests[i];
		while (g->pid > 0) {
			if (waitpid(g->pid, NULL, WNOHANG) == g->pid || errno == ECHILD)
				break;
			if (now_ms() > deadline) {
				kill(g->pid, SIGKILL);
				waitpid(g->pid, NULL, 0);
				break;
			}
			struct timespec ts = {0, 20000000};
			nanosleep(&ts, NULL);
		}
		if (g->ipc >= 0)
			close(g->ipc);
	}
}

int net_supervisor_run(const struct net_attach *attaches, size_t n,
		       const struct net_supervisor_opts *opts, struct spore_err *err)
{
	struct sup s = {.opts = opts, .n = n, .sigfd = -1, .ctl = -1, .addrs = -1};
	sigset_t mask;
	int r = 0;

	s.guests = calloc(n ? n : 1, sizeof(*s.guests));
	if (!s.guests)
		return spore_err_set(err, ENOMEM, "guests");
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s.sigfd < 0) {
		r = spore_err_set(err, errno, "signalfd");
		goto out;
	}
	if ((s.ctl = open_control(opts->control_path, err)) < 0) {
		r = s.ctl;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		s.guests[i].attach = attaches[i];
		s.guests[i].ipc = -1;
		s.guests[i].backoff_ms = BACKOFF_MIN_MS;
	}
	/* Subscribe before the workers take their first snapshot. */
	if ((s.addrs = net_dom0_watch_open(err)) < 0) {
		r = s.addrs;
		goto out;
	}
	update_dom0_addrs(&s);
	for (size_t i = 0; i < n; i++)
		try_spawn(&s, &s.guests[i]);
	log_info("running: %zu interface(s), control socket %s", n, opts->control_path);

	struct pollfd *fds = calloc(n + 3, sizeof(*fds));
	if (!fds) {
		r = spore_err_set(err, ENOMEM, "pollfds");
		goto out;
	}
	for (;;) {
		int timeout = -1;
		int64_t now = now_ms();
		fds[0] = (struct pollfd){.fd = s.sigfd, .events = POLLIN};
		fds[1] = (struct pollfd){.fd = s.ctl, .events = POLLIN};
		fds[n + 2] = (struct pollfd){.fd = s.addrs, .events = POLLIN};
		for (size_t i = 0; i < n; i++) {
			struct guest *g = &s.guests[i];
			fds[i + 2] = (struct pollfd){.fd = g->ipc, .events = POLLIN};
			if (g->state == NET_WORKER_RESTARTING) {
				int64_t wait = g->restart_at_ms - now;
				if (wait < 0)
					wait = 0;
				if (timeout < 0 || wait < timeout)
					timeout = (int)wait;
			}
		}
		if (poll(fds, n + 3, timeout) < 0 && errno != EINTR) {
			r = spore_err_set(err, errno, "poll");
			break;
		}
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			int stop = 0;
			while (read(s.sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					reap(&s);
				else if (si.ssi_signo == SIGHUP)
					log_info("SIGHUP ignored (nothing to reload yet)");
				else
					stop = 1;
			}
			if (stop) {
				log_info("stopping");
				break;
			}
		}
		if (fds[1].revents & POLLIN)
			serve_status(&s);
		if ((fds[n + 2].revents & POLLIN) && net_dom0_watch_drain(s.addrs))
			update_dom0_addrs(&s);
		for (size_t i = 0; i < n; i++) {
			struct guest *g = &s.guests[i];
			if (g->ipc >= 0 && fds[i + 2].fd == g->ipc && fds[i + 2].revents)
				handle_worker(g);
			if (g->state == NET_WORKER_RESTARTING && now_ms() >= g->restart_at_ms) {
				spore_log(g->failing ? SPORE_LOG_DEBUG : SPORE_LOG_INFO,
					  "%s: restarting worker", g->attach.ifname);
				try_spawn(&s, g);
			}
		}
	}
	free(fds);
	shutdown_workers(&s);
out:
	if (s.ctl >= 0) {
		close(s.ctl);
		unlink(opts->control_path);
	}
	if (s.sigfd >= 0)
		close(s.sigfd);
	if (s.addrs >= 0)
		close(s.addrs);
	free(s.guests);
	return r;
}

/* The privileged parent; see net_supervisor.h. */
#include "net_discover.h"
#include "net_ipc.h"
#include "net_packet.h"
#include "net_supervisor.h"
#include "net_worker.h"
#include <spore/clock.h>
#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
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
/* Reconnecting to a lost xenstored: quick at first, then every 5 s. */
#define XS_BACKOFF_MAX_MS 5000

struct guest {
	struct net_attach attach;
	bool discovered;  /* from a guest record (else --attach) */
	unsigned ifindex; /* of the interface the worker serves */
	char why[256];    /* NET_WORKER_INVALID: the record's problem */
	enum net_worker_state state;
	pid_t pid;
	int ipc;
	unsigned restarts;
	bool failing; /* the last spawn failed: log further failures quietly */
	/* attach.userspace: the frontend's state is watched; its rings. */
	bool fe_watched;
	struct net_rings rings;
	int64_t started_ms, restart_at_ms, backoff_ms;
	struct net_stats stats;
};

struct sup {
	const struct net_supervisor_opts *opts;
	struct guest **guests;
	size_t n, cap;
	struct net_discover *disc; /* NULL: --attach interfaces only, or lost */
	bool discover;             /* wanted: reconnect while disc is NULL */
	int64_t xs_retry_at_ms, xs_backoff_ms;
	int sigfd, ctl, addrs, links;
	struct net_msg_dom0_addrs last; /* as last sent to the workers */
	bool have_last;                 /* last is dom0's current list */
};

static void schedule_restart(struct guest *g)
{
	if (g->ipc >= 0)
		close(g->ipc);
	g->ipc = -1;
	g->pid = 0;
	/* A discovered guest's interface that is gone (the guest stopped) is
	 * not retried: the link watch brings it back if it reappears. */
	if (g->discovered && !g->attach.userspace && !if_nametoindex(g->attach.ifname)) {
		if (g->state != NET_WORKER_NO_IFACE)
			log_info("%s: interface gone, detached (guest %s)", g->attach.ifname,
				 g->attach.uuid);
		g->state = NET_WORKER_NO_IFACE;
		g->ifindex = 0;
		return;
	}
	g->state = NET_WORKER_RESTARTING;
	/* A worker that ran for a minute earns a fresh, short backoff. */
	if (spore_now_ms() - g->started_ms > 60000)
		g->backoff_ms = BACKOFF_MIN_MS;
	g->restart_at_ms = spore_now_ms() + g->backoff_ms;
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
	/* dom0's addresses as the rtnetlink watch keeps them: no netlink
	 * dump per worker started. */
	if (s->have_last) {
		m.filter.n_dom0_4 = s->last.n4;
		m.filter.n_dom0_6 = s->last.n6;
		memcpy(m.filter.dom0_4, s->last.a4, sizeof(s->last.a4));
		memcpy(m.filter.dom0_6, s->last.a6, sizeof(s->last.a6));
	} else if ((r = net_dom0_addrs(&m.filter, err)) < 0) {
		return r;
	}
	m.uid = (uint32_t)s->opts->uid;
	m.gid = (uint32_t)s->opts->gid;
	m.use_syslog = s->opts->use_syslog;

	if (g->attach.userspace) {
		/* The worker opens the Xen devices and maps these itself. */
		m.rings = g->rings;
		pkt = -1;
	} else {
		g->ifindex = if_nametoindex(g->attach.ifname);
		if ((r = net_iface_prepare(g->attach.ifname, g->attach.mtu, err)) < 0)
			return r;
		if ((pkt = net_packet_open(g->attach.ifname,
					   g->attach.has_mac ? g->attach.mac : NULL, err)) < 0)
			return pkt;
	}
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
	g->started_ms = spore_now_ms();
	r = net_msg_send(g->ipc, &m, pkt, err);
	if (pkt >= 0)
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
		schedule_restart(g);
		if (g->state == NET_WORKER_NO_IFACE)
			return;
		spore_log(g->failing ? SPORE_LOG_DEBUG : SPORE_LOG_ERROR, "%s: %s (retrying)",
			  g->attach.ifname, err.msg);
		g->failing = true;
		return;
	}
	if (g->failing)
		log_info("%s: interface usable again", g->attach.ifname);
	g->failing = false;
}

/* A userspace guest broke the ring protocol (its worker said why and
 * exited): disconnected, not restarted, until its record changes. */
static void guest_broke(struct sup *s, struct guest *g)
{
	struct spore_err e = {0};
	if (g->ipc >= 0)
		close(g->ipc);
	g->ipc = -1;
	g->pid = 0;
	g->state = NET_WORKER_INVALID;
	snprintf(g->why, sizeof(g->why), "guest %s: broke the netif ring protocol: disconnected",
		 g->attach.uuid);
	log_warn("%s: %s", g->attach.ifname, g->why);
	/* Closed (6): netfront sees its backend gone. */
	if (s->disc && net_discover_backend_state(s->disc, g->attach.domid, g->attach.devid, 6,
						  &e) < 0)
		log_debug("%s: backend state: %s", g->attach.ifname, e.msg);
}

static void reap(struct sup *s)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		/* Workers of detached guests are no longer listed: nothing to do. */
		for (size_t i = 0; i < s->n; i++) {
			struct guest *g = s->guests[i];
			if (g->pid != pid)
				continue;
			if (WIFEXITED(status) && WEXITSTATUS(status) == NET_WORKER_EXIT_GUEST &&
			    g->attach.userspace) {
				guest_broke(s, g);
				continue;
			}
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

static void handle_worker(struct sup *s, struct guest *g)
{
	static _Alignas(8) uint8_t buf[NET_MSG_MAX_SIZE];
	struct spore_err err = {0};
	int r = net_msg_recv_from_worker(g->ipc, buf, sizeof(buf), &err);

	if (r == -EAGAIN)
		return;
	if (r <= 0) {
		/* EOF, garbage or a message a worker never sends: the worker is
		 * dying or compromised. Kill it; SIGCHLD brings the restart. */
		if (r < 0)
			log_error("%s: worker channel: %s", g->attach.ifname, err.msg);
		kill(g->pid, SIGKILL);
		close(g->ipc);
		g->ipc = -1;
		return;
	}
	if (r == NET_MSG_READY) {
		if (g->state != NET_WORKER_RUNNING)
			log_info("%s: attached (worker %d)", g->attach.ifname, (int)g->pid);
		g->state = NET_WORKER_RUNNING;
		/* The rings are mapped and the channel bound: Connected (4). */
		if (g->attach.userspace && s->disc &&
		    net_discover_backend_state(s->disc, g->attach.domid, g->attach.devid, 4, &err) < 0)
			log_warn("%s: backend state: %s", g->attach.ifname, err.msg);
	} else {
		memcpy(&g->stats, &((struct net_msg_stats *)buf)->stats, sizeof(g->stats));
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
		s->have_last = false;
		return;
	}
	net_msg_init(&m, NET_MSG_DOM0_ADDRS);
	m.n4 = (uint32_t)flt.n_dom0_4;
	m.n6 = (uint32_t)flt.n_dom0_6;
	memcpy(m.a4, flt.dom0_4, sizeof(m.a4));
	memcpy(m.a6, flt.dom0_6, sizeof(m.a6));
	if (s->have_last && !memcmp(&m, &s->last, sizeof(m)))
		return;
	s->last = m;
	s->have_last = true;
	log_info("dom0 addresses changed (%u IPv4, %u IPv6): updating the filters", m.n4, m.n6);
	for (size_t i = 0; i < s->n; i++)
		if (s->guests[i]->ipc >= 0 && net_msg_send(s->guests[i]->ipc, &m, -1, &err) < 0)
			log_error("%s: %s", s->guests[i]->attach.ifname, err.msg);
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
		struct guest *g = s->guests[i];
		struct net_msg_status m;
		net_msg_init(&m, NET_MSG_STATUS);
		m.attach = g->attach;
		m.pid = g->pid;
		m.state = g->state;
		m.restarts = g->restarts;
		m.discovered = g->discovered;
		m.stats = g->stats;
		memcpy(m.why, g->why, sizeof(m.why));
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
		if (s->guests[i]->pid > 0)
			kill(s->guests[i]->pid, SIGTERM);
	int64_t deadline = spore_now_ms() + 2000;
	for (size_t i = 0; i < s->n; i++) {
		struct guest *g = s->guests[i];
		while (g->pid > 0) {
			if (waitpid(g->pid, NULL, WNOHANG) == g->pid || errno == ECHILD)
				break;
			if (spore_now_ms() > deadline) {
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

static struct guest *guest_add(struct sup *s, const struct net_attach *a, bool discovered)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct guest **v = realloc(s->guests, cap * sizeof(*v));
		if (!v)
			return NULL;
		s->guests = v;
		s->cap = cap;
	}
	struct guest *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->attach = *a;
	g->discovered = discovered;
	g->ipc = -1;
	g->backoff_ms = BACKOFF_MIN_MS;
	s->guests[s->n++] = g;
	return g;
}

/* Says a discovered guest is no longer served, and why. A guest whose
 * record did not parse has no interface to name (its attach was cleared):
 * its UUID says which. */
static void log_detached(const struct guest *g, const char *why)
{
	if (g->state == NET_WORKER_INVALID || !g->attach.ifname[0])
		log_info("guest %s: dropped (%s; its record was skipped before)", g->attach.uuid,
			 why);
	else
		log_info("%s: detached (guest %s %s: %s)", g->attach.ifname, g->attach.uuid,
			 g->attach.name, why);
}

/* Ends the guest's worker, if any (closing its channel ends it; the
 * signal makes sure; SIGCHLD reaps it). */
static void guest_stop(struct guest *g)
{
	if (g->pid > 0)
		kill(g->pid, SIGTERM);
	if (g->ipc >= 0)
		close(g->ipc);
	g->pid = 0;
	g->ipc = -1;
	g->ifindex = 0;
	g->failing = false;
	g->backoff_ms = BACKOFF_MIN_MS;
	memset(&g->stats, 0, sizeof(g->stats));
}

static void guest_remove(struct sup *s, size_t i)
{
	struct guest *g = s->guests[i];
	struct spore_err e = {0};
	if (g->fe_watched && s->disc)
		net_discover_watch_frontend(s->disc, g->attach.domid, g->attach.devid, false, &e);
	guest_stop(s->guests[i]);
	free(s->guests[i]);
	memmove(&s->guests[i], &s->guests[i + 1], (s->n - i - 1) * sizeof(*s->guests));
	s->n--;
}

/* A userspace vif: starts its worker once the frontend is Connected (4)
 * with its rings published; until then the watch on the frontend's state
 * brings us back here. */
static void guest_start_userspace(struct sup *s, struct guest *g)
{
	struct spore_err e = {0};
	struct net_frontend fe;

	g->state = NET_WORKER_NO_IFACE;
	if (!s->disc)
		return; /* discovery_reconnect brings every guest back */
	if (!g->fe_watched) {
		if (net_discover_watch_frontend(s->disc, g->attach.domid, g->attach.devid, true,
						&e) < 0) {
			log_warn("%s: watching the frontend: %s", g->attach.ifname, e.msg);
			return;
		}
		g->fe_watched = true;
	}
	int r = net_discover_frontend(s->disc, g->attach.domid, g->attach.devid, &fe, &e);
	if (r < 0) {
		/* Not there (yet, or any more), or the guest wrote garbage:
		 * wait for its next change. */
		if (r != -ENOENT)
			log_warn("%s: %s", g->attach.ifname, e.msg);
		return;
	}
	if (fe.state != 4) {
		log_debug("%s: frontend in state %u: waiting for Connected", g->attach.ifname,
			  fe.state);
		return;
	}
	g->rings = (struct net_rings){.tx_ref = fe.tx_ref, .rx_ref = fe.rx_ref,
				      .evtchn = fe.evtchn, .rx_sg = fe.rx_sg};
	g->state = NET_WORKER_STARTING;
	try_spawn(s, g);
}

/* A watched frontend changed state: start the guests that waited for it,
 * and restart those whose frontend left Connected (it reconnects, with new
 * rings). */
static void handle_frontends(struct sup *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct guest *g = s->guests[i];
		struct net_frontend fe;
		struct spore_err e = {0};
		if (!g->discovered || !g->attach.userspace || g->state == NET_WORKER_INVALID)
			continue;
		if (g->state == NET_WORKER_NO_IFACE) {
			guest_start_userspace(s, g);
			continue;
		}
		if (net_discover_frontend(s->disc, g->attach.domid, g->attach.devid, &fe, &e) < 0 ||
		    fe.state != 4 || fe.tx_ref != g->rings.tx_ref || fe.rx_ref != g->rings.rx_ref ||
		    fe.evtchn != g->rings.evtchn) {
			log_info("%s: frontend left Connected or changed its rings: re-attaching",
				 g->attach.ifname);
			guest_stop(g);
			guest_start_userspace(s, g);
		}
	}
}

/* (Re)starts a discovered guest's worker if its interface exists. */
static void guest_start(struct sup *s, struct guest *g)
{
	if (g->attach.userspace) {
		guest_start_userspace(s, g);
		return;
	}
	if (!if_nametoindex(g->attach.ifname)) {
		g->state = NET_WORKER_NO_IFACE;
		return;
	}
	g->state = NET_WORKER_STARTING;
	try_spawn(s, g);
}

static struct guest *find_uuid(struct sup *s, const char *uuid, size_t *idx)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->guests[i]->discovered && !strcmp(s->guests[i]->attach.uuid, uuid)) {
			if (idx)
				*idx = i;
			return s->guests[i];
		}
	return NULL;
}

/* What one record asks for, applied: attach, re-attach with a changed
 * network, detach, or skip a record that does not parse. */
static void apply_record(struct sup *s, const char *uuid, struct net_record_result *res)
{
	size_t idx;
	struct guest *g = find_uuid(s, uuid, &idx);

	if (res->state == NET_RECORD_ATTACH) {
		/* Two guests claiming one interface: neither gets a worker from
		 * the second record (a --attach always wins). */
		for (size_t i = 0; i < s->n; i++) {
			struct guest *o = s->guests[i];
			if (o != g && o->state != NET_WORKER_INVALID &&
			    !strcmp(o->attach.ifname, res->attach.ifname)) {
				res->state = NET_RECORD_INVALID;
				snprintf(res->msg, sizeof(res->msg),
					 "guest %s: interface %s is already served (%s)", uuid,
					 res->attach.ifname,
					 o->discovered ? o->attach.uuid : "--attach");
				break;
			}
		}
	}
	switch (res->state) {
	case NET_RECORD_NONE:
		if (g) {
			log_detached(g, "no vif in its record");
			guest_remove(s, idx);
		}
		return;
	case NET_RECORD_INVALID:
		if (g && g->state == NET_WORKER_INVALID && !strcmp(g->why, res->msg))
			return; /* said already */
		log_warn("%s: skipped", res->msg);
		if (g)
			guest_stop(g);
		else if (!(g = guest_add(s, &res->attach, true))) {
			log_error("guest %s: out of memory", uuid);
			return;
		}
		memset(&g->attach, 0, sizeof(g->attach));
		snprintf(g->attach.uuid, sizeof(g->attach.uuid), "%s", uuid);
		snprintf(g->why, sizeof(g->why), "%s", res->msg);
		g->state = NET_WORKER_INVALID;
		return;
	case NET_RECORD_ATTACH:
		if (g && g->state != NET_WORKER_INVALID &&
		    !memcmp(&g->attach, &res->attach, sizeof(g->attach)))
			return; /* unchanged: another key of the record changed */
		if (g) {
			log_info("%s: guest %s's network changed: re-attaching", res->attach.ifname,
				 uuid);
			guest_stop(g);
			g->attach = res->attach;
			g->why[0] = '\0';
		} else if (!(g = guest_add(s, &res->attach, true))) {
			log_error("guest %s: out of memory", uuid);
			return;
		} else {
			log_info("%s: guest %s %s found", res->attach.ifname, uuid, res->attach.name);
		}
		guest_start(s, g);
		return;
	}
}

/* Reads the records of uuids (every record if all) and applies them. */
static int reconcile(struct sup *s, net_uuid *uuids, size_t n, bool all, struct spore_err *err)
{
	net_uuid *list = NULL;
	struct net_record_result *res = NULL;
	int r = 0;

	if (all) {
		if ((r = net_discover_list(s->disc, &list, &n, err)) < 0)
			return r;
		uuids = list;
	}
	if (n && !(res = calloc(n, sizeof(*res)))) {
		r = spore_err_set(err, ENOMEM, "guest records");
		goto out;
	}
	if (n && (r = net_discover_read(s->disc, uuids, n, res, err)) < 0)
		goto out;
	/* Records gone from the listing (removed while sporenet was away, or
	 * with the whole of /spore/guests). */
	if (all)
		for (size_t i = s->n; i-- > 0;) {
			struct guest *g = s->guests[i];
			bool listed = false;
			for (size_t k = 0; k < n && g->discovered && !listed; k++)
				listed = !strcmp(uuids[k], g->attach.uuid);
			if (g->discovered && !listed) {
				log_detached(g, "record gone");
				guest_remove(s, i);
			}
		}
	for (size_t i = 0; i < n; i++)
		apply_record(s, uuids[i], &res[i]);
out:
	free(res);
	free(list);
	return r;
}

static int handle_discovery(struct sup *s, struct spore_err *err)
{
	net_uuid *uuids = NULL;
	size_t n = 0;
	bool all = false, frontends = false;
	int r = net_discover_events(s->disc, &uuids, &n, &all, &frontends, err);
	if (r >= 0 && (all || n))
		r = reconcile(s, uuids, n, all, err);
	if (r >= 0 && frontends)
		handle_frontends(s);
	free(uuids);
	return r;
}

/* An interface appeared, changed or went: discovered guests follow their
 * interface (a worker on a vanished or replaced one is stopped; one that
 * (re)appeared gets a worker). */
static void handle_links(struct sup *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct guest *g = s->guests[i];
		if (!g->discovered || g->attach.userspace || g->state == NET_WORKER_INVALID)
			continue;
		unsigned idx = if_nametoindex(g->attach.ifname);
		if (g->state == NET_WORKER_NO_IFACE) {
			if (idx) {
				log_info("%s: interface back (guest %s)", g->attach.ifname,
					 g->attach.uuid);
				guest_start(s, g);
			}
		} else if (idx != g->ifindex && g->state != NET_WORKER_RESTARTING) {
			if (idx)
				log_info("%s: interface replaced: re-attaching", g->attach.ifname);
			guest_stop(g);
			if (idx)
				guest_start(s, g);
			else
				schedule_restart(g); /* notes NO_IFACE */
		}
	}
}

/* The xenstore connection failed (xenstored went away or answered
 * garbage): drop it and reconnect later. The workers keep serving their
 * guests meanwhile; only changes to the records wait. */
static void discovery_lost(struct sup *s, const struct spore_err *why)
{
	net_discover_close(s->disc);
	s->disc = NULL;
	s->xs_retry_at_ms = spore_now_ms() + s->xs_backoff_ms;
	log_warn("guest discovery: %s: reconnecting in %lld ms (%zu interface(s) still served)",
		 why->msg, (long long)s->xs_backoff_ms, s->n);
	s->xs_backoff_ms = s->xs_backoff_ms * 2 > XS_BACKOFF_MAX_MS ? XS_BACKOFF_MAX_MS
								   : s->xs_backoff_ms * 2;
}

/* Reconnects; the new watch's first firing re-reads every record (what
 * changed meanwhile is only known from a full pass). */
static void discovery_reconnect(struct sup *s)
{
	struct spore_err err = {0};

	if (net_discover_open(&s->disc, &err) < 0) {
		s->disc = NULL;
		discovery_lost(s, &err);
		return;
	}
	/* The old connection's watches went with it: userspace guests that
	 * wait for their frontend watch it again. */
	for (size_t i = 0; i < s->n; i++) {
		struct guest *g = s->guests[i];
		g->fe_watched = false;
		if (g->discovered && g->attach.userspace && g->state == NET_WORKER_NO_IFACE)
			guest_start_userspace(s, g);
	}
	log_warn("guest discovery: reconnected to xenstore");
}

int net_supervisor_run(const struct net_attach *attaches, size_t n,
		       const struct net_supervisor_opts *opts, struct spore_err *err)
{
	struct sup s = {.opts = opts, .sigfd = -1, .ctl = -1, .addrs = -1, .links = -1,
			.xs_backoff_ms = BACKOFF_MIN_MS};
	struct pollfd *fds = NULL;
	size_t fcap = 0;
	sigset_t mask;
	int r = 0;

	log_debug("starting (pid %d)", (int)getpid());
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
	if (opts->discover) {
		struct spore_err e = {0};
		if ((r = net_discover_open(&s.disc, &e)) < 0) {
			if (!n) {
				*err = e;
				spore_err_wrap(err, "guest discovery");
				goto out;
			}
			log_warn("guest discovery: %s: serving the --attach interfaces only", e.msg);
			s.disc = NULL;
			r = 0;
		} else {
			s.discover = true;
		}
	}
	if ((s.ctl = open_control(opts->control_path, err)) < 0) {
		r = s.ctl;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!guest_add(&s, &attaches[i], false)) {
			r = spore_err_set(err, ENOMEM, "guests");
			goto out;
		}
	/* Subscribe before the workers take their first snapshot. */
	if ((s.addrs = net_dom0_watch_open(err)) < 0) {
		r = s.addrs;
		goto out;
	}
	if (s.discover && (s.links = net_link_watch_open(err)) < 0) {
		r = s.links;
		goto out;
	}
	update_dom0_addrs(&s);
	for (size_t i = 0; i < s.n; i++)
		try_spawn(&s, s.guests[i]);
	/* Every record with a vif is read on the watch's first firing, which
	 * xenstored sends right after the WATCH (the loop's first event): a
	 * restarted sporenet restores the running guests' networks. */
	log_info("running: %zu --attach interface(s)%s, control socket %s", s.n,
		 s.discover ? ", discovering guests in xenstore" : "", opts->control_path);

	enum { F_SIG, F_CTL, F_ADDRS, F_LINKS, F_DISC, F_GUESTS };
	for (;;) {
		int timeout = -1;
		int64_t now = spore_now_ms();
		size_t ng = s.n;
		if (fcap < ng + F_GUESTS) {
			fcap = (ng + F_GUESTS) * 2;
			struct pollfd *p = realloc(fds, fcap * sizeof(*p));
			if (!p) {
				r = spore_err_set(err, ENOMEM, "pollfds");
				break;
			}
			fds = p;
		}
		fds[F_SIG] = (struct pollfd){.fd = s.sigfd, .events = POLLIN};
		fds[F_CTL] = (struct pollfd){.fd = s.ctl, .events = POLLIN};
		fds[F_ADDRS] = (struct pollfd){.fd = s.addrs, .events = POLLIN};
		fds[F_LINKS] = (struct pollfd){.fd = s.links, .events = POLLIN};
		fds[F_DISC] = (struct pollfd){.fd = s.disc ? net_discover_fd(s.disc) : -1,
					      .events = POLLIN};
		for (size_t i = 0; i < ng; i++) {
			struct guest *g = s.guests[i];
			fds[i + F_GUESTS] = (struct pollfd){.fd = g->ipc, .events = POLLIN};
			if (g->state == NET_WORKER_RESTARTING) {
				int64_t wait = g->restart_at_ms - now;
				if (wait < 0)
					wait = 0;
				if (timeout < 0 || wait < timeout)
					timeout = (int)wait;
			}
		}
		if (s.discover && !s.disc) {
			int64_t wait = s.xs_retry_at_ms - now;
			if (wait < 0)
				wait = 0;
			if (timeout < 0 || wait < timeout)
				timeout = (int)wait;
		}
		if (poll(fds, ng + F_GUESTS, timeout) < 0 && errno != EINTR) {
			r = spore_err_set(err, errno, "poll");
			break;
		}
		if (fds[F_SIG].revents & POLLIN) {
			struct signalfd_siginfo si;
			int stop = 0;
			while (read(s.sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					reap(&s);
				else if (si.ssi_signo == SIGHUP)
					log_info("SIGHUP ignored (nothing to reload)");
				else
					stop = 1;
			}
			if (stop) {
				log_info("stopping");
				break;
			}
		}
		if (fds[F_CTL].revents & POLLIN)
			serve_status(&s);
		if ((fds[F_ADDRS].revents & POLLIN) && net_dom0_watch_drain(s.addrs))
			update_dom0_addrs(&s);
		/* The guests polled are the first ng; discovery may add or remove
		 * some below, so serve the workers first. */
		for (size_t i = 0; i < ng; i++) {
			struct guest *g = s.guests[i];
			if (g->ipc >= 0 && fds[i + F_GUESTS].fd == g->ipc && fds[i + F_GUESTS].revents)
				handle_worker(&s, g);
			if (g->state == NET_WORKER_RESTARTING && spore_now_ms() >= g->restart_at_ms) {
				spore_log(g->failing ? SPORE_LOG_DEBUG : SPORE_LOG_INFO,
					  "%s: restarting worker", g->attach.ifname);
				if (g->attach.userspace)
					guest_start_userspace(&s, g); /* the rings may have changed */
				else
					try_spawn(&s, g);
			}
		}
		if (s.disc && fds[F_DISC].revents) {
			struct spore_err e = {0};
			if (handle_discovery(&s, &e) < 0)
				discovery_lost(&s, &e);
			else
				s.xs_backoff_ms = BACKOFF_MIN_MS;
		} else if (s.discover && !s.disc && spore_now_ms() >= s.xs_retry_at_ms) {
			discovery_reconnect(&s);
		}
		if ((fds[F_LINKS].revents & POLLIN) && net_dom0_watch_drain(s.links))
			handle_links(&s);
	}
	shutdown_workers(&s);
out:
	free(fds);
	if (s.ctl >= 0) {
		close(s.ctl);
		unlink(opts->control_path);
	}
	if (s.sigfd >= 0)
		close(s.sigfd);
	if (s.addrs >= 0)
		close(s.addrs);
	if (s.links >= 0)
		close(s.links);
	net_discover_close(s.disc);
	for (size_t i = 0; i < s.n; i++)
		free(s.guests[i]);
	free(s.guests);
	return r;
}

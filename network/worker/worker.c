/* The worker process: frame path and event loop; see net_worker.h. */
#include "net_csum.h"
#include "net_ipc.h"
#include "net_sandbox.h"
#include "net_stack.h"
#include "net_vif.h"
#include "net_worker.h"
#include <spore/clock.h>
#include <spore/log.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

/* Frames handled per wakeup before libslirp's sockets get their turn. */
#define RX_BATCH 64
#define FRAME_MAX (65535 + 14 + 4)

struct worker {
	int ipc, pkt;
	struct net_vif *vif; /* attach.userspace: the guest's rings (pkt is -1) */
	struct net_attach attach;
	struct net_filter filter;
	struct net_stack *stack;
	struct net_stats stats;
	int stats_dirty;
	uint8_t *frame;
};

static void output(const void *frame, size_t len, void *opaque)
{
	struct worker *w = opaque;
	ssize_t n;
	if (w->vif)
		n = net_vif_rx_queue(w->vif, frame, len) == 0 ? (ssize_t)len : -1;
	else
		n = send(w->pkt, frame, len, MSG_DONTWAIT);
	if (n < 0) {
		/* "If the guest is not ready to receive a frame, the function can
		 * just drop the data" (libslirp.h); TCP retransmits. */
		w->stats.tx_dropped++;
	} else {
		w->stats.tx_frames++;
		w->stats.tx_bytes += len;
	}
	w->stats_dirty = 1;
}

static void drop(struct worker *w, enum net_verdict v, const struct net_frame *f)
{
	w->stats.drops[v]++;
	if (spore_log_get_level() > SPORE_LOG_DEBUG)
		return;
	if (f->ip_version == 4) {
		uint32_t d = ntohl(f->dst4.s_addr);
		log_debug("%s: dropped (%s): IPv4 proto %u to %u.%u.%u.%u:%u", w->attach.ifname,
			  net_verdict_name(v), f->l4_proto, d >> 24, (d >> 16) & 0xff,
			  (d >> 8) & 0xff, d & 0xff, f->dport);
	} else {
		log_debug("%s: dropped (%s): ethertype 0x%04x proto %u", w->attach.ifname,
			  net_verdict_name(v), f->ethertype, f->l4_proto);
	}
}

/* One frame from the guest: parse, filter, complete the checksum, input. */
static void handle_frame(struct worker *w, uint8_t *frame, size_t len, int csum_partial)
{
	struct net_frame f;
	enum net_verdict v = net_frame_parse(frame, len, &f);

	w->stats.rx_frames++;
	w->stats.rx_bytes += len;
	w->stats_dirty = 1;
	if (v == NET_PASS && w->attach.has_mac && memcmp(f.src_mac, w->attach.mac, 6))
		v = NET_DROP_SRC_MAC;
	if (v == NET_PASS)
		v = net_filter_check(&w->filter, &f);
	if (v != NET_PASS) {
		drop(w, v, &f);
		return;
	}
	if (csum_partial && (f.l4_proto == IPPROTO_TCP || f.l4_proto == IPPROTO_UDP) &&
	    net_csum_fix(frame, len, &f) == 0)
		w->stats.csum_fixed++;
	/* Hand libslirp the IP packet without Ethernet padding. */
	net_stack_input(w->stack, frame, f.l3_off + f.l3_len);
}

/* A packet from a userspace vif's tx ring (netfront leaves IPv4 and, with
 * the feature, IPv6 checksums blank: completed as AF_PACKET's partial ones). */
static void deliver(void *opaque, uint8_t *buf, size_t len, bool csum_blank)
{
	handle_frame(opaque, buf, len, csum_blank);
}

/* The guest kicked (or we just mapped its rings): serve its tx ring. */
static void serve_vif(struct worker *w)
{
	if (net_vif_tx(w->vif, deliver, w) < 0) {
		/* The reason is one of ring.c's constant strings. */
		log_error("%s: guest broke the netif protocol (%s): disconnecting", w->attach.ifname,
			  net_vif_why(w->vif));
		_exit(NET_WORKER_EXIT_GUEST);
	}
}

static void read_frames(struct worker *w)
{
	for (int i = 0; i < RX_BATCH; i++) {
		union {
			char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
			struct cmsghdr align;
		} ctl;
		struct sockaddr_ll from;
		struct iovec iov = {.iov_base = w->frame, .iov_len = FRAME_MAX};
		struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof(from),
				    .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
		ssize_t n = recvmsg(w->pkt, &mh, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("%s: receive: %s", w->attach.ifname, strerror(errno));
			return;
		}
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if ((size_t)n > FRAME_MAX) {
			w->stats.rx_frames++;
			w->stats.drops[NET_DROP_MALFORMED]++;
			continue;
		}
		int partial = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA &&
			    c->cmsg_len >= CMSG_LEN(sizeof(struct tpacket_auxdata))) {
				struct tpacket_auxdata aux;
				memcpy(&aux, CMSG_DATA(c), sizeof(aux));
				partial = !!(aux.tp_status & TP_STATUS_CSUMNOTREADY);
			}
		handle_frame(w, w->frame, (size_t)n, partial);
	}
}

/* Tells libslirp the guest's MAC for its address before the guest says
 * anything: an ARP request from the guest for the gateway, as the guest
 * would send it. libslirp learns the pair (and answers the guest), so the
 * first packet towards the guest (a published port's SYN, the SYN-ACK of
 * the guest's first connection after a restart of sporenet) does not wait
 * for an ARP round trip. */
static void seed_arp(struct worker *w)
{
	uint8_t f[60] = {0};
	if (!w->attach.has_mac)
		return;
	memset(f, 0xff, 6);                  /* broadcast */
	memcpy(f + 6, w->attach.mac, 6);
	f[12] = 0x08, f[13] = 0x06;          /* ARP */
	f[14] = 0, f[15] = 1;                /* Ethernet */
	f[16] = 0x08, f[17] = 0x00;          /* IPv4 */
	f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1; /* request */
	memcpy(f + 22, w->attach.mac, 6);
	memcpy(f + 28, &w->attach.guest4.s_addr, 4);
	memcpy(f + 38, &w->attach.gateway4.s_addr, 4);
	net_stack_input(w->stack, f, sizeof(f));
}

static void send_stats(struct worker *w)
{
	struct net_msg_stats m;
	struct spore_err err = {0};
	net_msg_init(&m, NET_MSG_STATS);
	m.stats = w->stats;
	if (net_msg_send(w->ipc, &m, -1, &err) == 0)
		w->stats_dirty = 0;
}

__attribute__((noreturn)) static void die(const char *what, struct spore_err *err)
{
	log_error("worker: %s: %s", what, err->msg);
	_exit(1);
}

/* Anything from the parent after ATTACH is unexpected; EOF ends us. */
static void handle_ipc(struct worker *w)
{
	static _Alignas(8) uint8_t buf[NET_MSG_MAX_SIZE];
	struct spore_err err = {0};
	int r = net_msg_recv(w->ipc, buf, sizeof(buf), NULL, &err);
	if (r == -EAGAIN)
		return;
	if (r == 0) {
		log_debug("%s: parent closed the channel, exiting", w->attach.ifname);
		/* _exit: no atexit handlers (LeakSanitizer would need ptrace). */
		_exit(0);
	}
	if (r < 0)
		die("parent channel", &err);
	if (r == NET_MSG_DOM0_ADDRS) {
		const struct net_msg_dom0_addrs *m = (const void *)buf;
		if (m->n4 > NET_FILTER_MAX_DOM0 || m->n6 > NET_FILTER_MAX_DOM0) {
			log_warn("%s: bad dom0 address list from the parent", w->attach.ifname);
			return;
		}
		w->filter.n_dom0_4 = m->n4;
		w->filter.n_dom0_6 = m->n6;
		memcpy(w->filter.dom0_4, m->a4, sizeof(m->a4));
		memcpy(w->filter.dom0_6, m->a6, sizeof(m->a6));
		log_debug("%s: dom0 addresses updated (%u IPv4, %u IPv6)", w->attach.ifname, m->n4,
			  m->n6);
		return;
	}
	log_warn("%s: unexpected message %d from the parent", w->attach.ifname, r);
}

static void loop(struct worker *w)
{
	struct pollfd *fds = NULL;
	size_t cap = 0;
	int64_t next_stats = spore_now_ms() + 1000;

	for (;;) {
		size_t n = 3;
		if (cap < 3) {
			fds = realloc(fds, 32 * sizeof(*fds));
			if (!fds)
				abort();
			cap = 32;
		}
		fds[0] = (struct pollfd){.fd = w->vif ? net_vif_fd(w->vif) : w->pkt, .events = POLLIN};
		fds[1] = (struct pollfd){.fd = w->ipc, .events = POLLIN};
		fds[2] = (struct pollfd){.fd = net_stack_timer_fd(w->stack), .events = POLLIN};
		/* An idle guest's worker sleeps until something happens: counters
		 * go to the parent at most once a second, and only when they moved
		 * (a timer per guest would wake every worker every second). */
		int64_t now = spore_now_ms();
		int timeout = !w->stats_dirty ? -1 : next_stats > now ? (int)(next_stats - now) : 0;
		if (net_stack_poll_fill(w->stack, &fds, &cap, &n, &timeout) < 0)
			abort();
		int r = poll(fds, n, timeout);
		if (r < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			_exit(1);
		}
		if (r > 0) {
			if ((fds[0].revents & POLLIN) && w->vif) {
				serve_vif(w);
			} else if (fds[0].revents & POLLIN) {
				read_frames(w);
			}
			if (fds[0].revents & (POLLERR | POLLNVAL)) {
				log_error("%s: packet socket failed (interface gone?)", w->attach.ifname);
				_exit(2);
			}
			if (fds[1].revents)
				handle_ipc(w);
			if (fds[2].revents & POLLIN)
				net_stack_run_timers(w->stack);
		}
		net_stack_poll_dispatch(w->stack, fds, n, r < 0);
		/* What libslirp sent the guest meanwhile, in one batch. */
		if (w->vif)
			net_vif_rx_flush(w->vif);
		if (w->stats_dirty && spore_now_ms() >= next_stats) {
			send_stats(w);
			next_stats = spore_now_ms() + 1000;
		}
	}
}

void net_worker_main(int ipc, pid_t parent)
{
	static struct worker w;
	static _Alignas(8) uint8_t buf[NET_MSG_MAX_SIZE];
	struct spore_err err = {0};
	struct net_msg_attach *am = (struct net_msg_attach *)buf;
	int pkt = -1;

	w.ipc = ipc;
	int r = net_msg_recv(ipc, buf, sizeof(buf), &pkt, &err);
	if (r == 0)
		_exit(0);
	if (r < 0)
		die("receive attach", &err);
	if (r != NET_MSG_ATTACH || (pkt < 0) != am->attach.userspace) {
		spore_err_setx(&err, EBADMSG, "first message is not an attach with a socket "
					      "(or, for a userspace vif, without)");
		die("receive attach", &err);
	}
	w.pkt = pkt;
	w.attach = am->attach;
	w.attach.ifname[sizeof(w.attach.ifname) - 1] = '\0';
	/* The Xen devices are root's: map and bind before the sandbox. */
	if (w.attach.userspace && net_vif_open(&w.vif, w.attach.domid, &am->rings, &err) < 0)
		die(w.attach.ifname, &err);
	w.filter = am->filter;
	w.frame = malloc(FRAME_MAX);
	if (!w.frame)
		abort();

	/* The sandbox allows no new AF_UNIX socket: connect to syslog now. */
	if (am->use_syslog)
		openlog("sporenet", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	if (net_stack_new(&w.stack, &w.attach, output, &w, &err) < 0)
		die(w.attach.ifname, &err);
	if (net_sandbox_enter((uid_t)am->uid, (gid_t)am->gid, parent, &err) < 0)
		die("sandbox", &err);

	struct net_msg_ready ready;
	net_msg_init(&ready, NET_MSG_READY);
	if (net_msg_send(ipc, &ready, -1, &err) < 0)
		die("ready", &err);
	log_info("%s: worker %d running as uid %u", w.attach.ifname, (int)getpid(),
		 (unsigned)am->uid);
	seed_arp(&w);
	/* What the guest queued before its kicks reached us (while no one
	 * was bound, or the last worker was gone): the final check in there
	 * also re-arms its notifications. */
	if (w.vif)
		serve_vif(&w);
	loop(&w);
	_exit(0);
}

/* `sporenet status`: asks the running parent over its control socket. */
#include "net_ipc.h"
#include "net_supervisor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *state_name(uint32_t s)
{
	switch (s) {
	case NET_WORKER_STARTING:
		return "starting";
	case NET_WORKER_RUNNING:
		return "running";
	case NET_WORKER_RESTARTING:
		return "restarting";
	case NET_WORKER_NO_IFACE:
		return "detached (no interface)";
	case NET_WORKER_INVALID:
		return "skipped (bad record)";
	default:
		return "?";
	}
}

static void print_one(FILE *out, const struct net_msg_status *m)
{
	const struct net_attach *a = &m->attach;
	const struct net_stats *st = &m->stats;
	char guest[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], dns[INET_ADDRSTRLEN];
	char guest6[INET6_ADDRSTRLEN], gw6[INET6_ADDRSTRLEN];
	uint64_t dropped = 0;

	for (int i = 1; i < NET_VERDICT_COUNT; i++)
		dropped += st->drops[i];
	inet_ntop(AF_INET, &a->guest4, guest, sizeof(guest));
	inet_ntop(AF_INET, &a->gateway4, gw, sizeof(gw));
	inet_ntop(AF_INET, &a->dns4, dns, sizeof(dns));
	inet_ntop(AF_INET6, &a->guest6, guest6, sizeof(guest6));
	inet_ntop(AF_INET6, &a->gateway6, gw6, sizeof(gw6));

	if (m->state == NET_WORKER_INVALID) {
		fprintf(out, "guest %s: %s\n  %.*s\n", a->uuid, state_name(m->state),
			(int)sizeof(m->why), m->why);
		return;
	}
	/* A userspace vif has no interface: it waits for its frontend. */
	fprintf(out, "%s: %s", a->ifname,
		a->userspace && m->state == NET_WORKER_NO_IFACE ? "waiting (frontend not connected)"
								 : state_name(m->state));
	if (m->pid > 0)
		fprintf(out, ", worker %d", m->pid);
	fprintf(out, ", %u restart%s%s%s%s\n", m->restarts, m->restarts == 1 ? "" : "s",
		a->allow_dom0 ? ", dom0 access allowed" : "", a->no_dhcp ? ", no DHCP" : "",
		a->userspace ? ", userspace rings (no netback)" : "");
	if (m->discovered)
		fprintf(out, "  guest %s%s%s\n", a->uuid, a->name[0] ? "  name " : "", a->name);
	else
		fprintf(out, "  attached by hand (--attach)\n");
	fprintf(out, "  ipv4  %s/%u  gateway %s  dns %s  mtu %u\n", guest, a->prefix4, gw, dns,
		a->mtu);
	char dns6[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, &a->dns6, dns6, sizeof(dns6));
	fprintf(out, "  ipv6  %s/64  gateway %s  dns %s\n", guest6, gw6, dns6);
	fprintf(out, "  rx    %llu frames  %llu bytes\n", (unsigned long long)st->rx_frames,
		(unsigned long long)st->rx_bytes);
	fprintf(out, "  rx    %llu partial checksums completed\n",
		(unsigned long long)st->csum_fixed);
	fprintf(out, "  tx    %llu frames  %llu bytes  (%llu not delivered)\n",
		(unsigned long long)st->tx_frames, (unsigned long long)st->tx_bytes,
		(unsigned long long)st->tx_dropped);
	fprintf(out, "  drop  %llu", (unsigned long long)dropped);
	for (int i = 1; i < NET_VERDICT_COUNT; i++)
		if (st->drops[i])
			fprintf(out, "  %s %llu", net_verdict_name((enum net_verdict)i),
				(unsigned long long)st->drops[i]);
	fprintf(out, "\n");
	for (size_t i = 0; i < a->n_fwd && i < NET_MAX_FWD; i++) {
		char spec[64];
		net_fwd_format(&a->fwd[i], spec, sizeof(spec));
		fprintf(out, "  port  %s\n", spec);
	}
}

int net_status_print(const char *control_path, FILE *out, struct spore_err *err)
{
	static _Alignas(8) uint8_t buf[NET_MSG_MAX_SIZE];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int r;

	if (strlen(control_path) >= sizeof(sa.sun_path))
		return spore_err_setx(err, ENAMETOOLONG, "control socket path %s", control_path);
	strcpy(sa.sun_path, control_path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return spore_err_set(err, errno, "socket");
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = spore_err_set(err, errno, "connect to sporenet at %s (is it running?)",
				  control_path);
		close(fd);
		return r;
	}
	struct net_msg_status_req req;
	net_msg_init(&req, NET_MSG_STATUS_REQ);
	if ((r = net_msg_send(fd, &req, -1, err)) < 0)
		goto out;
	unsigned count = 0;
	for (;;) {
		r = net_msg_recv(fd, buf, sizeof(buf), NULL, err);
		if (r == NET_MSG_STATUS) {
			print_one(out, (struct net_msg_status *)buf);
			count++;
			continue;
		}
		if (r == NET_MSG_STATUS_END) {
			if (!count)
				fprintf(out, "no guests attached\n");
			r = 0;
			break;
		}
		if (r >= 0)
			r = spore_err_setx(err, EBADMSG, "unexpected answer from sporenet");
		break;
	}
out:
	close(fd);
	return r;
}

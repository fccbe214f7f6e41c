/* AF_PACKET socket on a guest's backend interface; see net_packet.h. */
#include "net_packet.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

/* Largest frame read: a 64 KiB GSO super-frame plus its Ethernet header. */
#define SNAPLEN (65535 + 14 + 4)

int net_packet_open(const char *ifname, const uint8_t *mac, struct spore_err *err)
{
	unsigned idx = if_nametoindex(ifname);
	if (!idx)
		return spore_err_set(err, errno, "interface %s", ifname);

	/* Protocol 0: nothing is queued until the bind below. */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return spore_err_set(err, errno, "AF_PACKET socket for %s", ifname);

	uint32_t mac_hi = 0, mac_lo = 0;
	if (mac) {
		mac_hi = (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3];
		mac_lo = (uint32_t)mac[4] << 8 | mac[5];
	}
	/* Source MAC is bytes 6..11: word at 6, half-word at 10. Frames we send
	 * carry libslirp's MAC and are refused here too. */
	struct sock_filter by_mac[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 6),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, mac_hi, 0, 3),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 10),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, mac_lo, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SNAPLEN),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	/* Without a MAC: every frame that did not come from this host. */
	struct sock_filter incoming[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, SNAPLEN),
	};
	struct sock_fprog prog = mac ? (struct sock_fprog){.len = sizeof(by_mac) / sizeof(by_mac[0]),
							    .filter = by_mac}
				     : (struct sock_fprog){.len = sizeof(incoming) / sizeof(incoming[0]),
							    .filter = incoming};
	int one = 1, bufsize = 4 << 20;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = (int)idx,
	};
	const char *what;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) {
		what = "attach BPF filter";
		goto fail;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0) {
		what = "PACKET_AUXDATA";
		goto fail;
	}
	/* Our own transmissions would otherwise be looped back to us. */
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0) {
		what = "PACKET_IGNORE_OUTGOING";
		goto fail;
	}
	/* Best effort: bigger buffers absorb bursts; failure is harmless. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof(bufsize));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsize, sizeof(bufsize));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		what = "bind";
		goto fail;
	}
	return fd;
fail:;
	int e = errno;
	close(fd);
	return spore_err_set(err, e, "packet socket on %s: %s", ifname, what);
}

/* udp-echo: a UDP echo server for the network end-to-end test, run in dom0.
 *
 * Usage: udp-echo ADDR PORT
 *
 * A datagram comes back as it was sent, except a TFTP read request
 * (opcode 1): it is answered with the one-block file whose content is the
 * requested file name, so busybox's tftp client (the only UDP client a
 * busybox guest has) can do the round trip: `tftp -g -r TEXT -l - HOST PORT`
 * prints TEXT. TFTP acknowledgements (opcode 4) are ignored. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	unsigned char buf[2048], out[2048];

	if (argc != 3 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: udp-echo ADDR PORT\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("udp-echo: bind");
		return 1;
	}
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			continue;
		if (n >= 2 && buf[0] == 0 && buf[1] == 4)
			continue; /* TFTP ACK */
		const unsigned char *reply = buf;
		size_t len = (size_t)n;
		if (n >= 3 && buf[0] == 0 && buf[1] == 1) {
			/* TFTP RRQ: DATA block 1 holding the file name (< 512 bytes:
			 * the last block). */
			size_t name = strnlen((const char *)buf + 2, (size_t)n - 2);
			if (name > 511)
				name = 511;
			out[0] = 0, out[1] = 3, out[2] = 0, out[3] = 1;
			memcpy(out + 4, buf + 2, name);
			reply = out;
			len = 4 + name;
		}
		sendto(fd, reply, len, 0, (struct sockaddr *)&from, fl);
	}
}

/* tcp-sink PORT BYTES: accepts one TCP connection on PORT (any address),
 * reads BYTES from it, closes it and prints "BYTES SECONDS MBIT/S", timed
 * from the accept to the last byte (the sender's start-up is not counted).
 * Fewer bytes before the sender closes: prints what arrived, exits 1.
 * The network benchmark's receiver in dom0 (tests/bench/net.sh). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char *end;
	static char buf[1 << 16];

	if (argc != 3) {
		fprintf(stderr, "usage: tcp-sink PORT BYTES\n");
		return 2;
	}
	long port = strtol(argv[1], &end, 10);
	if (*end || port <= 0 || port > 65535) {
		fprintf(stderr, "tcp-sink: bad port %s\n", argv[1]);
		return 2;
	}
	unsigned long long want = strtoull(argv[2], &end, 10), got = 0;
	if (*end || !want) {
		fprintf(stderr, "tcp-sink: bad byte count %s\n", argv[2]);
		return 2;
	}
	int one = 1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0) {
		fprintf(stderr, "tcp-sink: port %ld: %s\n", port, strerror(errno));
		return 1;
	}
	int c = accept(l, NULL, NULL);
	if (c < 0) {
		fprintf(stderr, "tcp-sink: accept: %s\n", strerror(errno));
		return 1;
	}
	double t0 = now_s();
	while (got < want) {
		size_t n = want - got < sizeof(buf) ? (size_t)(want - got) : sizeof(buf);
		ssize_t r = read(c, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (unsigned long long)r;
	}
	double t = now_s() - t0;
	close(c);
	printf("%llu %.3f %.1f\n", got, t, t > 0 ? (double)got * 8 / t / 1e6 : 0.0);
	return got == want ? 0 : 1;
}

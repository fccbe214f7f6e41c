/* unix-proxy LISTEN TARGET: relays every connection to the Unix socket
 * LISTEN to a new connection to TARGET, byte for byte, until killed.
 * Killing it cuts every relayed connection at once: the e2e tests use it to
 * take xenstored away from one client (sporenet, via XENSTORED_PATH) while
 * the daemon itself and everyone else keep running. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_PAIRS 16

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	strcpy(sa->sun_path, path);
	return 0;
}

/* Copies what one side has to the other; 0 when that side is done. */
static int relay(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w <= 0)
			return 0;
		off += w;
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un la, ta;
	int pairs[MAX_PAIRS][2];
	size_t np = 0;

	if (argc != 3 || unix_addr(argv[1], &la) < 0 || unix_addr(argv[2], &ta) < 0) {
		fprintf(stderr, "usage: unix-proxy LISTEN_PATH TARGET_PATH\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(argv[1]);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&la, sizeof(la)) < 0 || listen(lfd, 8) < 0) {
		fprintf(stderr, "unix-proxy: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (;;) {
		struct pollfd fds[1 + 2 * MAX_PAIRS];
		size_t n = 0;
		fds[n++] = (struct pollfd){.fd = np < MAX_PAIRS ? lfd : -1, .events = POLLIN};
		for (size_t i = 0; i < np; i++) {
			fds[n++] = (struct pollfd){.fd = pairs[i][0], .events = POLLIN};
			fds[n++] = (struct pollfd){.fd = pairs[i][1], .events = POLLIN};
		}
		if (poll(fds, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("unix-proxy: poll");
			return 1;
		}
		/* Pairs first: accepting may append to the list polled. */
		for (size_t i = np; i-- > 0;) {
			struct pollfd *a = &fds[1 + 2 * i], *b = &fds[2 + 2 * i];
			int ok = 1;
			if (a->revents)
				ok = relay(pairs[i][0], pairs[i][1]);
			if (ok && b->revents)
				ok = relay(pairs[i][1], pairs[i][0]);
			if (!ok) {
				close(pairs[i][0]);
				close(pairs[i][1]);
				memmove(&pairs[i], &pairs[i + 1], (np - i - 1) * sizeof(pairs[0]));
				np--;
			}
		}
		if (fds[0].revents & POLLIN) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			int t = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (c < 0 || t < 0 || connect(t, (struct sockaddr *)&ta, sizeof(ta)) < 0) {
				fprintf(stderr, "unix-proxy: %s: %s\n", argv[2], strerror(errno));
				if (c >= 0)
					close(c);
				if (t >= 0)
					close(t);
				continue;
			}
			pairs[np][0] = c;
			pairs[np][1] = t;
			np++;
		}
	}
}

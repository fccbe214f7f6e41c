/* recvtty SOCKET: receives one terminal as an OCI runtime sends it on
 * --console-socket (conmon and containerd's shim take it so), prints
 * "pty NAME" on stderr, then copies the master's output to stdout until the
 * pty hangs up (every holder of the slave closed it). A stand-in for the
 * runtime's callers in spore-runc's tests. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char name[128] = "", buf[4096];
	int ls, s, master = -1;
	ssize_t n;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "Usage: recvtty SOCKET\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	if ((ls = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(ls, 1) < 0 || (s = accept(ls, NULL, NULL)) < 0) {
		perror("recvtty");
		return 1;
	}
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name) - 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf)};
	n = recvmsg(s, &msg, 0);
	struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&master, CMSG_DATA(c), sizeof(int));
	if (master < 0) {
		fprintf(stderr, "recvtty: no terminal received\n");
		return 1;
	}
	name[n] = 0;
	fprintf(stderr, "pty %s\n", name);
	close(s);
	close(ls);
	unlink(argv[1]);
	while ((n = read(master, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) != n)
			return 1;
	return 0;
}

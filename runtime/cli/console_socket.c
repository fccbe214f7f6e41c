/* --console-socket: a pty for the container's terminal, its master sent to
 * the caller (conmon, the shim) as runc sends it: one SCM_RIGHTS fd over a
 * unix stream socket, the pty's name as data. conmon gives up unless it
 * arrives before create exits, so create sends it first thing. */
#include "runc_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int runc_console_send(const char *path, int *slave_out, struct spore_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char name[64];
	int master = -1, slave = -1, s = -1, r = 0;

	*slave_out = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return spore_err_setx(err, ENAMETOOLONG, "--console-socket %s: path too long", path);
	strcpy(sa.sun_path, path);
	if ((master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 || grantpt(master) < 0 ||
	    unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0 ||
	    (slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		r = spore_err_set(err, errno, "a pty for the container's terminal");
		goto out;
	}
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = spore_err_set(err, errno, "--console-socket %s", path);
		goto out;
	}
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl = {0};
	struct iovec iov = {.iov_base = name, .iov_len = strlen(name)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	if (sendmsg(s, &msg, MSG_NOSIGNAL) < 0) {
		r = spore_err_set(err, errno, "--console-socket %s: sending the pty", path);
		goto out;
	}
	*slave_out = slave;
	slave = -1;
out:
	if (s >= 0)
		close(s);
	if (master >= 0)
		close(master);
	if (slave >= 0)
		close(slave);
	return r;
}

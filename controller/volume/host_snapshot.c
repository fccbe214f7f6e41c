/* Snapshots of host paths; see host_snapshot.h. */
#include "host_snapshot.h"

#include "child.h"
#include "statedir.h"
#include <spore/bundle.h>
#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ustar's size field: 11 octal digits. */
#define TAR_MAX_SIZE 077777777777ull


int spore_unnamed_file(struct spore_unnamed *u, struct spore_err *err)
{
	static const char *const kinds[] = {".tmpfile", NULL};
	/* $SPORE_ROOT: it exists once launch has opened the image cache. */
	const char *root = spore_state_default_root();

	u->name[0] = '\0';
	u->fd = open(root, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (u->fd >= 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return spore_err_set(err, errno, "a file in %s", root);
	spore_state_sweep(root, kinds, "state root");
	if (spore_state_tmpname(u->name, sizeof(u->name), root, ".tmpfile") < 0 ||
	    (u->fd = mkostemp(u->name, O_CLOEXEC)) < 0) {
		u->name[0] = '\0';
		return spore_err_set(err, errno, "a file in %s", root);
	}
	return 0;
}

void spore_unnamed_close(struct spore_unnamed *u)
{
	if (u->name[0])
		unlink(u->name);
	u->name[0] = '\0';
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}

struct child_io {
	int in_fd;       /* stdin, or -1 for /dev/null */
	int cwd_fd;      /* where it runs, or -1 */
	int keep_fd;     /* the image: inherited across exec */
	const struct stat *owner; /* drop to its uid and gid unless root */
	int out_fd, status_fd;
	pid_t parent;
};

/* In the child: never returns. An exec failure's errno goes to status_fd
 * (close-on-exec: a successful exec reports nothing). */
static void child(char *const argv[], const struct child_io *io)
{
	int e, null;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != io->parent)
		_exit(127);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(io->in_fd >= 0 ? io->in_fd : null, 0) < 0 || dup2(io->out_fd, 1) < 0 ||
	    dup2(io->out_fd, 2) < 0 || fcntl(io->keep_fd, F_SETFD, 0) < 0)
		_exit(127);
	if (io->cwd_fd >= 0 && fchdir(io->cwd_fd) < 0)
		_exit(127);
	if (io->owner && io->owner->st_uid != 0) {
		gid_t g = io->owner->st_gid;
		if (setgroups(1, &g) < 0 || setgid(g) < 0 || setuid(io->owner->st_uid) < 0)
			_exit(127);
	}
	execvp(argv[0], argv);
	e = errno;
	if (write(io->status_fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/* Runs argv to its end; feed (if any) writes its stdin through sock. */
static int run(char *const argv[], struct child_io *io, int sock,
	       int (*feed)(int sock, void *arg, struct spore_err *err), void *arg,
	       struct spore_err *err)
{
	int st[2] = {-1, -1}, status = 0, r = 0, exec_errno = 0;
	pid_t pid;
	ssize_t got;

	io->parent = getpid();
	if ((io->out_fd = memfd_create("snapshot-output", MFD_CLOEXEC)) < 0 || pipe2(st, O_CLOEXEC) < 0) {
		r = spore_err_set(err, errno, "starting %s", argv[0]);
		goto out;
	}
	io->status_fd = st[1];
	log_debug("volume: %s for a host path", argv[0]);
	if ((pid = fork()) < 0) {
		r = spore_err_set(err, errno, "starting %s", argv[0]);
		goto out;
	}
	if (pid == 0)
		child(argv, io);
	close(st[1]);
	st[1] = -1;
	if (feed) {
		if (io->in_fd >= 0)
			close(io->in_fd); /* the child's end */
		io->in_fd = -1;
		r = feed(sock, arg, err);
		close(sock);
		if (r < 0)
			kill(pid, SIGKILL);
	}
	while ((got = read(st[0], &exec_errno, sizeof(exec_errno))) < 0 && errno == EINTR)
		;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		goto out;
	if (got == (ssize_t)sizeof(exec_errno)) {
		r = spore_err_set(err, exec_errno, "running %s (install %s)", argv[0],
				  !strcmp(argv[0], "mksquashfs") ? "squashfs-tools" : "squashfs-tools-ng");
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char line[512];
		spore_child_last_line(io->out_fd, line, sizeof(line));
		r = spore_err_setx(err, EIO, "%s failed (%s %d)%s%s", argv[0],
				   WIFEXITED(status) ? "exit" : "signal",
				   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
				   line[0] ? ": " : "", line);
	}
out:
	for (int i = 0; i < 2; i++)
		if (st[i] >= 0)
			close(st[i]);
	if (io->out_fd >= 0)
		close(io->out_fd);
	return r;
}

static int send_all(int sock, const void *buf, size_t n, struct spore_err *err)
{
	for (const char *p = buf; n;) {
		ssize_t w = send(sock, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return spore_err_set(err, w < 0 ? errno : EIO, "feeding tar2sqfs");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

struct file_feed {
	int fd;
	const struct stat *st;
};

/* The file as a one-entry ustar archive: header, content, padding, end. */
static int feed_file(int sock, void *arg, struct spore_err *err)
{
	const struct file_feed *f = arg;
	static char buf[65536];
	char h[512] = {0};
	unsigned sum = 0;
	uint64_t left = (uint64_t)f->st->st_size;
	int r;

	memcpy(h, SPORE_VOLUME_FILE_NAME, sizeof(SPORE_VOLUME_FILE_NAME));
	snprintf(h + 100, 8, "%07o", (unsigned)(f->st->st_mode & 07777));
	snprintf(h + 108, 8, "%07o", f->st->st_uid <= 07777777 ? (unsigned)f->st->st_uid : 0u);
	snprintf(h + 116, 8, "%07o", f->st->st_gid <= 07777777 ? (unsigned)f->st->st_gid : 0u);
	snprintf(h + 124, 12, "%011llo", (unsigned long long)left);
	snprintf(h + 136, 12, "%011llo",
		 (unsigned long long)(f->st->st_mtime > 0 ? f->st->st_mtime : 0) & TAR_MAX_SIZE);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	if ((r = send_all(sock, h, sizeof(h), err)) < 0)
		return r;
	for (off_t off = 0; left;) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t got = pread(f->fd, buf, want, off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return spore_err_set(err, errno, "reading");
		if (got == 0)
			return spore_err_setx(err, EIO, "it shrank while being read");
		if ((r = send_all(sock, buf, (size_t)got, err)) < 0)
			return r;
		off += got;
		left -= (uint64_t)got;
	}
	memset(buf, 0, 512 * 3);
	size_t pad = (512 - (size_t)(f->st->st_size % 512)) % 512;
	return send_all(sock, buf, pad + 1024, err);
}

int spore_host_snapshot(const char *host, struct spore_host_snapshot *s, struct spore_err *err)
{
	struct stat st;
	struct child_io io = {.in_fd = -1, .cwd_fd = -1, .out_fd = -1};
	int src = -1, sock[2] = {-1, -1}, r;

	s->u.fd = -1;
	s->u.name[0] = '\0';
	s->file = false;
	s->path[0] = '\0';
	/* Symlinks in the path are followed, once (as docker does); what is
	 * packed is what this fd names. O_NONBLOCK: a fifo does not hang the
	 * open (it is refused below). */
	if ((src = open(host, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0 ||
	    fstat(src, &st) < 0) {
		r = spore_err_set(err, errno, "%s", host);
		goto out;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		r = spore_err_setx(err, EINVAL, "%s: not a directory or a regular file", host);
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > TAR_MAX_SIZE) {
		r = spore_err_setx(err, EFBIG, "%s: a host file is at most 8 GiB", host);
		goto out;
	}
	if ((r = spore_unnamed_file(&s->u, err)) < 0)
		goto out;
	snprintf(s->path, sizeof(s->path), "/proc/self/fd/%d", s->u.fd);
	io.keep_fd = s->u.fd;
	if (S_ISDIR(st.st_mode)) {
		/* The owner's rights when not root (see the header); it then
		 * owns the image's file, to write it. */
		if (st.st_uid != 0 && fchown(s->u.fd, st.st_uid, st.st_gid) < 0) {
			r = spore_err_set(err, errno, "snapshot of %s", host);
			goto out;
		}
		char *const argv[] = {"mksquashfs", ".", s->path, "-noappend", "-no-progress",
				      "-quiet", "-exit-on-error", "-comp", "zstd", "-no-xattrs", NULL};
		io.cwd_fd = src;
		io.owner = &st;
		r = run(argv, &io, -1, NULL, NULL, err);
	} else {
		char *const argv[] = {"tar2sqfs", "-q", "-f", "-s", "-c", "zstd", "-d",
				      "mode=0755,uid=0,gid=0", s->path, NULL};
		struct file_feed f = {.fd = src, .st = &st};
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) < 0) {
			r = spore_err_set(err, errno, "snapshot of %s", host);
			goto out;
		}
		io.in_fd = sock[1];
		sock[1] = -1;
		r = run(argv, &io, sock[0], feed_file, &f, err);
		sock[0] = -1; /* closed by run */
		s->file = true;
	}
	if (r < 0)
		spore_err_wrap(err, "snapshot of %s", host);
out:
	if (r < 0)
		spore_host_snapshot_close(s);
	for (int i = 0; i < 2; i++)
		if (sock[i] >= 0)
			close(sock[i]);
	if (io.in_fd >= 0)
		close(io.in_fd);
	if (src >= 0)
		close(src);
	return r < 0 ? r : 0;
}

void spore_host_snapshot_close(struct spore_host_snapshot *s)
{
	spore_unnamed_close(&s->u);
}

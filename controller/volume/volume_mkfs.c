/* mkfs.ext4 in a child process; see volume_mkfs.h. */
#include "volume_mkfs.h"
#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child's last non-empty output line (for the error message). */
void spore_child_last_line(int fd, char *buf, size_t n)
{
	char tmp[2048];
	off_t end = lseek(fd, 0, SEEK_END);
	off_t start = end > (off_t)sizeof(tmp) - 1 ? end - (off_t)sizeof(tmp) + 1 : 0;
	ssize_t got = end > 0 ? pread(fd, tmp, (size_t)(end - start), start) : 0;

	buf[0] = '\0';
	if (got <= 0)
		return;
	tmp[got] = '\0';
	while (got > 0 && (tmp[got - 1] == '\n' || tmp[got - 1] == '\r'))
		tmp[--got] = '\0';
	char *line = strrchr(tmp, '\n');
	const char *src = line ? line + 1 : tmp;
	size_t k = strnlen(src, n - 1); /* cut to fit: it is a message */
	memcpy(buf, src, k);
	buf[k] = '\0';
}

/* In the child: never returns. Reports an exec failure's errno on
 * status_fd (close-on-exec, so a successful exec reports nothing). */
static void child(char *const argv[], int out_fd, int status_fd, pid_t parent)
{
	/* Dies with sporectl; if sporectl is already gone, stop now. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(127);
	execvp(argv[0], argv);
	/* Debian puts it in /usr/sbin, which a user's PATH often lacks. */
	if (errno == ENOENT)
		execv("/usr/sbin/mkfs.ext4", argv);
	if (errno == ENOENT)
		execv("/sbin/mkfs.ext4", argv);
	int e = errno;
	if (write(status_fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

int spore_volume_mkfs(const char *path, const char *label, struct spore_err *err)
{
	char lab[17];
	/* -F: the target is a regular file, not a device; -m 0: the 5% kept
	 * for root serves a system disk's daemons, a volume is one container's
	 * data and its size is what the user asked for. Lazy init and
	 * nodiscard: the file is fresh and all holes, so nothing needs zeroing
	 * or discarding; the guest's kernel is told the inode tables are
	 * uninitialised (ext4's uninit_bg via metadata_csum) and reads holes as
	 * zeros. The journal stays: it is what makes a hard kill safe. */
	snprintf(lab, sizeof(lab), "%s", label);
	char *const argv[] = {"mkfs.ext4", "-q", "-F", "-m", "0", "-L", lab, "-E",
			      "root_owner=0:0,lazy_itable_init=1,lazy_journal_init=1,nodiscard",
			      (char *)path, NULL};
	int out_fd = memfd_create("mkfs-output", MFD_CLOEXEC), st[2] = {-1, -1}, status = 0, r = 0;
	pid_t parent = getpid(), pid = -1;

	if (out_fd < 0 || pipe2(st, O_CLOEXEC) < 0) {
		r = spore_err_set(err, errno, "starting mkfs.ext4");
		goto out;
	}
	log_debug("volume: mkfs.ext4 %s", path);
	if ((pid = fork()) < 0) {
		r = spore_err_set(err, errno, "starting mkfs.ext4");
		goto out;
	}
	if (pid == 0)
		child(argv, out_fd, st[1], parent);
	close(st[1]);
	st[1] = -1;
	int exec_errno = 0;
	ssize_t got;
	while ((got = read(st[0], &exec_errno, sizeof(exec_errno))) < 0 && errno == EINTR)
		;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == (ssize_t)sizeof(exec_errno)) {
		r = spore_err_set(err, exec_errno, "running mkfs.ext4 (install e2fsprogs)");
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char line[512];
		spore_child_last_line(out_fd, line, sizeof(line));
		r = spore_err_setx(err, EIO, "mkfs.ext4 failed (%s %d)%s%s",
				   WIFEXITED(status) ? "exit" : "signal",
				   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
				   line[0] ? ": " : "", line);
	}
out:
	for (int i = 0; i < 2; i++)
		if (st[i] >= 0)
			close(st[i]);
	if (out_fd >= 0)
		close(out_fd);
	return r;
}

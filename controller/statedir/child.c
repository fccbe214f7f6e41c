/* Helper programs as children; see child.h. */
#include "child.h"
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

/* In the child: never returns. Reports an exec failure's errno on
 * status_fd (close-on-exec, so a successful exec reports nothing). */
static void child(char *const argv[], int in_fd, int out_fd, int status_fd,
		  const char *const fallback[], pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	if (in_fd < 0)
		in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(127);
	/* The caller may ignore SIGPIPE; the helper gets the default. */
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	for (size_t i = 0; fallback && fallback[i] && errno == ENOENT; i++)
		execv(fallback[i], argv);
	int e = errno;
	if (write(status_fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

int spore_child_start(struct spore_child *c, char *const argv[], int in_fd,
		      const char *const fallback[], const char *hint, struct spore_err *err)
{
	int st[2] = {-1, -1}, r = 0, exec_errno = 0;
	pid_t parent = getpid();
	ssize_t got;

	c->pid = -1;
	snprintf(c->name, sizeof(c->name), "%s", argv[0]);
	c->out_fd = memfd_create(c->name, MFD_CLOEXEC);
	if (c->out_fd < 0 || pipe2(st, O_CLOEXEC) < 0) {
		r = spore_err_set(err, errno, "starting %s", c->name);
		goto out;
	}
	log_debug("running %s", c->name);
	if ((c->pid = fork()) < 0) {
		r = spore_err_set(err, errno, "starting %s", c->name);
		goto out;
	}
	if (c->pid == 0)
		child(argv, in_fd, c->out_fd, st[1], fallback, parent);
	close(st[1]);
	st[1] = -1;
	while ((got = read(st[0], &exec_errno, sizeof(exec_errno))) < 0 && errno == EINTR)
		;
	if (got == (ssize_t)sizeof(exec_errno)) {
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		c->pid = -1;
		r = spore_err_set(err, exec_errno, "running %s%s%s%s", c->name, hint ? " (" : "",
				  hint ? hint : "", hint ? ")" : "");
	}
out:
	for (int i = 0; i < 2; i++)
		if (st[i] >= 0)
			close(st[i]);
	if (r < 0 && c->out_fd >= 0) {
		close(c->out_fd);
		c->out_fd = -1;
	}
	return r;
}

/* The child's last non-empty output line (for the error message). */
static void last_line(int fd, char *buf, size_t n)
{
	char tmp[4096];
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
	size_t k = 0;
	/* Cut to fit, and nothing a terminal would interpret: it is a message. */
	for (; src[k] && k < n - 1; k++)
		buf[k] = (src[k] >= 0x20 && src[k] < 0x7f) || src[k] == '\t' ? src[k] : '?';
	buf[k] = '\0';
}

int spore_child_wait(struct spore_child *c, bool abandon, struct spore_err *err)
{
	int status = 0, r = 0;

	if (c->pid > 0) {
		if (abandon)
			kill(c->pid, SIGKILL);
		while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
			;
		c->pid = -1;
		if (!abandon && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			char line[512];
			last_line(c->out_fd, line, sizeof(line));
			r = spore_err_setx(err, EIO, "%s failed (%s %d)%s%s", c->name,
					   WIFEXITED(status) ? "exit" : "signal",
					   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
					   line[0] ? ": " : "", line);
		}
	}
	if (c->out_fd >= 0)
		close(c->out_fd);
	c->out_fd = -1;
	return r;
}

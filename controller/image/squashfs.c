#include "squashfs.h"
#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int spore_sqfs_start(struct spore_sqfs_writer *w, const char *out_path, struct spore_err *err)
{
	const char *comp = getenv("SPORE_SQUASHFS_COMP");
	int p[2] = {-1, -1}, r;
	posix_spawn_file_actions_t fa;

	w->pid = -1;
	w->fd = w->errfd = -1;
	if (!comp || !*comp)
		comp = "zstd";
	char *argv[] = {"tar2sqfs", "-q", "-f", "-s", "-c", (char *)comp,
			"-d", "mode=0755,uid=0,gid=0", (char *)out_path, NULL, NULL, NULL};
	if (!strcmp(comp, "zstd")) { /* level 3, not the slow default */
		argv[8] = "-X";
		argv[9] = "level=3";
		argv[10] = (char *)out_path;
	}
	w->errfd = memfd_create("tar2sqfs-stderr", MFD_CLOEXEC);
	if (w->errfd < 0 || pipe2(p, O_CLOEXEC) < 0) {
		r = spore_err_set(err, errno, "starting tar2sqfs");
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], 0);
	posix_spawn_file_actions_adddup2(&fa, w->errfd, 1);
	posix_spawn_file_actions_adddup2(&fa, w->errfd, 2);
	r = posix_spawnp(&w->pid, "tar2sqfs", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r) {
		w->pid = -1;
		r = spore_err_set(err, r, "running tar2sqfs (install squashfs-tools-ng)");
		goto fail;
	}
	close(p[0]);
	w->fd = p[1];
	return 0;
fail:
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	if (w->errfd >= 0)
		close(w->errfd);
	w->errfd = -1;
	return r;
}

/* The child's last non-empty output line. */
static void last_line(int fd, char *buf, size_t n)
{
	char tmp[4096];
	off_t end = lseek(fd, 0, SEEK_END);
	off_t start = end > (off_t)sizeof(tmp) - 1 ? end - (off_t)sizeof(tmp) + 1 : 0;
	ssize_t got = pread(fd, tmp, (size_t)(end - start), start);
	buf[0] = '\0';
	if (got <= 0)
		return;
	tmp[got] = '\0';
	while (got > 0 && (tmp[got - 1] == '\n' || tmp[got - 1] == '\r'))
		tmp[--got] = '\0';
	char *line = strrchr(tmp, '\n');
	const char *src = line ? line + 1 : tmp;
	size_t k = strnlen(src, n - 1); /* truncation is fine: it is a message */
	memcpy(buf, src, k);
	buf[k] = '\0';
}

int spore_sqfs_finish(struct spore_sqfs_writer *w, bool failed, struct spore_err *err)
{
	int status = 0, r = 0;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->pid > 0) {
		if (failed)
			kill(w->pid, SIGKILL);
		while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
			;
		w->pid = -1;
		if (!failed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			char line[512];
			last_line(w->errfd, line, sizeof(line));
			r = spore_err_setx(err, EIO, "tar2sqfs failed (%s %d)%s%s",
					   WIFEXITED(status) ? "exit" : "signal",
					   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
					   line[0] ? ": " : "", line);
		}
	}
	if (w->errfd >= 0)
		close(w->errfd);
	w->errfd = -1;
	return r;
}

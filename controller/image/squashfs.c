/* tar2sqfs as a child; see squashfs.h. */
#include "squashfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int spore_sqfs_start(struct spore_sqfs_writer *w, const char *out_path, struct spore_err *err)
{
	const char *comp = getenv("SPORE_SQUASHFS_COMP");
	int p[2] = {-1, -1}, r;

	w->fd = -1;
	w->child.pid = -1;
	w->child.out_fd = -1;
	if (!comp || !*comp)
		comp = "zstd";
	/* Compression is the pull's largest CPU cost and tar2sqfs runs one
	 * compressor unless told: one per CPU we may use. */
	cpu_set_t cpus;
	int jobs = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
	char j[16];
	snprintf(j, sizeof(j), "%d", jobs < 1 ? 1 : jobs > 16 ? 16 : jobs);
	char *argv[] = {"tar2sqfs", "-q", "-f", "-s", "-j", j, "-c", (char *)comp,
			"-d", "mode=0755,uid=0,gid=0", (char *)out_path, NULL, NULL, NULL};
	if (!strcmp(comp, "zstd")) { /* level 3, not the slow default */
		argv[10] = "-X";
		argv[11] = "level=3";
		argv[12] = (char *)out_path;
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return spore_err_set(err, errno, "starting tar2sqfs");
	/* 1 MiB in flight rather than 64 KiB: the merge and tar2sqfs's
	 * compressors run at their own pace instead of taking turns (best
	 * effort: a lower pipe-max-size just keeps the default). */
	(void)fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	r = spore_child_start(&w->child, argv, p[0], NULL, "install squashfs-tools-ng", err);
	close(p[0]);
	if (r < 0) {
		close(p[1]);
		return r;
	}
	w->fd = p[1];
	return 0;
}

int spore_sqfs_finish(struct spore_sqfs_writer *w, bool failed, struct spore_err *err)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	return spore_child_wait(&w->child, failed, err);
}

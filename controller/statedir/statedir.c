/* The state directory's shared mechanics; see statedir.h. */
#include "statedir.h"
#include <spore/log.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const char *spore_state_default_root(void)
{
	const char *r = getenv("SPORE_ROOT");
	return r && *r ? r : SPORE_DEFAULT_ROOT;
}

int spore_state_mkdir_p(char *path, mode_t mode)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int r = mkdir(path, mode);
		*p = '/';
		if (r < 0 && errno != EEXIST)
			return -errno;
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int spore_state_lock(const char *path, const char *what, bool exclusive, struct spore_err *err)
{
	int op = exclusive ? LOCK_EX : LOCK_SH;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return spore_err_set(err, errno, "opening the %s lock %s", what, path);
	if (flock(fd, op | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			log_info("waiting for another sporectl using the %s (%s)", what, path);
		if (flock(fd, op) < 0) {
			int e = errno;
			close(fd);
			return spore_err_set(err, e, "locking the %s %s", what, path);
		}
	}
	return fd;
}

int spore_state_tmpname(char *buf, size_t n, const char *dir, const char *kind)
{
	int w = snprintf(buf, n, "%s/%s-%d-XXXXXX", dir, kind, (int)getpid());
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

/* Removes what name in directory `at` holds, then name. Every step goes through a
 * descriptor opened with O_NOFOLLOW: the image worker owns the image cache's
 * tmp/, and a symlink it swaps in for a directory while root removes that
 * directory's content must not lead root's unlinks elsewhere. depth bounds
 * the recursion (a path is at most 4096 bytes, so 2048 levels). */
static void rm_at(int at, const char *name, int depth)
{
	int fd = depth < 2048 ? openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (fd >= 0 && !d)
		close(fd);
	if (!d) {
		unlinkat(at, name, 0); /* not a directory (or a symlink to one) */
		return;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rm_at(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	unlinkat(at, name, AT_REMOVEDIR);
}

void spore_state_rm_tree(const char *path)
{
	rm_at(AT_FDCWD, path, 0);
}

/* The pid in name if it is KIND-PID-... for one of kinds, else 0. */
static int owner_pid(const char *name, const char *const kinds[])
{
	for (size_t i = 0; kinds[i]; i++) {
		size_t k = strlen(kinds[i]);
		char *end;
		if (strncmp(name, kinds[i], k) || name[k] != '-' || name[k + 1] < '1' ||
		    name[k + 1] > '9')
			continue;
		long pid = strtol(name + k + 1, &end, 10);
		if (*end == '-' && pid > 0 && pid <= INT_MAX)
			return (int)pid;
	}
	return 0;
}

void spore_state_sweep(const char *dir, const char *const kinds[], const char *what)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		int pid = owner_pid(de->d_name, kinds);
		if (!pid || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		log_debug("%s: removing %s, left by process %d", what, path, pid);
		spore_state_rm_tree(path);
	}
	closedir(d);
}

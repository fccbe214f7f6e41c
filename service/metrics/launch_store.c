/* The launch histogram's file; see launch_store.h. */
#include "launch_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STORE_NAME "launch-metrics"
/* Its largest text: 18 series of 17 numbers. */
#define STORE_MAX 16384

static void store_path(const char *root, const char *suffix, char *out, size_t n)
{
	const char *env = getenv("SPORE_ROOT");
	if (!root)
		root = env && *env ? env : "/var/lib/spore";
	snprintf(out, n, "%s/" STORE_NAME "%s", root, suffix);
}

int launch_store_load(const char *root, struct launch_hist *h, struct spore_err *err)
{
	char path[4096], *buf = malloc(STORE_MAX + 1);
	ssize_t got = 0, k;
	int fd = -1, r;

	memset(h, 0, sizeof(*h));
	store_path(root, "", path, sizeof(path));
	if (!buf) {
		r = spore_err_set(err, ENOMEM, "%s", path);
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		r = errno == ENOENT ? 0 : spore_err_set(err, errno, "%s", path);
		goto out;
	}
	while (got <= STORE_MAX && (k = read(fd, buf + got, (size_t)(STORE_MAX + 1 - got))) > 0)
		got += k;
	if (k < 0) {
		r = spore_err_set(err, errno, "reading %s", path);
		goto out;
	}
	buf[got > STORE_MAX ? STORE_MAX : got] = '\0';
	if (got > STORE_MAX || (size_t)got != strlen(buf) || launch_hist_decode(buf, h) < 0)
		r = spore_err_setx(err, EINVAL, "%s is not spored's launch histogram", path);
	else
		r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}

int launch_store_save(const char *root, const struct launch_hist *h, struct spore_err *err)
{
	char path[4096], tmp[4112], *text = NULL;
	size_t len = 0;
	int fd = -1, r;
	FILE *f = open_memstream(&text, &len);

	store_path(root, "", path, sizeof(path));
	store_path(root, ".tmp", tmp, sizeof(tmp));
	if (!f) {
		r = spore_err_set(err, errno, "%s", path);
		goto out;
	}
	launch_hist_encode(f, h);
	if (fclose(f) != 0 || !text) {
		r = spore_err_set(err, ENOMEM, "%s", path);
		goto out;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		r = spore_err_set(err, errno, "%s", tmp);
		goto out;
	}
	for (size_t at = 0; at < len;) {
		ssize_t w = write(fd, text + at, len - at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = spore_err_set(err, w < 0 ? errno : EIO, "writing %s", tmp);
			goto out;
		}
		at += (size_t)w;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = spore_err_set(err, errno, "writing %s", tmp);
		goto out;
	}
	fd = -1;
	r = rename(tmp, path) < 0 ? spore_err_set(err, errno, "renaming %s", tmp) : 0;
out:
	if (fd >= 0)
		close(fd);
	if (r < 0)
		unlink(tmp);
	free(text);
	return r;
}

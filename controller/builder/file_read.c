/* Whole small files into memory; see file_read.h. */
#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int spore_read_file(const char *path, uint64_t max, uint8_t **out, size_t *len,
		    struct spore_err *err)
{
	struct stat st;
	int r = 0, fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *buf = NULL;
	size_t done = 0;

	if (fd < 0)
		return spore_err_set(err, errno, "open %s", path);
	if (fstat(fd, &st) < 0) {
		r = spore_err_set(err, errno, "stat %s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		r = spore_err_setx(err, EINVAL, "%s: not a regular file of at most %" PRIu64 " MiB",
				   path, max >> 20);
		goto out;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		r = spore_err_set(err, ENOMEM, "reading %s", path);
		goto out;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = spore_err_set(err, n < 0 ? errno : EIO, "read %s", path);
			goto out;
		}
		done += (size_t)n;
	}
	*out = buf;
	*len = done;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return r;
}

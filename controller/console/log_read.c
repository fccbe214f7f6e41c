/* Reading a guest's console log; see log_read.h. */
#include "log_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Parses the whole lines of buf (n bytes) into s; returns the bytes used
 * (up to the last \n). Lines that do not parse are skipped. */
static size_t add_lines(struct log_snapshot *s, const char *buf, size_t n, int *oom)
{
	size_t used = 0;
	while (used < n) {
		const char *nl = memchr(buf + used, '\n', n - used);
		if (!nl)
			break;
		struct spore_conlog_rec r;
		size_t len = (size_t)(nl - (buf + used));
		if (spore_conlog_parse(buf + used, len, &r) == 0) {
			if (s->n == s->cap) {
				size_t cap = s->cap ? s->cap * 2 : 256;
				struct spore_conlog_rec *m = realloc(s->recs, cap * sizeof(*m));
				if (!m) {
					*oom = 1;
					break;
				}
				s->recs = m;
				s->cap = cap;
			}
			s->recs[s->n++] = r;
		}
		used += len + 1;
	}
	return used;
}

/* Reads an open file from off to its end into a kept buffer. */
static int read_rest(struct log_snapshot *s, int fd, off_t off, char **out, size_t *n)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	size_t len = st.st_size > off ? (size_t)(st.st_size - off) : 0;
	char *buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	ssize_t got = len ? pread(fd, buf, len, off) : 0;
	if (got < 0) {
		free(buf);
		return -errno;
	}
	char **b = realloc(s->bufs, (s->nbufs + 1) * sizeof(*b));
	if (!b) {
		free(buf);
		return -ENOMEM;
	}
	s->bufs = b;
	s->bufs[s->nbufs++] = buf;
	*out = buf;
	*n = (size_t)got;
	return 0;
}

int log_snapshot_read(const char *dir, struct log_snapshot *s, struct spore_err *err)
{
	int fds[SPORE_CONLOG_MAX_FILES];
	int nf = 0, r = 0;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	/* Open them all first, oldest last found, so a rotation meanwhile
	 * shifts names, not the files already open. */
	for (unsigned k = 0; k < SPORE_CONLOG_MAX_FILES; k++) {
		char path[4200];
		spore_conlog_file(dir, k, path, sizeof(path));
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno != ENOENT)
				r = spore_err_set(err, errno, "opening %s", path);
			break;
		}
		fds[nf++] = fd;
	}
	for (int i = nf - 1; i >= 0 && r >= 0; i--) {
		char *buf;
		size_t n;
		int oom = 0;
		if ((r = read_rest(s, fds[i], 0, &buf, &n)) < 0) {
			r = spore_err_set(err, -r, "reading %s's console log", dir);
			break;
		}
		size_t used = add_lines(s, buf, n, &oom);
		if (oom)
			r = spore_err_set(err, ENOMEM, "reading %s's console log", dir);
		if (i == 0) {
			struct stat st;
			s->fd = fds[0];
			fds[0] = -1;
			s->ino = fstat(s->fd, &st) == 0 ? st.st_ino : 0;
			s->off = (off_t)used;
		}
	}
	for (int i = 0; i < nf; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (r < 0)
		log_snapshot_free(s);
	return r;
}

void log_snapshot_free(struct log_snapshot *s)
{
	for (size_t i = 0; i < s->nbufs; i++)
		free(s->bufs[i]);
	free(s->bufs);
	free(s->recs);
	if (s->fd >= 0)
		close(s->fd);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

size_t log_tail_start(const struct spore_conlog_rec *recs, size_t n, long lines)
{
	long seen = 0;
	if (lines < 0)
		return 0;
	if (lines == 0)
		return n;
	/* Record j starts a line if it is the first or follows an F. */
	for (size_t j = n; j-- > 0;)
		if ((j == 0 || !recs[j - 1].partial) && ++seen == lines)
			return j;
	return 0;
}

/* The records from s->off in the file open as s->fd; the reading moves on. */
static int follow_fd(struct log_snapshot *s, log_rec_cb cb, void *arg, struct spore_err *err)
{
	char *buf;
	size_t n;
	int oom = 0, r;
	size_t from = s->n;

	if ((r = read_rest(s, s->fd, s->off, &buf, &n)) < 0)
		return spore_err_set(err, -r, "reading a console log");
	s->off += (off_t)add_lines(s, buf, n, &oom);
	if (oom)
		return spore_err_set(err, ENOMEM, "reading a console log");
	for (size_t i = from; i < s->n; i++)
		if ((r = cb(arg, &s->recs[i])) < 0)
			return r;
	/* What was handed on is not kept: a long follow stays small. */
	s->n = from;
	free(s->bufs[--s->nbufs]);
	return 0;
}

int log_follow(const char *dir, struct log_snapshot *s, log_rec_cb cb, void *arg,
	       struct spore_err *err)
{
	char path[4200];
	struct stat st;
	int r;

	spore_conlog_file(dir, 0, path, sizeof(path));
	if (s->fd >= 0 && (r = follow_fd(s, cb, arg, err)) < 0)
		return r;
	/* Rotated (or created): the old file is read to its end above; the
	 * new one from its start. */
	if (stat(path, &st) == 0 && (s->fd < 0 || st.st_ino != s->ino)) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 0;
		if (s->fd >= 0)
			close(s->fd);
		s->fd = fd;
		s->ino = st.st_ino;
		s->off = 0;
		return follow_fd(s, cb, arg, err);
	}
	return 0;
}

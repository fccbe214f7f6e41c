/* A guest's console log file; see logfile.h. */
#include "logfile.h"

#include <spore/conlog.h>
#include <spore/log.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdirs(const char *dir, struct spore_err *err)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return spore_err_set(err, errno, "creating %s", p);
		*s = '/';
	}
	/* The guest's own folder: its output is nobody else's business. */
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return spore_err_set(err, errno, "creating %s", p);
	return 0;
}

/* Cuts a torn last record off (spored was killed while writing it). */
static int cut_torn(int fd, uint64_t *size)
{
	char buf[4096];
	uint64_t end = *size;
	while (end > 0) {
		size_t n = end < sizeof(buf) ? (size_t)end : sizeof(buf);
		if (pread(fd, buf, n, (off_t)(end - n)) != (ssize_t)n)
			return -errno;
		char *nl = memrchr(buf, '\n', n);
		if (nl) {
			end = end - n + (uint64_t)(nl - buf) + 1;
			break;
		}
		end -= n;
	}
	if (end != *size) {
		log_warn("%s bytes of a torn console record cut off", end ? "some" : "all");
		if (ftruncate(fd, (off_t)end) < 0)
			return -errno;
		*size = end;
	}
	return 0;
}

static int open_newest(struct logfile *f, struct spore_err *err)
{
	char path[4200];
	struct stat st;
	spore_conlog_file(f->dir, 0, path, sizeof(path));
	f->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (f->fd < 0)
		return spore_err_set(err, errno, "opening %s", path);
	if (fstat(f->fd, &st) < 0)
		return spore_err_set(err, errno, "%s", path);
	f->size = (uint64_t)st.st_size;
	int r = cut_torn(f->fd, &f->size);
	return r < 0 ? spore_err_set(err, -r, "%s", path) : 0;
}

int logfile_open(struct logfile *f, const char *dir, const struct logfile_limits *lim,
		 struct spore_err *err)
{
	int r;
	f->fd = -1;
	f->lim = *lim;
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	if ((r = mkdirs(dir, err)) < 0 || (r = open_newest(f, err)) < 0) {
		logfile_close(f);
		return r;
	}
	return 0;
}

void logfile_close(struct logfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/* console.log.k-1 -> .k, the oldest overwritten; a new console.log. */
static int rotate(struct logfile *f, struct spore_err *err)
{
	char from[4200], to[4200];
	logfile_close(f);
	if (f->lim.max_files <= 1) {
		spore_conlog_file(f->dir, 0, from, sizeof(from));
		if (truncate(from, 0) < 0 && errno != ENOENT)
			return spore_err_set(err, errno, "truncating %s", from);
	}
	for (unsigned k = f->lim.max_files - 1; k >= 1 && f->lim.max_files > 1; k--) {
		spore_conlog_file(f->dir, k - 1, from, sizeof(from));
		spore_conlog_file(f->dir, k, to, sizeof(to));
		if (rename(from, to) < 0 && errno != ENOENT)
			return spore_err_set(err, errno, "rotating %s", from);
	}
	return open_newest(f, err);
}

static int flush(struct logfile *f, const char *buf, size_t n, struct spore_err *err)
{
	while (n) {
		ssize_t w = write(f->fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return spore_err_set(err, errno, "writing %s/" SPORE_CONLOG_FILE, f->dir);
		buf += w;
		n -= (size_t)w;
		f->size += (uint64_t)w;
	}
	return 0;
}

int logfile_write(struct logfile *f, int64_t ns, enum spore_conlog_stream stream, const char *buf,
		  size_t n, struct spore_err *err)
{
	static char out[64 * 1024];
	size_t used = 0;
	int r = 0;

	if (f->fd < 0 && (r = open_newest(f, err)) < 0)
		return r;
	while (n && r >= 0) {
		const char *nl = memchr(buf, '\n', n);
		size_t seg = nl ? (size_t)(nl - buf) : n;
		bool partial = !nl;
		if (seg > SPORE_CONLOG_MAX_MSG) {
			seg = SPORE_CONLOG_MAX_MSG;
			partial = true;
		}
		size_t len = SPORE_CONLOG_HDR_LEN + seg + 1;
		if (used + len > sizeof(out)) {
			r = flush(f, out, used, err);
			used = 0;
		}
		if (r >= 0 && f->size + used > 0 && f->size + used + len > f->lim.max_size) {
			if ((r = flush(f, out, used, err)) >= 0)
				r = rotate(f, err);
			used = 0;
		}
		if (r < 0)
			break;
		used += spore_conlog_encode(out + used, ns, stream, partial, buf, seg);
		/* The \n ends the record: it is not stored. */
		size_t took = seg + (!partial ? 1 : 0);
		buf += took;
		n -= took;
	}
	if (r >= 0 && used)
		r = flush(f, out, used, err);
	return r;
}

/* The messages of the records in buf (whole lines; a torn tail is
 * skipped), appended to *out. */
static int messages(const char *buf, size_t n, char **out, size_t *outn)
{
	char *m = malloc(n + 1);
	size_t k = 0;
	if (!m)
		return -ENOMEM;
	while (n) {
		const char *nl = memchr(buf, '\n', n);
		if (!nl)
			break;
		struct spore_conlog_rec rec;
		if (spore_conlog_parse(buf, (size_t)(nl - buf), &rec) == 0) {
			memcpy(m + k, rec.msg, rec.len);
			k += rec.len;
			if (!rec.partial)
				m[k++] = '\n';
		}
		n -= (size_t)(nl - buf) + 1;
		buf = nl + 1;
	}
	*out = m;
	*outn = k;
	return 0;
}

int logfile_tail(const char *dir, size_t max, char **out, size_t *n, struct spore_err *err)
{
	char *acc = NULL;
	size_t accn = 0;
	int r = 0;

	*out = NULL;
	*n = 0;
	for (unsigned k = 0; k < SPORE_CONLOG_MAX_FILES && accn < max; k++) {
		char path[4200];
		struct stat st;
		spore_conlog_file(dir, k, path, sizeof(path));
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		/* Enough of the file's end for max bytes of messages, at the
		 * record format's worst overhead (one-byte lines). */
		uint64_t want = (uint64_t)(max - accn) * (SPORE_CONLOG_HDR_LEN + 2) + SPORE_CONLOG_MAX_LINE;
		off_t from = 0;
		if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > want)
			from = st.st_size - (off_t)want;
		size_t len = (size_t)(st.st_size - from);
		char *buf = malloc(len ? len : 1), *msg = NULL;
		ssize_t got = buf ? pread(fd, buf, len, from) : -1;
		close(fd);
		size_t msgn = 0;
		if (got < 0) {
			free(buf);
			r = spore_err_set(err, buf ? errno : ENOMEM, "reading %s", path);
			break;
		}
		/* Starting mid-file: the first line is likely cut. */
		char *start = buf;
		size_t sl = (size_t)got;
		if (from > 0) {
			char *nl = memchr(buf, '\n', sl);
			sl = nl ? sl - (size_t)(nl + 1 - buf) : 0;
			start = nl ? nl + 1 : buf;
		}
		if (messages(start, sl, &msg, &msgn) < 0) {
			free(buf);
			r = spore_err_set(err, ENOMEM, "reading %s", path);
			break;
		}
		free(buf);
		char *both = malloc(msgn + accn + 1);
		if (!both) {
			free(msg);
			r = spore_err_set(err, ENOMEM, "reading %s", path);
			break;
		}
		memcpy(both, msg, msgn);
		if (accn)
			memcpy(both + msgn, acc, accn);
		free(msg);
		free(acc);
		acc = both;
		accn += msgn;
		if (from > 0)
			break;
	}
	if (r < 0) {
		free(acc);
		return r;
	}
	if (accn > max) {
		memmove(acc, acc + accn - max, max);
		accn = max;
	}
	*out = acc;
	*n = accn;
	return 0;
}

int logfile_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	return rmdir(dir) < 0 && errno != ENOENT ? -errno : 0;
}

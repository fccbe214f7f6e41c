/* Console log records (common/conlog.c) and spored's log files
 * (service/console/logfile.c): the CRI line format, --since values,
 * splitting output into lines, rotation within the bound, a torn record
 * cut off, and the tail an attach gets as history. */
#include "tap.h"
#include "logfile.h"
#include <spore/conlog.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *n)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDONLY);
	ssize_t got = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	*n = got < 0 ? 0 : (size_t)got;
	buf[*n] = '\0';
	return got < 0 ? NULL : buf;
}

static uint64_t dir_bytes(const char *dir, int *files)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint64_t sum = 0;
	*files = 0;
	while (d && (e = readdir(d))) {
		char p[4400];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (stat(p, &st) == 0) {
			sum += (uint64_t)st.st_size;
			(*files)++;
		}
	}
	if (d)
		closedir(d);
	return sum;
}

int main(void)
{
	char line[SPORE_CONLOG_MAX_LINE], ts[SPORE_CONLOG_TS_LEN + 1];
	struct spore_conlog_rec r;
	int64_t ns = 1796646663123456789LL; /* 2026-12-07T12:31:03.123456789Z */
	int64_t t;

	spore_conlog_ts(ns, ts);
	is_str(ts, "2026-12-07T12:31:03.123456789Z", "the timestamp, RFC 3339 in UTC to the ns");
	size_t n = spore_conlog_encode(line, ns, SPORE_CONLOG_STDOUT, false, "hi \x1b[31m", 8);
	ok(n == 49 && !memcmp(line, "2026-12-07T12:31:03.123456789Z stdout F hi \x1b[31m\n", n),
	   "a full line's record");
	is_int(spore_conlog_parse(line, n - 1, &r), 0, "parses");
	ok(r.ns == ns && !r.partial && r.len == 8 && !memcmp(r.msg, "hi \x1b[31m", 8),
	   "... time, F, bytes");
	n = spore_conlog_encode(line, ns, SPORE_CONLOG_STDOUT, true, "", 0);
	is_int(spore_conlog_parse(line, n - 1, &r), 0, "an empty partial record parses");
	ok(r.partial && r.len == 0, "... as P, empty");
	is_int(spore_conlog_parse("2026-12-07T12:31:03.123456789Z stdout X a", 41, &r), -EBADMSG,
	       "a tag other than F/P is refused");
	is_int(spore_conlog_parse("2026-13-07T12:31:03.123456789Z stdout F a", 41, &r), -EBADMSG,
	       "month 13 is refused");
	is_int(spore_conlog_parse("2026-12-07T12:31:03.123456789Z stdin F a", 40, &r), -EBADMSG,
	       "another stream is refused");
	ok(r.stream == SPORE_CONLOG_STDOUT, "a stdout record says so");
	n = spore_conlog_encode(line, ns, SPORE_CONLOG_STDERR, false, "oops", 4);
	ok(n == 45 && !memcmp(line, "2026-12-07T12:31:03.123456789Z stderr F oops\n", n),
	   "a stderr record");
	is_int(spore_conlog_parse(line, n - 1, &r), 0, "parses");
	ok(r.stream == SPORE_CONLOG_STDERR && !r.partial && r.len == 4, "... as stderr, F");
	is_int(spore_conlog_parse("2026-12-07T12:31:03Z stdout F a", 31, &r), -EBADMSG,
	       "a short timestamp is refused");

	is_int(spore_conlog_since("2026-12-07T12:31:03.123456789Z", 0, &t), 0, "--since RFC 3339");
	ok(t == ns, "... to the ns");
	is_int(spore_conlog_since("2026-12-07T12:31:03", 0, &t), 0, "--since without Z: UTC");
	ok(t == ns - 123456789, "... whole seconds");
	is_int(spore_conlog_since("1796646663.5", 0, &t), 0, "--since unix seconds");
	ok(t == 1796646663500000000LL, "... with a fraction");
	is_int(spore_conlog_since("1h30m", ns, &t), 0, "--since a duration");
	ok(t == ns - 5400000000000LL, "... before now");
	is_int(spore_conlog_since("2999-01-01T00:00:00Z", ns, &t), 0, "--since in 2999");
	ok(t == INT64_MAX, "... is after every record (no overflow past 2262)");
	is_int(spore_conlog_since("10x", ns, &t), -EINVAL, "--since 10x is refused");
	is_int(spore_conlog_since("", ns, &t), -EINVAL, "--since '' is refused");

	/* The writer. */
	char dir[] = "/tmp/test_conlog.XXXXXX";
	ok(mkdtemp(dir) != NULL, "a temp folder");
	char gdir[256], path[300];
	snprintf(gdir, sizeof(gdir), "%s/logs/g1", dir);
	struct logfile f;
	struct logfile_limits lim = {.max_size = 20000, .max_files = 3};
	struct spore_err err = {0};
	is_int(logfile_open(&f, gdir, &lim, &err), 0, "open creates the folders and file");
	is_int(logfile_write(&f, ns, SPORE_CONLOG_STDOUT, "one\ntwo\nthr", 11, &err), 0,
	       "write two lines and a part");
	is_int(logfile_write(&f, ns, SPORE_CONLOG_STDOUT, "ee\n", 3, &err), 0,
	       "write the rest of the third");
	spore_conlog_file(gdir, 0, path, sizeof(path));
	char *txt = slurp(path, &n);
	is_str(txt, "2026-12-07T12:31:03.123456789Z stdout F one\n"
		    "2026-12-07T12:31:03.123456789Z stdout F two\n"
		    "2026-12-07T12:31:03.123456789Z stdout P thr\n"
		    "2026-12-07T12:31:03.123456789Z stdout F ee\n",
	       "one record per line, P for the part");
	char *tail = NULL;
	size_t tn = 0;
	is_int(logfile_tail(gdir, 100, &tail, &tn, &err), 0, "tail");
	ok(tn == 14 && !memcmp(tail, "one\ntwo\nthree\n", 14), "... gives the output back");
	free(tail);
	is_int(logfile_tail(gdir, 6, &tail, &tn, &err), 0, "tail of 6 bytes");
	ok(tn == 6 && !memcmp(tail, "three\n", 6), "... the last 6");
	free(tail);

	/* A torn record (killed mid-write) is cut when the file is opened again. */
	logfile_close(&f);
	int fd = open(path, O_WRONLY | O_APPEND);
	ok(write(fd, "2026-12-07T12:31:03.1234", 24) == 24, "append a torn record");
	close(fd);
	is_int(logfile_open(&f, gdir, &lim, &err), 0, "open again");
	txt = slurp(path, &n);
	ok(n > 0 && txt[n - 1] == '\n' && !strstr(txt, ".1234\n2026") && n == 4 * 44 - 1,
	   "... the torn record is gone, the rest kept");

	/* Flooding: the folder stays within max_size * max_files. */
	char big[3000];
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 200; i++) {
		big[i % 3000] = '\n';
		logfile_write(&f, ns, SPORE_CONLOG_STDOUT, big, sizeof(big), &err);
	}
	int files;
	uint64_t total = dir_bytes(gdir, &files);
	ok(total <= lim.max_size * lim.max_files, "flooded: %llu bytes in %d files, bound %llu",
	   (unsigned long long)total, files, (unsigned long long)(lim.max_size * lim.max_files));
	is_int(files, 3, "... in max_files files");
	spore_conlog_file(gdir, 2, path, sizeof(path));
	ok(access(path, F_OK) == 0, "... the oldest is console.log.2");
	spore_conlog_file(gdir, 3, path, sizeof(path));
	ok(access(path, F_OK) != 0, "... and there is no console.log.3");
	/* A line longer than a record splits into P records. */
	lim.max_size = 100000;
	lim.max_files = 1;
	logfile_close(&f);
	is_int(logfile_open(&f, gdir, &lim, &err), 0, "open with one file of 100000");
	static char longl[SPORE_CONLOG_MAX_MSG * 2 + 1];
	memset(longl, 'y', sizeof(longl) - 1);
	longl[sizeof(longl) - 1] = '\n';
	is_int(logfile_write(&f, ns, SPORE_CONLOG_STDOUT, longl, sizeof(longl), &err), 0,
	       "write a 16 KiB line");
	is_int(logfile_tail(gdir, sizeof(longl), &tail, &tn, &err), 0, "tail");
	ok(tn == sizeof(longl) && !memcmp(tail, longl, tn), "... the long line, whole");
	free(tail);
	logfile_close(&f);
	is_int(logfile_remove(gdir), 0, "remove the guest's log");
	ok(access(gdir, F_OK) != 0, "... its folder is gone");
	snprintf(path, sizeof(path), "%s/logs", dir);
	rmdir(path);
	rmdir(dir);
	return tap_done();
}

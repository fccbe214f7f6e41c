/* A guest's console log as spored writes it (the format:
 * include/spore/conlog.h): bytes from the ring become records, one per line
 * (or part of a line, written at once so that nothing waits in memory), and
 * the file is rotated before it would grow past max_size, keeping
 * max_files files: a guest's log never takes more than about
 * max_size * max_files bytes of disk, whatever it writes. */
#ifndef SPORED_LOGFILE_H
#define SPORED_LOGFILE_H

#include <spore/conlog.h>
#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct logfile_limits {
	uint64_t max_size; /* bytes per file; the bound holds from SPORE_CONLOG_MAX_LINE up */
	unsigned max_files; /* 1..SPORE_CONLOG_MAX_FILES */
};

struct logfile {
	char dir[4096];
	int fd;
	uint64_t size;
	struct logfile_limits lim;
};

/* Opens (creating dir and file) the newest file for appending; a torn last
 * record (no \n) is cut off. */
int logfile_open(struct logfile *f, const char *dir, const struct logfile_limits *lim,
		 struct spore_err *err);
/* Appends n bytes of the stream's output stamped ns (unix ns). */
int logfile_write(struct logfile *f, int64_t ns, enum spore_conlog_stream stream, const char *buf,
		  size_t n, struct spore_err *err);
void logfile_close(struct logfile *f);
/* The last up to max bytes of output (the messages, with their \n), from
 * the newest files: malloc'd into *out. */
int logfile_tail(const char *dir, size_t max, char **out, size_t *n, struct spore_err *err);
/* Removes dir and its files. */
int logfile_remove(const char *dir);

#endif

/* Reading a guest's console log (include/spore/conlog.h) for `sporectl
 * logs`: straight from the files, so it works while spored is down. */
#ifndef SPORE_LOG_READ_H
#define SPORE_LOG_READ_H

#include <spore/conlog.h>
#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Every record of the guest's files, oldest first, and where the newest
 * file was read up to (for following it). */
struct log_snapshot {
	char **bufs;
	size_t nbufs;
	struct spore_conlog_rec *recs;
	size_t n, cap;
	int fd;      /* the newest file, open for following; -1 if none */
	ino_t ino;
	off_t off;   /* its bytes up to the last whole record */
};

/* Reads dir's files; a guest without any log yet gives no records. */
int log_snapshot_read(const char *dir, struct log_snapshot *s, struct spore_err *err);
void log_snapshot_free(struct log_snapshot *s);

/* Pure. The index of the first record of the last `lines` lines of recs
 * (a line: P records up to an F, or the P records at the end). */
size_t log_tail_start(const struct spore_conlog_rec *recs, size_t n, long lines);

/* Following: the records written to the newest file since s was read
 * (across a rotation too), each given to cb; the snapshot moves on. */
typedef int (*log_rec_cb)(void *arg, const struct spore_conlog_rec *r);
int log_follow(const char *dir, struct log_snapshot *s, log_rec_cb cb, void *arg,
	       struct spore_err *err);

#endif

/* A guest's console log on disk: what spored writes and `sporectl logs`
 * reads (directly, so it works while spored is down).
 *
 * $SPORE_ROOT/logs/<uuid>/console.log, rotated to console.log.1 .. .N-1
 * (the oldest is .N-1). One record per line, in the CRI log format that
 * containerd and the kubelet write:
 *   2026-12-07T12:31:03.123456789Z stdout F the line's bytes\n
 * F ends a line the guest ended with \n (not stored); P is part of a line
 * that goes on in the next record (the guest wrote no \n yet, or the line
 * was longer than SPORE_CONLOG_MAX_MSG). The stream is stdout, or stderr
 * for what the container wrote to its stderr (sporeinit sends that over the
 * control channel; its partial lines are its own). The bytes are the guest's, raw and
 * untrusted: anything but \n. A line without its \n at the end of the
 * newest file is a torn write (spored killed while writing it): readers
 * skip it and spored cuts it off when it opens the file again. */
#ifndef SPORE_CONLOG_H
#define SPORE_CONLOG_H

#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPORE_CONLOG_FILE "console.log"
#define SPORE_CONLOG_MAX_MSG 8192
#define SPORE_CONLOG_TS_LEN 30 /* 2026-12-07T12:31:03.123456789Z */
#define SPORE_CONLOG_HDR_LEN (SPORE_CONLOG_TS_LEN + 10) /* ts " stdout F " */
#define SPORE_CONLOG_MAX_LINE (SPORE_CONLOG_HDR_LEN + SPORE_CONLOG_MAX_MSG + 1)
#define SPORE_CONLOG_MAX_FILES 100

/* $SPORE_ROOT (else /var/lib/spore), or root if not NULL, + /logs. */
void spore_conlog_root(const char *root, char *out, size_t n);
/* That + /<uuid>, and + /console.log[.k] (k 0: the newest). */
void spore_conlog_dir(const char *root, const char *uuid, char *out, size_t n);
void spore_conlog_file(const char *dir, unsigned k, char *out, size_t n);

enum spore_conlog_stream { SPORE_CONLOG_STDOUT, SPORE_CONLOG_STDERR };

/* Pure. Encodes one record (n <= MAX_MSG bytes, no \n) into out (MAX_LINE
 * bytes); returns its length. ns: unix time in nanoseconds. */
size_t spore_conlog_encode(char *out, int64_t ns, enum spore_conlog_stream stream, bool partial,
			   const char *msg, size_t n);

struct spore_conlog_rec {
	int64_t ns;
	enum spore_conlog_stream stream;
	bool partial;
	const char *msg; /* points into the line */
	size_t len;
};
/* Pure. Parses one line (len bytes, its \n excluded): 0 or -EBADMSG. */
int spore_conlog_parse(const char *line, size_t len, struct spore_conlog_rec *r);
/* Pure. Formats ns as the record's timestamp (SPORE_CONLOG_TS_LEN + 1 bytes). */
void spore_conlog_ts(int64_t ns, char *out);
/* Pure. Parses a --since value: RFC 3339 (2026-12-07T12:31:03[.frac]Z, or
 * without the Z: UTC), unix seconds[.frac], or a duration before now_ns
 * (10s, 5m, 2h, 1h30m). 0 or -EINVAL. */
int spore_conlog_since(const char *s, int64_t now_ns, int64_t *ns);

#endif

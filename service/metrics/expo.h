/* The Prometheus text exposition format, version 0.0.4: families (HELP and
 * TYPE lines, then their samples, contiguous as the format wants), label
 * values escaped. Pure: it writes to a FILE (an open_memstream's). */
#ifndef SPORED_EXPO_H
#define SPORED_EXPO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EXPO_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum expo_type { EXPO_COUNTER, EXPO_GAUGE, EXPO_HISTOGRAM };

struct expo_label {
	const char *name; /* [a-zA-Z_][a-zA-Z0-9_]*, the caller's constant */
	const char *value; /* anything: escaped, bytes outside printable ASCII become '?' */
};

/* HELP (escaped) and TYPE of the family name; its samples follow. */
void expo_family(FILE *f, const char *name, enum expo_type t, const char *help);
/* One sample of the family just begun (a counter's name ends in _total; a
 * histogram's in _bucket, with the label le last, _sum and _count). */
void expo_u64(FILE *f, const char *name, const struct expo_label *l, size_t nl, uint64_t v);
/* A figure in nanoseconds, written in seconds without rounding. */
void expo_ns_as_seconds(FILE *f, const char *name, const struct expo_label *l, size_t nl,
			uint64_t ns);

#endif

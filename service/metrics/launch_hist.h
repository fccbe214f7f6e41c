/* The launches' durations by phase (svc_proto.h's SPORE_LAUNCH_*, plus
 * their total), as the histogram spore_launch_duration_seconds with labels
 * step and result ("ok", "failed"). Pure: the sums in memory, their page
 * text, and their file text (launch_store.c keeps that file, so that a
 * restarted spored goes on from the same sums). */
#ifndef SPORED_LAUNCH_HIST_H
#define SPORED_LAUNCH_HIST_H

#include <spore/svc_proto.h>

#include <stdint.h>
#include <stdio.h>

/* Upper bounds 10 ms .. 60 s: a launch takes 50 ms up to a minute (TCG),
 * its short phases a few ms. */
#define LAUNCH_HIST_NBOUNDS 12
#define LAUNCH_HIST_TOTAL SPORE_LAUNCH_NPHASES /* the step label "total" */

struct launch_hist_series {
	uint64_t count, sum_ns;
	uint64_t in[LAUNCH_HIST_NBOUNDS + 1]; /* per bucket, not cumulative; the last +Inf */
};

struct launch_hist {
	/* [phase or TOTAL][failed] */
	struct launch_hist_series s[LAUNCH_HIST_TOTAL + 1][2];
};

/* Adds one launch (a parsed message: svc_proto's rules hold). */
void launch_hist_observe(struct launch_hist *h, const struct spore_svc_launched *m);
/* The family, if any launch was observed: per step and result seen, its
 * cumulative buckets (le), _sum and _count. */
void launch_hist_render(FILE *f, const struct launch_hist *h);
/* The file's text: a version line, then a line per series seen. */
void launch_hist_encode(FILE *f, const struct launch_hist *h);
/* Parses that text into h (zeroed first); -EINVAL for anything else (h
 * zeroed again). */
int launch_hist_decode(const char *text, struct launch_hist *h);

#endif

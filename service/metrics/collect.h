/* Reading the figures of a /metrics page (render.h) at the moment it is
 * asked for: records from xenstore, domains from Xen, I/O counters from
 * dom0's backends in sysfs, console bytes from spored's backend. */
#ifndef SPORED_COLLECT_H
#define SPORED_COLLECT_H

#include "backend.h"
#include "launch_hist.h"
#include <spore/err.h>

#include <stdio.h>

struct metrics_src {
	struct spore_xc *xc;
	struct spore_xs *xs;
	const struct backend *backend;
	const char *sysfs; /* "/sys" */
	const struct launch_hist *launches; /* what sporectl reported (spored keeps it) */
};

/* Writes the page to f (an http_page_fn, http.h: arg is a metrics_src). */
int metrics_page(void *arg, FILE *f, struct spore_err *err);

#endif

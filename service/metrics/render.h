/* spored's figures as a /metrics page (README, "spored": the metric names).
 * render.c is pure; collect.c reads the figures from Xen, xenstore, dom0's
 * backends and spored's console backend. */
#ifndef SPORED_RENDER_H
#define SPORED_RENDER_H

#include "guest_stats.h"
#include "launch_hist.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct metrics_guest {
	char uuid[37];
	char name[65];
	/* Every record is a guest here; only a running one has the figures
	 * below restarts. */
	uint32_t restarts;          /* the record's restart-count (spored's restarts) */
	bool running;
	uint64_t cpu_ns;            /* Xen's CPU time of the domain */
	uint64_t mem, mem_limit;    /* bytes */
	uint32_t vcpus;
	struct spore_io_counters io;
	bool console;               /* spored serves its console */
	uint64_t console_bytes;     /* taken from its ring by this spored */
};

struct metrics_figures {
	const struct metrics_guest *g; /* every record's guest, running or not */
	size_t n;
	size_t consoles; /* consoles spored serves */
	const struct launch_hist *launches; /* NULL: none */
};

/* Writes the page to f; families without samples are left out. */
void metrics_render(FILE *f, const struct metrics_figures *m);

#endif

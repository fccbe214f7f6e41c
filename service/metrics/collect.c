/* A page's figures, read when it is asked for: nothing is kept between
 * scrapes but the launch histogram, which spored keeps in a file
 * (launch_store.h), so a restarted spored serves the same page (the console
 * byte counts excepted: they restart from 0, which Prometheus reads as a
 * counter reset). */
#include "collect.h"
#include "guest_stats.h"
#include "guest_teardown.h"
#include "render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int metrics_page(void *arg, FILE *f, struct spore_err *err)
{
	struct metrics_src *s = arg;
	struct spore_guest *all = NULL;
	struct spore_dominfo *doms = NULL;
	struct metrics_guest *mg = NULL;
	size_t nall = 0, ndoms = 0, n = 0;
	int r;

	if ((r = spore_guest_list(s->xs, &all, &nall, err)) < 0 ||
	    (r = spore_domain_snapshot(s->xc, &doms, &ndoms, err)) < 0)
		goto out;
	if (!(mg = calloc(nall ? nall : 1, sizeof(*mg)))) {
		r = spore_err_set(err, ENOMEM, "metrics");
		goto out;
	}
	for (size_t i = 0; i < nall; i++) {
		const struct spore_guest *g = &all[i];
		int d = strcmp(g->state, "running") ? -1 : spore_guest_match_domain(g, doms, ndoms);
		struct metrics_guest *m = &mg[n++];
		memcpy(m->uuid, g->uuid, sizeof(m->uuid));
		memcpy(m->name, g->name, sizeof(m->name));
		m->restarts = g->restart_count;
		if (d < 0 || spore_dominfo_dying(&doms[d]) || spore_dominfo_shutdown(&doms[d]))
			continue;
		m->running = true;
		m->cpu_ns = doms[d].cpu_time_ns;
		/* Xen's pages, as `sporectl stats` counts them. */
		m->mem = doms[d].tot_pages * 4096;
		m->mem_limit = g->memory_mib ? g->memory_mib << 20 : doms[d].max_pages * 4096;
		m->vcpus = doms[d].nr_online_vcpus;
		spore_guest_io_read(s->sysfs, doms[d].domid, &m->io);
		m->console = s->backend && backend_console_bytes(s->backend, g->uuid,
								  &m->console_bytes);
	}
	struct metrics_figures fig = {
		.g = mg, .n = n, .consoles = s->backend ? backend_nconsoles(s->backend) : 0,
		.launches = s->launches};
	metrics_render(f, &fig);
	r = 0;
out:
	free(mg);
	free(doms);
	free(all);
	return r;
}

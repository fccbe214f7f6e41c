/* The page: one family at a time, each over every guest (the format wants
 * a family's samples together). Names follow Prometheus' conventions (base
 * units, _total on counters) and cAdvisor's where one exists. */
#include "render.h"
#include "expo.h"

enum field { RESTARTS, CPU, MEM, MEM_LIMIT, VCPUS, NET_RX, NET_TX, BLK_R, BLK_W, CONSOLE };

static const struct {
	const char *name;
	enum expo_type type;
	const char *help;
} fam[] = {
	/* From the record, as docker's RestartCount: kept there by the
	 * restarter (it survives spored's restarts); a manual start sets it
	 * back to 0, a counter reset. Every guest with a record has one. */
	[RESTARTS] = {"spore_guest_restarts_total", EXPO_COUNTER,
		      "Times spored restarted the guest by its restart policy since its last "
		      "launch or manual start"},
	[CPU] = {"spore_guest_cpu_seconds_total", EXPO_COUNTER,
		 "CPU time the guest's domain used, from Xen (all its vCPUs)"},
	[MEM] = {"spore_guest_memory_bytes", EXPO_GAUGE, "Memory Xen gave the guest"},
	[MEM_LIMIT] = {"spore_guest_memory_limit_bytes", EXPO_GAUGE,
		       "The guest's memory limit (launch -m)"},
	[VCPUS] = {"spore_guest_vcpus", EXPO_GAUGE, "The guest's vCPUs online"},
	[NET_RX] = {"spore_guest_network_receive_bytes_total", EXPO_COUNTER,
		    "Bytes the guest received, from its backend in dom0"},
	[NET_TX] = {"spore_guest_network_transmit_bytes_total", EXPO_COUNTER,
		    "Bytes the guest sent, from its backend in dom0"},
	[BLK_R] = {"spore_guest_block_read_bytes_total", EXPO_COUNTER,
		   "Bytes the guest read from its disks, from blkback"},
	[BLK_W] = {"spore_guest_block_write_bytes_total", EXPO_COUNTER,
		   "Bytes the guest wrote to its disks, from blkback"},
	[CONSOLE] = {"spore_guest_console_bytes_total", EXPO_COUNTER,
		     "Console output bytes this spored took from the guest's ring"},
};

/* Whether guest g has field k, and its value. */
static bool value(const struct metrics_guest *g, enum field k, uint64_t *v)
{
	if (k == RESTARTS) {
		*v = g->restarts;
		return true;
	}
	if (!g->running)
		return false;
	switch (k) {
	case RESTARTS: return false; /* above */
	case CPU: *v = g->cpu_ns; return true;
	case MEM: *v = g->mem; return true;
	case MEM_LIMIT: *v = g->mem_limit; return true;
	case VCPUS: *v = g->vcpus; return true;
	case NET_RX: *v = g->io.net_rx; return g->io.net;
	case NET_TX: *v = g->io.net_tx; return g->io.net;
	case BLK_R: *v = g->io.blk_read; return g->io.blk;
	case BLK_W: *v = g->io.blk_write; return g->io.blk;
	case CONSOLE: *v = g->console_bytes; return g->console;
	}
	return false;
}

void metrics_render(FILE *f, const struct metrics_figures *m)
{
	size_t running = 0;
	for (size_t i = 0; i < m->n; i++)
		running += m->g[i].running;
	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		bool begun = false;
		for (size_t i = 0; i < m->n; i++) {
			const struct metrics_guest *g = &m->g[i];
			struct expo_label l[] = {{"name", g->name}, {"id", g->uuid}};
			uint64_t v;
			if (!value(g, (enum field)k, &v))
				continue;
			if (!begun)
				expo_family(f, fam[k].name, fam[k].type, fam[k].help);
			begun = true;
			if (k == CPU)
				expo_ns_as_seconds(f, fam[k].name, l, 2, v);
			else
				expo_u64(f, fam[k].name, l, 2, v);
		}
	}
	expo_family(f, "spore_guests_running", EXPO_GAUGE, "Guests whose domains run");
	expo_u64(f, "spore_guests_running", NULL, 0, running);
	expo_family(f, "spore_consoles", EXPO_GAUGE, "Guest consoles spored serves");
	expo_u64(f, "spore_consoles", NULL, 0, m->consoles);
	if (m->launches)
		launch_hist_render(f, m->launches);
}

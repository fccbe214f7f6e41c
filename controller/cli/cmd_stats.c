/* sporectl stats: docker stats for guests, from dom0's own figures (Xen's
 * CPU time and pages, the backends' counters; guest_stats.h). */
#include "guest_stats.h"
#include "guest_teardown.h"
#include "size.h"
#include <spore/clock.h>

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"

/* Between the two samples a CPU figure needs, and between refreshes. */
#define INTERVAL_MS 1000
#define MAX_SHOWN 256

static void usage(FILE *out)
{
	fprintf(out, "Usage: sporectl stats [--no-stream] [--json] [ID...]\n"
		     "\n"
		     "Show running guests' resource use (all of them without ID), refreshed every\n"
		     "second until interrupted: CPU (percent of one CPU, from Xen), memory (what\n"
		     "Xen gave the guest, against its limit), network and block I/O (the\n"
		     "backends' counters in dom0). ID is a UUID, a unique UUID prefix, a name or\n"
		     "a domid.\n"
		     "\n"
		     "Options:\n"
		     "  --no-stream   One report (after a one-second sample), then exit\n"
		     "  --json        A JSON array of objects, one per guest (with --no-stream:\n"
		     "                one array; else one array per line and refresh)\n"
		     "  -h, --help    Show this help\n");
}

struct shown {
	struct spore_guest g;
	int64_t domid;
	uint64_t cpu0;
	int64_t wall0;
};

static const char *human(uint64_t bytes, char *buf, size_t n)
{
	spore_size_format(bytes, buf, n);
	return buf;
}

static const char *io_pair(bool have, uint64_t a, uint64_t b, char *buf, size_t n)
{
	char x[32], y[32];
	if (!have)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%s / %s", human(a, x, sizeof(x)), human(b, y, sizeof(y)));
	return buf;
}

/* One report over the guests in v whose domains still run. */
static int report(struct spore_xc *xc, struct shown *v, size_t n, bool json, bool clear,
		  struct spore_err *err)
{
	struct spore_dominfo *doms = NULL;
	size_t ndoms = 0;
	int r = spore_domain_snapshot(xc, &doms, &ndoms, err);
	int64_t wall = spore_now_ns();
	json_t *arr = json ? json_array() : NULL;

	if (r < 0)
		return r;
	if (clear)
		fputs("\033[2J\033[H", stdout);
	if (!json)
		printf("%-12s  %-20s  %7s  %-24s  %6s  %-24s  %-24s  %s\n", "ID", "NAME", "CPU %",
		       "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "VCPUS");
	for (size_t i = 0; i < n; i++) {
		int d = spore_guest_match_domain(&v[i].g, doms, ndoms);
		if (d < 0 || spore_dominfo_dying(&doms[d]) || spore_dominfo_shutdown(&doms[d]))
			continue;
		const struct spore_dominfo *di = &doms[d];
		double cpu = v[i].domid == di->domid
				     ? spore_cpu_percent(v[i].cpu0, di->cpu_time_ns, v[i].wall0, wall)
				     : 0.0;
		/* Xen's pages: what the guest holds, against what it may hold. */
		uint64_t mem = di->tot_pages * 4096, limit = v[i].g.memory_mib << 20;
		if (!limit)
			limit = di->max_pages * 4096;
		double memp = limit ? (double)mem * 100.0 / (double)limit : 0.0;
		struct spore_io_counters io;
		spore_guest_io_read("/sys", di->domid, &io);
		v[i].domid = di->domid;
		v[i].cpu0 = di->cpu_time_ns;
		v[i].wall0 = wall;
		if (json) {
			json_array_append_new(
				arr, json_pack("{s:s, s:s, s:I, s:f, s:I, s:I, s:f, s:o, s:o, s:o, s:o, s:i}",
					       "id", v[i].g.uuid, "name", v[i].g.name, "domid",
					       (json_int_t)di->domid, "cpu_percent", cpu,
					       "memory_bytes", (json_int_t)mem, "memory_limit_bytes",
					       (json_int_t)limit, "memory_percent", memp, "net_rx_bytes",
					       io.net ? json_integer((json_int_t)io.net_rx) : json_null(),
					       "net_tx_bytes",
					       io.net ? json_integer((json_int_t)io.net_tx) : json_null(),
					       "block_read_bytes",
					       io.blk ? json_integer((json_int_t)io.blk_read) : json_null(),
					       "block_write_bytes",
					       io.blk ? json_integer((json_int_t)io.blk_write) : json_null(),
					       "vcpus", (int)di->nr_online_vcpus));
			continue;
		}
		char a[32], b[32], memcol[72], net[72], blk[72];
		snprintf(memcol, sizeof(memcol), "%s / %s", human(mem, a, sizeof(a)),
			 human(limit, b, sizeof(b)));
		printf("%-12.12s  %-20s  %6.2f%%  %-24s  %5.2f%%  %-24s  %-24s  %u\n", v[i].g.uuid,
		       v[i].g.name, cpu, memcol, memp, io_pair(io.net, io.net_rx, io.net_tx, net, sizeof(net)),
		       io_pair(io.blk, io.blk_read, io.blk_write, blk, sizeof(blk)), di->nr_online_vcpus);
	}
	if (json) {
		char *s = json_dumps(arr, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(arr);
	}
	free(doms);
	if (fflush(stdout) == EOF)
		return spore_err_set(err, errno, "stats: writing the output");
	return 0;
}

int cmd_stats(int argc, char **argv, struct spore_err *err)
{
	enum { O_NO_STREAM = 256, O_JSON };
	static const struct option opts[] = {
		{"no-stream", no_argument, 0, O_NO_STREAM},
		{"json", no_argument, 0, O_JSON},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct spore_xc *xc = NULL;
	struct spore_xs *xs = NULL;
	struct spore_guest *all = NULL;
	struct shown *v = NULL;
	size_t nall = 0, n = 0;
	bool stream = true, json = false;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_NO_STREAM: stream = false; break;
		case O_JSON: json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return cli_usage(err, NULL);
		}
	}
	if (argc - optind > MAX_SHOWN)
		return cli_usage(err, "stats: at most %d IDs", MAX_SHOWN);
	if ((r = spore_xc_open(&xc, err)) < 0 || (r = spore_xs_open(&xs, err)) < 0)
		goto out;
	if (optind < argc) {
		v = calloc((size_t)(argc - optind), sizeof(*v));
		for (int i = optind; v && i < argc; i++)
			if ((r = spore_guest_resolve(xs, argv[i], &v[n++].g, err)) < 0) {
				spore_err_wrap(err, "stats");
				goto out;
			}
	} else {
		if ((r = spore_guest_list(xs, &all, &nall, err)) < 0)
			goto out;
		v = calloc(nall ? nall : 1, sizeof(*v));
		for (size_t i = 0; v && i < nall && n < MAX_SHOWN; i++)
			if (!strcmp(all[i].state, "running"))
				v[n++].g = all[i];
	}
	if (!v) {
		r = spore_err_set(err, ENOMEM, "stats");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		v[i].domid = -1;
	/* The first sample only sets the baseline of the CPU figures. */
	struct spore_dominfo *doms = NULL;
	size_t ndoms = 0;
	if ((r = spore_domain_snapshot(xc, &doms, &ndoms, err)) < 0)
		goto out;
	int64_t wall = spore_now_ns();
	for (size_t i = 0; i < n; i++) {
		int d = spore_guest_match_domain(&v[i].g, doms, ndoms);
		if (d >= 0) {
			v[i].domid = doms[d].domid;
			v[i].cpu0 = doms[d].cpu_time_ns;
			v[i].wall0 = wall;
		}
	}
	free(doms);
	bool clear = stream && !json && isatty(STDOUT_FILENO);
	do {
		struct timespec ts = {INTERVAL_MS / 1000, (INTERVAL_MS % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		r = report(xc, v, n, json, clear, err);
	} while (r == 0 && stream);
out:
	free(v);
	free(all);
	spore_xs_close(xs);
	spore_xc_close(xc);
	return r;
}

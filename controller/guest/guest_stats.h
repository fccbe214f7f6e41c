/* A running guest's figures for `sporectl stats`: CPU from Xen's
 * per-domain CPU time, memory from Xen's page counts, network and block
 * I/O from the counters of the guest's backends in dom0 (netback's
 * vif<domid>.0, blkback's vbd-<domid>-<dev>). Nothing is read from the
 * guest: every figure is dom0's own. */
#ifndef SPORE_GUEST_STATS_H
#define SPORE_GUEST_STATS_H

#include <stdbool.h>
#include <stdint.h>

/* As the container sees them: net_rx is what it received (netback's tx). */
struct spore_io_counters {
	uint64_t net_rx, net_tx;       /* bytes */
	uint64_t blk_read, blk_write;  /* bytes */
	bool net, blk;                 /* whether the guest has such devices */
};

/* Reads domid's backend counters under sysfs (normally "/sys"; a test
 * passes its own tree). Devices that are missing or unreadable count as
 * absent; never fails. */
void spore_guest_io_read(const char *sysfs, uint32_t domid, struct spore_io_counters *c);

/* CPU use between two samples, in percent of one CPU (a guest using two
 * CPUs fully is at 200, as docker shows it): 0 when no time passed or the
 * counter went back (a different domain). Pure. */
double spore_cpu_percent(uint64_t cpu0_ns, uint64_t cpu1_ns, int64_t wall0_ns, int64_t wall1_ns);

#endif

/* Figures for `sporectl stats`; see guest_stats.h. */
#include "guest_stats.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* One decimal counter file; false if it cannot be read or parsed. */
static bool read_u64(const char *path, uint64_t *v)
{
	FILE *f = fopen(path, "re");
	bool ok = f && fscanf(f, "%" SCNu64, v) == 1;
	if (f)
		fclose(f);
	return ok;
}

void spore_guest_io_read(const char *sysfs, uint32_t domid, struct spore_io_counters *c)
{
	char path[512], prefix[32];
	uint64_t a, b;
	DIR *d;
	struct dirent *e;

	*c = (struct spore_io_counters){0};
	/* netback: its rx is what the guest sent. */
	snprintf(path, sizeof(path), "%s/class/net/vif%" PRIu32 ".0/statistics/rx_bytes", sysfs, domid);
	if (read_u64(path, &a)) {
		snprintf(path, sizeof(path), "%s/class/net/vif%" PRIu32 ".0/statistics/tx_bytes", sysfs,
			 domid);
		if (read_u64(path, &b)) {
			c->net = true;
			c->net_tx = a;
			c->net_rx = b;
		}
	}
	/* blkback: one vbd-<domid>-<dev> per disk; sectors of 512 bytes. */
	snprintf(path, sizeof(path), "%s/bus/xen-backend/devices", sysfs);
	snprintf(prefix, sizeof(prefix), "vbd-%" PRIu32 "-", domid);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "%s/bus/xen-backend/devices/%s/statistics/rd_sect", sysfs,
			 e->d_name);
		if (!read_u64(path, &a))
			continue;
		snprintf(path, sizeof(path), "%s/bus/xen-backend/devices/%s/statistics/wr_sect", sysfs,
			 e->d_name);
		if (!read_u64(path, &b))
			continue;
		c->blk = true;
		c->blk_read += a * 512;
		c->blk_write += b * 512;
	}
	closedir(d);
}

double spore_cpu_percent(uint64_t cpu0_ns, uint64_t cpu1_ns, int64_t wall0_ns, int64_t wall1_ns)
{
	if (wall1_ns <= wall0_ns || cpu1_ns < cpu0_ns)
		return 0.0;
	return (double)(cpu1_ns - cpu0_ns) * 100.0 / (double)(wall1_ns - wall0_ns);
}

/* stats' figures (controller/guest/guest_stats.c): CPU percent, and the
 * backends' counters read from a sysfs tree laid out as Linux's. */
#include "guest_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

static char root[64];

static void put(const char *rel, const char *value)
{
	char path[512], dir[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(value, f);
		fclose(f);
	}
}

int main(void)
{
	struct spore_io_counters c;

	ok(spore_cpu_percent(0, 500000000, 0, 1000000000) == 50.0, "half a second in a second: 50%%");
	ok(spore_cpu_percent(0, 2000000000, 0, 1000000000) == 200.0,
	   "two CPUs busy: 200%%, as docker shows it");
	ok(spore_cpu_percent(5, 5, 0, 1000000000) == 0.0, "idle: 0");
	ok(spore_cpu_percent(10, 5, 0, 1000000000) == 0.0, "a counter that went back (another domain): 0");
	ok(spore_cpu_percent(0, 5, 7, 7) == 0.0 && spore_cpu_percent(0, 5, 8, 7) == 0.0,
	   "no time passed: 0, never a division by zero");

	snprintf(root, sizeof(root), "/tmp/test_guest_stats.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	spore_guest_io_read(root, 7, &c);
	ok(!c.net && !c.blk && !c.net_rx && !c.blk_read, "no backends: no figures, no failure");

	put("class/net/vif7.0/statistics/rx_bytes", "1000\n");
	put("class/net/vif7.0/statistics/tx_bytes", "250\n");
	put("class/net/vif17.0/statistics/rx_bytes", "9\n");
	put("class/net/vif17.0/statistics/tx_bytes", "9\n");
	put("bus/xen-backend/devices/vbd-7-51712/statistics/rd_sect", "8\n");
	put("bus/xen-backend/devices/vbd-7-51712/statistics/wr_sect", "0\n");
	put("bus/xen-backend/devices/vbd-7-51728/statistics/rd_sect", "2\n");
	put("bus/xen-backend/devices/vbd-7-51728/statistics/wr_sect", "4\n");
	put("bus/xen-backend/devices/vbd-70-51712/statistics/rd_sect", "1000\n");
	put("bus/xen-backend/devices/vbd-70-51712/statistics/wr_sect", "1000\n");
	put("bus/xen-backend/devices/vif-7-0/statistics/rd_sect", "1000\n");
	spore_guest_io_read(root, 7, &c);
	ok(c.net && c.net_rx == 250 && c.net_tx == 1000,
	   "network: the container's rx is netback's tx (rx %llu tx %llu)",
	   (unsigned long long)c.net_rx, (unsigned long long)c.net_tx);
	ok(c.blk && c.blk_read == 10 * 512 && c.blk_write == 4 * 512,
	   "block: every vbd-7-* summed, in 512-byte sectors; not vbd-70-* (read %llu write %llu)",
	   (unsigned long long)c.blk_read, (unsigned long long)c.blk_write);

	put("class/net/vif8.0/statistics/rx_bytes", "junk\n");
	put("class/net/vif8.0/statistics/tx_bytes", "5\n");
	spore_guest_io_read(root, 8, &c);
	ok(!c.net, "an unparsable counter: no network figure");

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", root);
	return tap_done();
}

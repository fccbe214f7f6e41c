/* sporectl xen-info: the hypervisor's version, memory and domains, read
 * through spore's own hypercall layer (like a small `xl info` + `xl list`). */
#include "domctl.h"
#include "host_info.h"
#include "hypercall.h"
#include <spore/log.h>
#include <spore/xenstore.h>

#include <errno.h>
#include <stdio.h>
#include <xen/sched.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"

#define MAX_LIST 1024

static void dom0_caps(char *buf, size_t n)
{
	FILE *f = fopen("/proc/xen/capabilities", "r");
	snprintf(buf, n, "-");
	if (!f)
		return;
	if (fgets(buf, (int)n, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

/* xl list's state letters: running, blocked, paused, shutdown, crashed,
 * dying. */
static void state_str(const struct spore_dominfo *d, char s[7])
{
	memcpy(s, "------", 7);
	if (d->flags & XEN_DOMINF_running)
		s[0] = 'r';
	if (d->flags & XEN_DOMINF_blocked)
		s[1] = 'b';
	if (d->flags & XEN_DOMINF_paused)
		s[2] = 'p';
	if (spore_dominfo_shutdown(d)) {
		if (spore_dominfo_shutdown_reason(d) == SHUTDOWN_crash)
			s[4] = 'c';
		else
			s[3] = 's';
	}
	if (spore_dominfo_dying(d))
		s[5] = 'd';
}

int cmd_xen_info(int argc, char **argv, struct spore_err *err)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: sporectl xen-info\n\n"
		       "Print the hypervisor's version, host memory and the domains.\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "Usage: sporectl xen-info\n");
		return cli_usage(err, NULL);
	}

	struct spore_xc *xc;
	int r = spore_xc_open(&xc, err);
	if (r < 0)
		return r;
	const struct spore_xen_version *v = spore_xc_version(xc);
	struct spore_physinfo pi;
	char caps[1024], d0caps[128];
	struct spore_dominfo *doms = calloc(MAX_LIST, sizeof(*doms));

	if (!doms) {
		r = spore_err_set(err, ENOMEM, "xen-info");
		goto out;
	}
	r = spore_xc_physinfo(xc, &pi, err);
	if (r < 0)
		goto out;
	r = spore_xc_capabilities(xc, caps, sizeof(caps), err);
	if (r < 0)
		goto out;
	int n = spore_xc_domain_getinfolist(xc, 0, doms, MAX_LIST, err);
	if (n < 0) {
		r = n;
		goto out;
	}
	dom0_caps(d0caps, sizeof(d0caps));

	printf("xen_version       : %u.%u%s\n", v->major, v->minor, v->extra);
	printf("xen_caps          : %s\n", caps);
	printf("dom0_capabilities : %s\n", d0caps);
	printf("domctl_interface  : 0x%x\n", v->domctl_iv);
	printf("nr_cpus           : %u\n", pi.nr_cpus);
	printf("cpu_mhz           : %u\n", pi.cpu_khz / 1000);
	printf("total_memory      : %llu MiB\n", (unsigned long long)(pi.total_pages >> 8));
	printf("free_memory       : %llu MiB\n", (unsigned long long)(pi.free_pages >> 8));
	printf("domains           : %d\n", n);

	/* Names live in xenstore; the listing is still useful without them. */
	struct spore_xs *xs = NULL;
	struct spore_err xerr = {0};
	if (spore_xs_open(&xs, &xerr) < 0)
		log_info("no domain names: %s", xerr.msg);
	printf("\n%5s %-24s %-6s %9s %5s\n", "ID", "NAME", "STATE", "MEM(MiB)", "VCPUS");
	for (int i = 0; i < n; i++) {
		char path[64], st[7], *name = NULL;
		snprintf(path, sizeof(path), "/local/domain/%u/name", doms[i].domid);
		if (xs && spore_xs_read(xs, 0, path, &name, NULL, &xerr) < 0) {
			spore_err_clear(&xerr);
			name = NULL;
		}
		state_str(&doms[i], st);
		printf("%5u %-24s %-6s %9llu %5u\n", doms[i].domid, name ? name : "-", st,
		       (unsigned long long)(doms[i].tot_pages >> 8), doms[i].nr_online_vcpus);
		free(name);
	}
	spore_xs_close(xs);
	r = 0;
out:
	free(doms);
	spore_xc_close(xc);
	return r;
}

/* What Xen says about the host; see host_info.h. */
#include "hypercall.h"
#include "host_info.h"

#include <errno.h>
#include <string.h>

#include <xen/version.h>

_Static_assert(sizeof(struct xen_sysctl) == 136, "xen_sysctl size");

int spore_xc_physinfo(struct spore_xc *xc, struct spore_physinfo *pi, struct spore_err *err)
{
	struct xen_sysctl s = {.cmd = XEN_SYSCTL_physinfo};
	int r = spore_xc_sysctl(xc, &s, err);
	if (r < 0)
		return spore_err_wrap(err, "physinfo");
	const struct xen_sysctl_physinfo *p = &s.u.physinfo;
	*pi = (struct spore_physinfo){
		.nr_cpus = p->nr_cpus,
		.threads_per_core = p->threads_per_core,
		.cores_per_socket = p->cores_per_socket,
		.nr_nodes = p->nr_nodes,
		.cpu_khz = p->cpu_khz,
		.capabilities = p->capabilities,
		.total_pages = p->total_pages,
		.free_pages = p->free_pages,
		.scrub_pages = p->scrub_pages,
		.outstanding_pages = p->outstanding_pages,
	};
	return 0;
}

int spore_xc_capabilities(struct spore_xc *xc, char *out, size_t n, struct spore_err *err)
{
	char *buf = spore_xc_buf_alloc(xc, sizeof(xen_capabilities_info_t), err);
	if (!buf)
		return spore_xc_errcode(err);
	long r = spore_xc_hypercall(xc, __HYPERVISOR_xen_version, XENVER_capabilities,
				    (uintptr_t)buf, 0, 0, 0);
	if (r >= 0 && n > 0) {
		size_t l = strnlen(buf, sizeof(xen_capabilities_info_t));
		if (l >= n)
			l = n - 1;
		memcpy(out, buf, l);
		out[l] = 0;
	}
	spore_xc_buf_free(xc, buf, sizeof(xen_capabilities_info_t));
	if (r < 0)
		return spore_err_set(err, (int)-r, "XENVER_capabilities");
	return 0;
}

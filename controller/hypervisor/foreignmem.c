/* Foreign memory mappings through privcmd. See foreignmem.h. */
#include "foreignmem.h"
#include <spore/log.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define PAGE 4096u

_Static_assert(IOCTL_PRIVCMD_MMAPBATCH_V2 == 0x00205004, "IOCTL_PRIVCMD_MMAPBATCH_V2");
_Static_assert(IOCTL_PRIVCMD_MMAP_RESOURCE == 0x00205007, "IOCTL_PRIVCMD_MMAP_RESOURCE");
_Static_assert(XENMEM_resource_grant_table == 1, "grant table resource type 1");

/* privcmd hands out the VMA first; the ioctl then fills it with frames. */
static void *reserve(struct spore_xc *xc, size_t len, int prot, struct spore_err *err)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, spore_xc_privcmd_fd(xc), 0);
	if (p == MAP_FAILED) {
		spore_err_set(err, errno, "reserving %zu bytes for a foreign mapping", len);
		return NULL;
	}
	return p;
}

int spore_fmem_map(struct spore_xc *xc, uint32_t domid, int prot, const xen_pfn_t *frames,
		   size_t n, struct spore_fmap *out, struct spore_err *err)
{
	out->addr = NULL;
	out->len = 0;
	if (n == 0 || n > UINT32_MAX / PAGE)
		return spore_err_setx(err, EINVAL, "mapping %zu frames of domain %u", n, domid);

	size_t len = n * PAGE;
	int *errs = calloc(n, sizeof(*errs));
	if (!errs)
		return spore_err_set(err, ENOMEM, "mapping domain %u", domid);
	void *addr = reserve(xc, len, prot, err);
	if (!addr) {
		free(errs);
		return err && err->code ? -err->code : -ENOMEM;
	}
	privcmd_mmapbatch_v2_t batch = {
		.num = (unsigned)n,
		.dom = (domid_t)domid,
		.addr = (uintptr_t)addr,
		.arr = frames,
		.err = errs,
	};
	int r = 0;
	if (ioctl(spore_xc_privcmd_fd(xc), IOCTL_PRIVCMD_MMAPBATCH_V2, &batch) < 0)
		r = -errno;
	/* Per-frame errors come back in errs[] even when the ioctl succeeds. */
	for (size_t i = 0; i < n; i++) {
		if (errs[i]) {
			r = spore_err_set(err, -errs[i], "mapping frame %#llx (%zu of %zu) of domain %u",
					  (unsigned long long)frames[i], i, n, domid);
			break;
		}
	}
	if (r < 0 && !(err && err->code))
		r = spore_err_set(err, -r, "mapping %zu frames of domain %u", n, domid);
	free(errs);
	if (r < 0) {
		munmap(addr, len);
		return r;
	}
	out->addr = addr;
	out->len = len;
	return 0;
}

int spore_fmem_map_resource(struct spore_xc *xc, uint32_t domid, unsigned type, unsigned id,
			    unsigned idx, size_t nframes, int prot, struct spore_fmap *out,
			    struct spore_err *err)
{
	out->addr = NULL;
	out->len = 0;
	if (nframes == 0 || nframes > UINT32_MAX / PAGE)
		return spore_err_setx(err, EINVAL, "mapping %zu resource frames", nframes);

	size_t len = nframes * PAGE;
	void *addr = reserve(xc, len, prot, err);
	if (!addr)
		return err && err->code ? -err->code : -ENOMEM;
	privcmd_mmap_resource_t res = {
		.dom = (domid_t)domid,
		.type = type,
		.id = id,
		.idx = idx,
		.num = nframes,
		.addr = (uintptr_t)addr,
	};
	if (ioctl(spore_xc_privcmd_fd(xc), IOCTL_PRIVCMD_MMAP_RESOURCE, &res) < 0) {
		int e = errno;
		munmap(addr, len);
		if (e == ENOTTY || e == EOPNOTSUPP)
			return spore_err_setx(err, EOPNOTSUPP,
					      "mapping resource %u/%u of domain %u: not supported "
					      "by this kernel or hypervisor", type, id, domid);
		return spore_err_set(err, e, "mapping resource %u/%u frame %u of domain %u", type,
				     id, idx, domid);
	}
	out->addr = addr;
	out->len = len;
	return 0;
}

void spore_fmem_unmap(struct spore_fmap *m)
{
	if (m->addr && munmap(m->addr, m->len) < 0)
		log_warn("unmapping a foreign mapping: %s", strerror(errno));
	m->addr = NULL;
	m->len = 0;
}

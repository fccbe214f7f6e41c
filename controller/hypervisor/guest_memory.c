/* A new guest's memory; see guest_memory.h. */
#include "hypercall.h"
#include "guest_memory.h"

#include <errno.h>
#include <string.h>

#include <xen/memory.h>

_Static_assert(sizeof(struct spore_e820) == 20, "e820 entry is packed to 20 bytes");
_Static_assert(XENMEM_populate_physmap == 6, "populate_physmap is memory op 6");

long spore_xc_populate_physmap(struct spore_xc *xc, uint32_t domid, unsigned order,
			       unsigned mem_flags, xen_pfn_t *pfns, size_t n,
			       struct spore_err *err)
{
	/* Bounce through a fixed window so huge requests need no huge buffer. */
	const size_t chunk = 8192;
	size_t blen = (n < chunk ? n : chunk) * sizeof(xen_pfn_t);
	size_t done = 0;
	long r = 0;

	if (n == 0)
		return 0;
	xen_pfn_t *buf = spore_xc_buf_alloc(xc, blen, err);
	struct xen_memory_reservation *res = spore_xc_buf_alloc(xc, sizeof(*res), err);
	if (!buf || !res) {
		r = spore_xc_errcode(err);
		goto out;
	}
	while (done < n) {
		size_t k = n - done < chunk ? n - done : chunk;
		memcpy(buf, pfns + done, k * sizeof(*buf));
		memset(res, 0, sizeof(*res));
		set_xen_guest_handle(res->extent_start, buf);
		res->nr_extents = k;
		res->extent_order = order;
		res->mem_flags = mem_flags;
		res->domid = (domid_t)domid;
		r = spore_xc_hypercall(xc, __HYPERVISOR_memory_op, XENMEM_populate_physmap,
				       (uintptr_t)res, 0, 0, 0);
		if (r < 0) {
			spore_err_set(err, (int)-r, "populate_physmap (domain %u, order %u)",
				      domid, order);
			goto out;
		}
		memcpy(pfns + done, buf, (size_t)r * sizeof(*buf));
		done += (size_t)r;
		if ((size_t)r < k)
			break;
	}
	r = (long)done;
out:
	spore_xc_buf_free(xc, buf, blen);
	spore_xc_buf_free(xc, res, sizeof(*res));
	return r;
}

int spore_xc_set_memory_map(struct spore_xc *xc, uint32_t domid, const struct spore_e820 *map,
			    size_t n, struct spore_err *err)
{
	size_t len = n * sizeof(*map);
	struct spore_e820 *buf = spore_xc_buf_alloc(xc, len, err);
	struct xen_foreign_memory_map *fmap = spore_xc_buf_alloc(xc, sizeof(*fmap), err);
	long r;

	if (!buf || !fmap) {
		r = spore_xc_errcode(err);
		goto out;
	}
	memcpy(buf, map, len);
	fmap->domid = (domid_t)domid;
	fmap->map.nr_entries = (unsigned)n;
	set_xen_guest_handle(fmap->map.buffer, buf);
	r = spore_xc_hypercall(xc, __HYPERVISOR_memory_op, XENMEM_set_memory_map,
			       (uintptr_t)fmap, 0, 0, 0);
	if (r < 0)
		spore_err_set(err, (int)-r, "set_memory_map (domain %u)", domid);
out:
	spore_xc_buf_free(xc, buf, len);
	spore_xc_buf_free(xc, fmap, sizeof(*fmap));
	return r < 0 ? (int)r : 0;
}

int spore_xc_pin_l4(struct spore_xc *xc, uint32_t domid, uint64_t mfn, struct spore_err *err)
{
	struct mmuext_op *op = spore_xc_buf_alloc(xc, sizeof(*op), err);
	if (!op)
		return spore_xc_errcode(err);
	op->cmd = MMUEXT_PIN_L4_TABLE;
	op->arg1.mfn = mfn;
	long r = spore_xc_hypercall(xc, __HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, domid, 0);
	spore_xc_buf_free(xc, op, sizeof(*op));
	if (r < 0)
		return spore_err_set(err, (int)-r, "pinning L4 table mfn %#llx (domain %u)",
				     (unsigned long long)mfn, domid);
	return 0;
}

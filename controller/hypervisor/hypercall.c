/* privcmd handle, hypercall-safe buffers, version probe, domctl/sysctl
 * bounce. See hypercall.h. */
#include "hypercall.h"
#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/version.h>

#define PAGE 4096u

struct spore_xc {
	int privcmd;
	int hbuf;      /* /dev/xen/hypercall, or -1: use locked anonymous memory */
	void *scratch; /* one hypercall-safe page for domctl/sysctl structs */
	struct spore_xen_version ver;
};

_Static_assert(sizeof(struct xen_domctl) <= PAGE, "xen_domctl fits the scratch page");
_Static_assert(sizeof(struct xen_sysctl) <= PAGE, "xen_sysctl fits the scratch page");
/* The ABI spoken here, checked against the installed headers (Xen 4.17's). */
_Static_assert(XEN_DOMCTL_INTERFACE_VERSION == 0x15, "headers are Xen 4.17's (domctl 0x15)");
_Static_assert(XEN_SYSCTL_INTERFACE_VERSION == 0x15, "sysctl interface 0x15");
_Static_assert(sizeof(privcmd_hypercall_t) == 48, "privcmd_hypercall size");
_Static_assert(IOCTL_PRIVCMD_HYPERCALL == 0x00305000, "IOCTL_PRIVCMD_HYPERCALL");
_Static_assert(__HYPERVISOR_domctl == 36 && __HYPERVISOR_sysctl == 35, "hypercall numbers");

uint32_t spore_xc_domctl_iv_for(unsigned major, unsigned minor)
{
	/* The structures spore uses are identical across these; 4.19 moved
	 * createdomain's tail, which domctl.c lays out per version. */
	static const struct {
		unsigned major, minor;
		uint32_t iv;
	} known[] = {
		{4, 17, 0x15},
		{4, 18, 0x16},
		{4, 19, 0x17},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].major == major && known[i].minor == minor)
			return known[i].iv;
	return 0;
}

long spore_xc_hypercall(struct spore_xc *xc, unsigned op, uint64_t a0, uint64_t a1,
			uint64_t a2, uint64_t a3, uint64_t a4)
{
	privcmd_hypercall_t call = {.op = op, .arg = {a0, a1, a2, a3, a4}};
	long r = ioctl(xc->privcmd, IOCTL_PRIVCMD_HYPERCALL, &call);
	return r < 0 ? -errno : r;
}

static size_t page_round(size_t size)
{
	return (size + PAGE - 1) & ~(size_t)(PAGE - 1);
}

void *spore_xc_buf_alloc(struct spore_xc *xc, size_t size, struct spore_err *err)
{
	size_t len = page_round(size ? size : 1);
	void *p;

	if (xc->hbuf >= 0) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, xc->hbuf, 0);
		if (p == MAP_FAILED) {
			spore_err_set(err, errno, "mapping %zu bytes of hypercall buffer", len);
			return NULL;
		}
	} else {
		/* Locked, not inherited by children, and touched so that no page
		 * is copy-on-write or missing when Xen reads it. */
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
		if (p == MAP_FAILED) {
			spore_err_set(err, errno, "allocating %zu bytes of locked memory", len);
			return NULL;
		}
		if (madvise(p, len, MADV_DONTFORK) < 0)
			log_debug("hypercall buffer: madvise(DONTFORK): %s", strerror(errno));
	}
	memset(p, 0, len);
	return p;
}

void spore_xc_buf_free(struct spore_xc *xc, void *buf, size_t size)
{
	(void)xc;
	if (buf)
		munmap(buf, page_round(size ? size : 1));
}

static int probe_version(struct spore_xc *xc, struct spore_err *err)
{
	long v = spore_xc_hypercall(xc, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	if (v < 0)
		return spore_err_set(err, (int)-v, "asking Xen for its version");
	xc->ver.major = (unsigned)((unsigned long)v >> 16);
	xc->ver.minor = (unsigned)(v & 0xffff);

	memset(xc->scratch, 0, sizeof(xen_extraversion_t));
	long r = spore_xc_hypercall(xc, __HYPERVISOR_xen_version, XENVER_extraversion,
				    (uintptr_t)xc->scratch, 0, 0, 0);
	if (r >= 0) {
		memcpy(xc->ver.extra, xc->scratch, sizeof(xc->ver.extra));
		xc->ver.extra[sizeof(xc->ver.extra) - 1] = 0;
	}

	xc->ver.domctl_iv = spore_xc_domctl_iv_for(xc->ver.major, xc->ver.minor);
	xc->ver.sysctl_iv = XEN_SYSCTL_INTERFACE_VERSION; /* 0x15 in 4.17 to 4.19 */
	if (!xc->ver.domctl_iv)
		return spore_err_setx(err, EOPNOTSUPP,
				      "unsupported Xen version %u.%u%s (spore supports 4.17, "
				      "4.18 and 4.19)", xc->ver.major, xc->ver.minor,
				      xc->ver.extra);
	log_debug("xen %u.%u%s, domctl interface 0x%x", xc->ver.major, xc->ver.minor,
		  xc->ver.extra, xc->ver.domctl_iv);
	return 0;
}

int spore_xc_open(struct spore_xc **xcp, struct spore_err *err)
{
	struct spore_xc *xc = calloc(1, sizeof(*xc));
	int r;

	if (!xc)
		return spore_err_set(err, ENOMEM, "privcmd handle");
	xc->hbuf = -1;
	xc->privcmd = open(SPORE_PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	if (xc->privcmd < 0 && errno == ENOENT)
		xc->privcmd = open("/proc/xen/privcmd", O_RDWR | O_CLOEXEC);
	if (xc->privcmd < 0) {
		int e = errno;
		free(xc);
		if (e == ENOENT)
			return spore_err_setx(err, ENOENT,
					      "cannot open %s: no such device (not running in "
					      "a Xen dom0, or xen_privcmd not loaded?)",
					      SPORE_PRIVCMD_PATH);
		if (e == EACCES || e == EPERM)
			return spore_err_set(err, e, "cannot open %s (run as root)",
					     SPORE_PRIVCMD_PATH);
		return spore_err_set(err, e, "cannot open %s", SPORE_PRIVCMD_PATH);
	}
	xc->hbuf = open(SPORE_HYPERCALL_BUF_PATH, O_RDWR | O_CLOEXEC);
	if (xc->hbuf < 0)
		log_debug("%s: %s; using locked memory for hypercall buffers",
			  SPORE_HYPERCALL_BUF_PATH, strerror(errno));
	xc->scratch = spore_xc_buf_alloc(xc, PAGE, err);
	if (!xc->scratch) {
		spore_xc_close(xc);
		return err && err->code ? -err->code : -ENOMEM;
	}
	r = probe_version(xc, err);
	if (r < 0) {
		spore_xc_close(xc);
		return r;
	}
	*xcp = xc;
	return 0;
}

void spore_xc_close(struct spore_xc *xc)
{
	if (!xc)
		return;
	spore_xc_buf_free(xc, xc->scratch, PAGE);
	if (xc->hbuf >= 0)
		close(xc->hbuf);
	if (xc->privcmd >= 0)
		close(xc->privcmd);
	free(xc);
}

const struct spore_xen_version *spore_xc_version(const struct spore_xc *xc)
{
	return &xc->ver;
}

int spore_xc_privcmd_fd(const struct spore_xc *xc)
{
	return xc->privcmd;
}

static const char *domctl_name(uint32_t cmd)
{
	switch (cmd) {
	case XEN_DOMCTL_createdomain: return "createdomain";
	case XEN_DOMCTL_destroydomain: return "destroydomain";
	case XEN_DOMCTL_pausedomain: return "pausedomain";
	case XEN_DOMCTL_unpausedomain: return "unpausedomain";
	case XEN_DOMCTL_getdomaininfo: return "getdomaininfo";
	case XEN_DOMCTL_max_mem: return "max_mem";
	case XEN_DOMCTL_setvcpucontext: return "setvcpucontext";
	case XEN_DOMCTL_max_vcpus: return "max_vcpus";
	case XEN_DOMCTL_hypercall_init: return "hypercall_init";
	default: return "domctl";
	}
}

int spore_xc_domctl(struct spore_xc *xc, struct xen_domctl *d, struct spore_err *err)
{
	d->interface_version = xc->ver.domctl_iv;
	memcpy(xc->scratch, d, sizeof(*d));
	long r = spore_xc_hypercall(xc, __HYPERVISOR_domctl, (uintptr_t)xc->scratch, 0, 0, 0, 0);
	memcpy(d, xc->scratch, sizeof(*d));
	if (r < 0)
		return spore_err_set(err, (int)-r, "%s (domain %u)", domctl_name(d->cmd),
				     d->domain);
	return 0;
}

int spore_xc_sysctl(struct spore_xc *xc, struct xen_sysctl *s, struct spore_err *err)
{
	s->interface_version = xc->ver.sysctl_iv;
	memcpy(xc->scratch, s, sizeof(*s));
	long r = spore_xc_hypercall(xc, __HYPERVISOR_sysctl, (uintptr_t)xc->scratch, 0, 0, 0, 0);
	memcpy(s, xc->scratch, sizeof(*s));
	if (r < 0)
		return spore_err_set(err, (int)-r, "sysctl %u", s->cmd);
	return 0;
}

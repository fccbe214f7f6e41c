/* Hypercalls through /dev/xen/privcmd, without libxencall/libxenctrl.
 *
 * A handle owns the privcmd fd, the optional /dev/xen/hypercall fd that
 * hands out hypercall-safe pages, and one such page reused as the bounce
 * buffer for domctl/sysctl structs. Opening it probes the hypervisor version
 * and picks the domctl interface version for it (4.17: 0x15, 4.18: 0x16,
 * 4.19: 0x17); other versions are refused. A handle is not thread-safe.
 *
 * Xen reads hypercall arguments from our virtual addresses and cannot fault
 * pages in for us, so everything Xen dereferences must live in memory from
 * spore_xc_buf_alloc(): kernel-allocated pages from /dev/xen/hypercall, or
 * locked anonymous memory on kernels without that device. */
#ifndef SPORE_HYPERCALL_H
#define SPORE_HYPERCALL_H

/* domctl.h and sysctl.h are toolstack-only interfaces. Include this header
 * before any other Xen header so that they all see the same version. */
#ifndef __XEN_TOOLS__
#define __XEN_TOOLS__ 1
#endif

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <xen/xen.h>
#include <xen/domctl.h>
#include <xen/sysctl.h>
#include <xen/version.h>
#include <xen/sys/privcmd.h>

#include <spore/err.h>

#define SPORE_PRIVCMD_PATH "/dev/xen/privcmd"
#define SPORE_HYPERCALL_BUF_PATH "/dev/xen/hypercall"

struct spore_xc;

struct spore_xen_version {
	unsigned major, minor;
	char extra[XEN_EXTRAVERSION_LEN]; /* ".7" or "-unstable" */
	uint32_t domctl_iv;               /* domctl interface version in use */
	uint32_t sysctl_iv;
};

/* Opens privcmd and probes the version. Fails with one clear line when not
 * in dom0 (no privcmd) or on an unsupported hypervisor. */
int spore_xc_open(struct spore_xc **xcp, struct spore_err *err);
void spore_xc_close(struct spore_xc *xc);
const struct spore_xen_version *spore_xc_version(const struct spore_xc *xc);
/* The privcmd fd, for foreign mappings. */
int spore_xc_privcmd_fd(const struct spore_xc *xc);

/* Maps the (major, minor) hypervisor version to its domctl interface
 * version; 0 if spore does not support it. Pure, for tests. */
uint32_t spore_xc_domctl_iv_for(unsigned major, unsigned minor);

/* Raw hypercall: returns Xen's non-negative result or -errno. */
long spore_xc_hypercall(struct spore_xc *xc, unsigned op, uint64_t a0, uint64_t a1,
			uint64_t a2, uint64_t a3, uint64_t a4);

/* Hypercall-safe memory, zeroed, page granular. Free with the same size. */
void *spore_xc_buf_alloc(struct spore_xc *xc, size_t size, struct spore_err *err);
void spore_xc_buf_free(struct spore_xc *xc, void *buf, size_t size);
/* The code a failed spore_xc_buf_alloc left in err (which may be NULL). */
static inline int spore_xc_errcode(const struct spore_err *err)
{
	return err && err->code ? -err->code : -ENOMEM;
}

/* Issues a domctl/sysctl: fills in interface_version, bounces the struct
 * through hypercall-safe memory and copies the result back (they are
 * IN/OUT). Returns 0 or -errno with err saying which op failed. */
int spore_xc_domctl(struct spore_xc *xc, struct xen_domctl *d, struct spore_err *err);
int spore_xc_sysctl(struct spore_xc *xc, struct xen_sysctl *s, struct spore_err *err);

#endif

/* A guest's grants and event channel as an unprivileged process reaches
 * them: /dev/xen/gntdev (map the two ring pages once; move packet data with
 * batched grant copies) and /dev/xen/evtchn (one interdomain port).
 *
 * Open both devices while still root (they are root's 0600 nodes); once
 * open, the calls below need no privilege, only ioctl/mmap/read/write on
 * these fds. gntdev mappings belong to the process that opened the device
 * (not inherited by fork): open them in the process that uses them. Unmap
 * before the guest is destroyed: a mapped grant keeps a dead domain as a
 * zombie holding its memory. */
#ifndef SPORE_NET_XENDEV_H
#define SPORE_NET_XENDEV_H

#include <spore/err.h>

#include <stdbool.h>
#include <stdint.h>

#include "net_ring.h"

struct ioctl_gntdev_grant_copy_segment;

/* One guest's devices. */
struct nb_xendev {
	int gnt, evt;        /* -1 when closed */
	uint32_t domid;
	uint32_t port;       /* our side of the bound channel, or UINT32_MAX */
};

/* Opens both devices for domid; the event channel fd is restricted to
 * that domain where the kernel supports it. */
int nb_xendev_open(struct nb_xendev *x, uint32_t domid, struct spore_err *err);
/* Unbinds, closes (unmapping nothing: call nb_xendev_unmap first). */
void nb_xendev_close(struct nb_xendev *x);

/* Maps one grant of the guest read-write; *page is the mapping, *index
 * what unmapping needs. */
int nb_xendev_map(struct nb_xendev *x, uint32_t gref, void **page, uint64_t *index,
		  struct spore_err *err);
/* Unmaps a page nb_xendev_map() returned (a NULL page is ignored). */
void nb_xendev_unmap(struct nb_xendev *x, void *page, uint64_t index);

/* Binds the guest's unbound port; the local port goes into x->port. */
int nb_xendev_bind(struct nb_xendev *x, uint32_t remote_port, struct spore_err *err);
/* Kicks the guest. */
int nb_xendev_notify(struct nb_xendev *x);
/* Takes the pending events and unmasks the port. Returns how many were
 * pending (0 if none, without blocking: the fd is non-blocking). */
int nb_xendev_events(struct nb_xendev *x);

/* Grant copy segments between guest grants and our memory. */
void nb_copy_from_guest(struct ioctl_gntdev_grant_copy_segment *s, uint32_t domid,
			const struct nb_seg *g, void *dst);
void nb_copy_to_guest(struct ioctl_gntdev_grant_copy_segment *s, uint32_t domid,
		      const struct nb_seg *g, const void *src);
/* Runs n segments (the kernel batches them into hypercalls). Returns 0
 * with each segment's status in s[i].status (GNTST_okay is 0; a bad grant
 * is the guest's fault and fails only its segment), or -errno if the ioctl
 * itself failed. */
int nb_xendev_copy(struct nb_xendev *x, struct ioctl_gntdev_grant_copy_segment *s, unsigned n,
		   struct spore_err *err);

#endif

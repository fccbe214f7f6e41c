/* Read-only loop devices for image files, set up directly through
 * /dev/loop-control and the loop ioctls (no losetup). */
#ifndef SPORE_LOOPDEV_H
#define SPORE_LOOPDEV_H

#include <spore/err.h>

#include <sys/types.h>

struct spore_loop {
	char path[32]; /* /dev/loopN */
	dev_t rdev;    /* its major:minor, for blkback's physical-device */
};

/* Binds file to a free loop device, read-only. */
int spore_loop_attach(const char *file, struct spore_loop *out, struct spore_err *err);
/* Unbinds path. A device still open (e.g. by blkback) is marked to unbind
 * itself on last close, which the kernel does for LOOP_CLR_FD on a busy
 * device; a device already free is not an error. */
int spore_loop_detach(const char *path, struct spore_err *err);

#endif

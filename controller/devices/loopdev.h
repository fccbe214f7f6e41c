/* Loop devices for image files (read-only) and volumes (read-write), set up
 * directly through /dev/loop-control and the loop ioctls (no losetup). */
#ifndef SPORE_LOOPDEV_H
#define SPORE_LOOPDEV_H

#include <spore/err.h>

#include <sys/types.h>

struct spore_loop {
	char path[32]; /* /dev/loopN */
	dev_t rdev;    /* its major:minor, for blkback's physical-device */
};

/* A guest's loop devices carry the tag "spore:<uuid>" (SPORE_LOOP_TAG_FMT
 * with the guest's UUID), so that its teardown finds every one of them, even
 * those a launch killed half-way never recorded. */
#define SPORE_LOOP_TAG_FMT "spore:%s"

/* Binds file to a free loop device, read-only, tagged with tag (at most 63
 * bytes, kept as the device's lo_file_name). */
int spore_loop_attach(const char *file, const char *tag, struct spore_loop *out,
		      struct spore_err *err);
/* The same, read-write (a managed volume's file). */
int spore_loop_attach_rw(const char *file, const char *tag, struct spore_loop *out,
			 struct spore_err *err);
/* The same for an open file (e.g. a memfd); file names it in errors. The
 * device holds its own reference: ffd may be closed afterwards. */
int spore_loop_attach_fd(int ffd, const char *file, const char *tag, struct spore_loop *out,
			 struct spore_err *err);
/* Unbinds every loop device tagged exactly tag (as with spore_loop_detach:
 * LOOP_CLR_FD: busy ones unbind on last close). */
int spore_loop_detach_tagged(const char *tag, struct spore_err *err);
/* Unbinds path. A device still open (e.g. by blkback) is marked to unbind
 * itself on last close, which the kernel does for LOOP_CLR_FD on a busy
 * device; a device already free is not an error. */
int spore_loop_detach(const char *path, struct spore_err *err);

#endif

/* The container's root directory (containerd's snapshot overlay at
 * BUNDLE/rootfs, podman's merged directory) as the guest's read-only
 * squashfs image: gensquashfs (squashfs-tools-ng) packs the directory with
 * lz4, fast (tens of MB/s, no tar stream in between).
 *
 * Cache: an overlay mount whose upper layer is still empty is exactly its
 * lower layers, which containerd and podman never change: the image is
 * kept as $SPORE_ROOT/runc/images/<sha256 of the lowerdir list>.sqfs and
 * shared by every container of that snapshot chain. Any other directory
 * gets an image of its own, made per container and removed by delete. */
#ifndef SPORE_RUNC_ROOTFS_IMAGE_H
#define SPORE_RUNC_ROOTFS_IMAGE_H

#include <spore/err.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct runc_rootfs_image {
	char path[PATH_MAX];
	bool shared; /* a cache entry: delete leaves it */
	bool cached; /* it existed already */
};

/* From one /proc/self/mountinfo line: whether it is an overlay mounted on
 * mnt (a resolved path), and then its lowerdir= and upperdir= (NUL-ended
 * into lower/upper; "" when absent). Octal escapes (\040) are decoded.
 * 1 for a match, 0 for another mount, -EINVAL for a malformed line. Pure. */
int runc_mountinfo_overlay(const char *line, const char *mnt, char *lower, size_t lower_n,
			   char *upper, size_t upper_n);

/* The image for rootfs (a directory; id names a private image). */
int runc_rootfs_image(const char *rootfs, const char *id, struct runc_rootfs_image *img,
		      struct spore_err *err);

#endif

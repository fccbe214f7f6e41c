/* The container's writable root on a disk, not in RAM: the overlay's upper
 * layer on an empty ext4 filesystem in a sparse, unnamed file (as a host
 * path's snapshot: struct spore_unnamed, host_snapshot.h), which
 * launch puts on a read-write loop device tagged with the guest's UUID.
 * The file has no name: it goes with the loop device at the teardown, and
 * with sporectl's fd if it is killed first (the fallback's name: at close,
 * or at the next launch). */
#ifndef SPORE_ROOTFS_DISK_H
#define SPORE_ROOTFS_DISK_H

#include "host_snapshot.h"
#include <spore/err.h>

#include <stdint.h>

/* 10 GiB, docker's devicemapper base size: sparse, it costs dom0 about
 * 4 MiB of metadata plus what the container writes, until the guest goes. */
#define SPORE_ROOTFS_DEFAULT_SIZE (10ull << 30)

struct spore_rootfs_disk {
	struct spore_unnamed u;
	char path[48];   /* /proc/<pid>/fd/N: for mkfs.ext4 and the loop device */
};

/* Makes an empty ext4 filesystem of size bytes (SPORE_VOLUME_MIN_SIZE..
 * SPORE_VOLUME_MAX_SIZE) in an unnamed file. */
int spore_rootfs_disk_make(uint64_t size, struct spore_rootfs_disk *d, struct spore_err *err);

void spore_rootfs_disk_close(struct spore_rootfs_disk *d);

#endif

/* The writable root's disk; see rootfs_disk.h. */
#include "rootfs_disk.h"

#include "host_snapshot.h"
#include "volume_mkfs.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int spore_rootfs_disk_make(uint64_t size, struct spore_rootfs_disk *d, struct spore_err *err)
{
	int r;

	if ((r = spore_unnamed_file(&d->u, err)) < 0)
		return spore_err_wrap(err, "root disk");
	/* The parent's /proc entry: mkfs.ext4 runs in a child, after exec,
	 * where a close-on-exec fd of its own would be gone. */
	snprintf(d->path, sizeof(d->path), "/proc/%d/fd/%d", (int)getpid(), d->u.fd);
	if (ftruncate(d->u.fd, (off_t)size) < 0)
		r = spore_err_set(err, errno, "root disk of %llu bytes", (unsigned long long)size);
	else
		r = spore_volume_mkfs(d->path, "spore-root", err);
	if (r < 0) {
		spore_err_wrap(err, "root disk");
		spore_rootfs_disk_close(d);
	}
	return r < 0 ? r : 0;
}

void spore_rootfs_disk_close(struct spore_rootfs_disk *d)
{
	spore_unnamed_close(&d->u);
}

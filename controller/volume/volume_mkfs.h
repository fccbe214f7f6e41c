/* Making a volume's filesystem: e2fsprogs' mkfs.ext4 as a child process.
 *
 * Why ext4: its journal replays on the next mount after a hard kill of the
 * guest (destroy with no grace), e2fsck can check and repair a volume from
 * dom0, mkfs.ext4 on a sparse file writes only metadata (~700 KiB for
 * 1 GiB, tests/integration/volume.sh measures it) and in well under a
 * second, and the guest kernel needs only ext4 and jbd2 built in. (XFS
 * wants 300 MiB at least and xfsprogs in dom0; btrfs is more kernel for no
 * gain here; ext2 has no journal.) */
#ifndef SPORE_VOLUME_MKFS_H
#define SPORE_VOLUME_MKFS_H

#include <spore/err.h>

/* Formats the file at path (already sized) as ext4, root directory owned
 * by root. The child dies with the caller (PR_SET_PDEATHSIG): a killed
 * sporectl leaves no mkfs writing to a file nobody will keep. */
int spore_volume_mkfs(const char *path, const char *label, struct spore_err *err);

#endif

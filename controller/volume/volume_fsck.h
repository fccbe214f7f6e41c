/* A volume left dirty (its guest destroyed without a grace, so sporeinit
 * never unmounted it) is checked before its next attachment: e2fsck -p
 * replays the journal and fixes what is safe to fix, in dom0, where the
 * outcome can be reported, and so that a read-only attachment (which
 * cannot replay a journal) mounts too. */
#ifndef SPORE_VOLUME_FSCK_H
#define SPORE_VOLUME_FSCK_H

#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>

/* From an ext2/3/4 superblock (the 1024 bytes at offset 1024 of the
 * filesystem): whether it needs a check (a journal to replay, or not
 * marked clean). -EINVAL if it is not one. Pure: unit-tested. */
int spore_ext4_needs_check(const unsigned char *sb, size_t len, bool *needs);

/* Checks the volume file at path if its superblock says it needs it:
 * returns 0 when it was clean (nothing run), 1 when e2fsck -p ran and left
 * it consistent (*outcome says what it did, one line), or -errno when it
 * could not be read or e2fsck found what it may not fix alone (err names
 * the run's last line). */
int spore_volume_fsck(const char *path, char *outcome, size_t n, struct spore_err *err);

#endif

/* Managed volumes' pure rules: names, mount specs and the guest record's list of
 * attached volumes. No I/O; unit-tested in tests/unit/test_volume.c. */
#ifndef SPORE_VOLUME_RULES_H
#define SPORE_VOLUME_RULES_H

#include <spore/bundle.h>
#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest name: docker's anonymous volumes are 64 hex digits. */
#define SPORE_VOLUME_NAME_MAX 64
/* 1 GiB: the file is sparse, so a volume costs a few hundred KiB of dom0's
 * disk until the guest writes to it. */
#define SPORE_VOLUME_DEFAULT_SIZE (1ull << 30)
/* Below 16 MiB ext4 gets no useful journal; 16 TiB is ext4's (and a host
 * ext4's largest file's) limit with 4 KiB blocks. */
#define SPORE_VOLUME_MIN_SIZE (16ull << 20)
#define SPORE_VOLUME_MAX_SIZE (16ull << 40)

/* Docker's rule, [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most SPORE_VOLUME_NAME_MAX
 * bytes. A valid name is a safe file name (no '/', never "." or "..", no
 * leading '.', which the store keeps for its own files) and prints as is. */
bool spore_volume_name_valid(const char *name);

/* Copies s for a message: bytes outside printable ASCII as \xHH, cut to
 * fit n (with "..."), so that what a user typed, valid or not, never
 * reaches a terminal as raw control bytes. Returns out. */
const char *spore_volume_printable(const char *s, char *out, size_t n);

/* The guest record's `volumes` value lists the volumes a guest has
 * attached: space-separated entries NAME or NAME:ro. Whether name is one
 * of them (in either mode). */
bool spore_volume_list_has(const char *list, const char *name);

/* Longest container path a volume mounts on. */
#define SPORE_VOLUME_TARGET_MAX 1023

/* One `launch -v`/`--volume` as docker reads a named volume:
 * NAME:/path[:ro|:rw]. */
struct spore_volume_mount {
	char name[SPORE_VOLUME_NAME_MAX + 1];
	char target[SPORE_VOLUME_TARGET_MAX + 1]; /* absolute, no "." or "..",
						     no repeated or trailing '/' */
	bool ro;
};

/* Parses spec into *m. -EINVAL with one line naming spec for a host path
 * ("/host/dir:/path", not supported yet), a bad name, a target that is not
 * absolute, has a "." or ".." component or is "/", or a mode other than ro
 * or rw. */
int spore_volume_mount_parse(const char *spec, struct spore_volume_mount *m,
			     struct spore_err *err);

/* Whether m[n - 1] may join m[0..n-2]: -EINVAL if its target is already
 * another's, or its volume is already attached (a filesystem is mounted by
 * one device of one guest at a time). */
int spore_volume_mount_check(const struct spore_volume_mount *m, size_t n,
			     struct spore_err *err);

/* One `launch --tmpfs` as docker reads it: /path[:OPTS], OPTS a comma list
 * of size=SIZE (the sizes above, above 0), mode=OCTAL (<= 7777), ro, rw,
 * exec, noexec, suid, nosuid, dev, nodev. Docker's defaults: mode 1777 (the
 * kernel's), no size (the kernel's, half the guest's RAM), noexec, nosuid,
 * nodev. */
struct spore_tmpfs_mount {
	char target[SPORE_VOLUME_TARGET_MAX + 1]; /* as spore_volume_mount's */
	uint64_t size;                            /* 0: the kernel's default */
	uint32_t mode;
	uint8_t flags;                            /* SPORE_TMPFS_* */
};

/* Parses spec into *t. -EINVAL with one line naming spec. */
int spore_tmpfs_parse(const char *spec, struct spore_tmpfs_mount *t, struct spore_err *err);

/* -EINVAL if a tmpfs's target is a volume's or another tmpfs's. */
int spore_mount_targets_check(const struct spore_volume_mount *m, size_t nm,
			      const struct spore_tmpfs_mount *t, size_t nt, struct spore_err *err);

#endif

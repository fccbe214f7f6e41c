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

/* Longest host path a -v names. */
#define SPORE_VOLUME_HOST_MAX 1023

/* One `launch -v`/`--volume` as docker reads it: a named volume,
 * NAME:/path[:ro|:rw], or a host path, /host/path:/path:ro (read-only: a
 * snapshot taken at launch, host_snapshot.h). */
struct spore_volume_mount {
	char name[SPORE_VOLUME_NAME_MAX + 1];     /* "" for a host path */
	char host[SPORE_VOLUME_HOST_MAX + 1];     /* "" for a named volume */
	char target[SPORE_VOLUME_TARGET_MAX + 1]; /* absolute, no "." or "..",
						     no repeated or trailing '/' */
	bool ro;
};

/* Parses spec into *m. -EINVAL with one line naming spec for a host path
 * without :ro (read-write host paths are not supported yet) or that is not
 * absolute, a bad name, a target that is not absolute, has a "." or ".."
 * component or is "/", or a mode other than ro or rw. */
int spore_volume_mount_parse(const char *spec, struct spore_volume_mount *m,
			     struct spore_err *err);

/* Whether m[n - 1] may join m[0..n-2]: -EINVAL if its target is already
 * another's, or its named volume is already attached (a filesystem is
 * mounted by one device of one guest at a time; a host path may be given
 * twice). */
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

/* An anonymous volume for an image's VOLUME path: named by the 32 random
 * bytes in hex (docker's 64 digits), read-write, on path with -v's target
 * rules (the image is untrusted: -EINVAL with one line naming the path). */
int spore_volume_image_mount(const char *path, const uint8_t rnd[32],
			     struct spore_volume_mount *m, struct spore_err *err);

/* The guest record's mounts list (SPORE_REC_MOUNTS): appends one entry to
 * list (n bytes, NUL-terminated), whole or not at all: -E2BIG when it does
 * not fit, -EINVAL when a field has a tab, newline or other control
 * character. */
int spore_mounts_append(char *list, size_t n, const char *type, const char *source,
			const char *target, bool ro);

struct spore_mount_entry {
	char type[16], source[SPORE_VOLUME_HOST_MAX + 1], target[SPORE_VOLUME_TARGET_MAX + 1];
	bool ro;
};

/* The entry at *p, advancing *p past it; false at the end. A malformed
 * entry (a record is dom0's, but may be another version's) is skipped;
 * over-long fields are cut. */
bool spore_mounts_next(const char **p, struct spore_mount_entry *e);

#endif

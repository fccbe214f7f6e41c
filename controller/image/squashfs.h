/* Writing a squashfs image from a tar stream, with squashfs-tools-ng's
 * tar2sqfs in a child process (it streams in ~15 MB and handles forward hard
 * links; mksquashfs -tar crashes on those and needs ~800 MB). See
 * ../shared/notes/ecosystem.md section 3.2 for the commands, timed on a
 * 686 MiB tar; tests/bench/image-convert.sh compares the two on an image.
 *
 * Compression is zstd level 3: 15-30x faster than the defaults for ~12% more
 * size; the guest kernel needs CONFIG_SQUASHFS_ZSTD. SPORE_SQUASHFS_COMP
 * (gzip, xz, lz4, zstd) overrides it. */
#ifndef SPORE_SQUASHFS_H
#define SPORE_SQUASHFS_H

#include "child.h"
#include <spore/err.h>

#include <stdbool.h>

struct spore_sqfs_writer {
	struct spore_child child;
	int fd; /* write the tar here */
};

/* Starts tar2sqfs writing out_path (overwritten). */
int spore_sqfs_start(struct spore_sqfs_writer *w, const char *out_path, struct spore_err *err);
/* Closes the tar stream and waits. With failed set (the producer failed),
 * the child is killed and nothing is reported. On a child error, err gets
 * tar2sqfs's last message. */
int spore_sqfs_finish(struct spore_sqfs_writer *w, bool failed, struct spore_err *err);

#endif

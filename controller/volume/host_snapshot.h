/* Read-only host paths for `launch -v /host/path:/path:ro`: a snapshot of
 * the directory or file as it is at launch, packed into a squashfs image in
 * an unnamed file (struct spore_unnamed), which the launch puts on a read-only, tagged loop
 * device: when the loop device goes with the guest, so does the file, and a
 * killed sporectl leaves nothing (the fd dies with it).
 *
 * How symlinks cannot make it escape the path given:
 * - The host path is resolved once, by sporectl, with the caller's rights
 *   (symlinks in the path are followed, as docker does: the caller names
 *   what it may read); what is packed is the object that open() returned,
 *   by its fd (mksquashfs runs in it, `.`), so a rename of the path later
 *   changes nothing.
 * - Inside a directory nothing is followed: mksquashfs stores symlinks as
 *   symlinks, which resolve in the guest against the container's root,
 *   never dom0's; hard links are files of the directory; device nodes are
 *   copied as nodes that the guest mounts nodev.
 * - mksquashfs walks the tree by path, so a subdirectory swapped for a
 *   symlink while it walks would be followed. It therefore runs with the
 *   rights of the directory's owner when that is not root (no groups but
 *   the owner's group): whoever can change the tree can only make it read
 *   what that user could read anyway; a root-owned tree only root can race.
 *   A file the owner cannot read fails the launch.
 * - Only directories and regular files are taken (no devices, fifos or
 *   sockets). A file is streamed (as a one-entry tar, into tar2sqfs) from
 *   the fd sporectl opened; the guest binds it on the target. */
#ifndef SPORE_HOST_SNAPSHOT_H
#define SPORE_HOST_SNAPSHOT_H

#include <spore/err.h>

#include <stdbool.h>

/* A file with no name (O_TMPFILE), or on a filesystem without O_TMPFILE
 * (9p) a temp file named $SPORE_ROOT/.tmpfile-PID-XXXXXX until it is
 * closed: such a filesystem may not resize or write an unlinked file, so
 * the name goes once the loop device holds it. A killed sporectl's are
 * removed by the next call (their PID is gone). */
struct spore_unnamed {
	int fd;                /* -1 when none */
	char name[4096];       /* the fallback's name, "" with O_TMPFILE */
};

/* An unnamed file under $SPORE_ROOT (which must exist), read-write,
 * close-on-exec. */
int spore_unnamed_file(struct spore_unnamed *u, struct spore_err *err);
/* Unlinks the fallback's name, closes the fd. */
void spore_unnamed_close(struct spore_unnamed *u);

struct spore_host_snapshot {
	struct spore_unnamed u; /* the squashfs image */
	bool file;       /* a single file (its name in the image: "file") */
	char path[32];   /* /proc/self/fd/N: for the loop device to open */
};

/* Packs host (an absolute path) into s. -errno with one line naming host on
 * failure (nothing left). */
int spore_host_snapshot(const char *host, struct spore_host_snapshot *s, struct spore_err *err);

/* Closes the image's file (a loop device keeps it while it needs it). */
void spore_host_snapshot_close(struct spore_host_snapshot *s);

#endif

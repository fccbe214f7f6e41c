/* Merging an image's layers into one tar stream, without extracting anything
 * on dom0.
 *
 * Layers are read top first (libarchive: tar, gzip, zstd, xz), and each path
 * is emitted once, from the highest layer that has it, following the OCI
 * image-spec: ".wh.NAME" hides NAME and its subtree in lower layers,
 * ".wh..wh..opq" hides a directory's children from lower layers, and a
 * non-directory in an upper layer hides a lower subtree at that path
 * (overlayfs semantics: parents are never resolved through symlinks). Owners,
 * modes (setuid included), xattrs, symlinks, hard links, devices and FIFOs
 * are kept. The result is pax tar for a squashfs writer.
 *
 * Hostile input is refused: absolute paths, ".." components, a path under a
 * symlink or file of the same layer (a write-through escape), a hard link
 * whose target is outside the image, duplicates, sockets, and more data or
 * entries than the limits allow. Symlink targets are kept verbatim: they are
 * only ever resolved inside the guest's root. */
#ifndef SPORE_LAYER_MERGE_H
#define SPORE_LAYER_MERGE_H

#include "oci_digest.h"
#include <spore/err.h>

#include <stddef.h>
#include <stdint.h>

struct spore_merge_limits {
	uint64_t max_bytes;   /* uncompressed tar bytes over all layers (what
			       * follows a tar's end marker included) */
	uint64_t max_entries; /* entries over all layers */
	uint64_t max_dir_entries; /* entries in one directory; 0: the default */
};

#define SPORE_MERGE_DEFAULT_MAX_BYTES   (64ull << 30)
#define SPORE_MERGE_DEFAULT_MAX_ENTRIES 4000000ull
/* tar2sqfs takes ~5 s for a directory of this many entries, 4x that for
 * twice as many (it is quadratic in a directory's size). */
#define SPORE_MERGE_DEFAULT_MAX_DIR_ENTRIES 16384ull

struct spore_merge_stats {
	uint64_t entries_in, entries_out, bytes_out;
	size_t bad_layer; /* 1-based: the layer whose diff_id did not match */
};

/* layer_fds: open layer blobs, bottom layer first (manifest order); read
 * from their current offset. diff_ids (NULL: unchecked): the image config's
 * rootfs.diff_ids, one per layer: each layer's whole uncompressed stream is
 * hashed as it is merged and a mismatch fails with -EBADMSG. out_fd receives
 * the merged tar. lim and st may be NULL. Errors name the layer (1-based,
 * bottom first) and the path. */
int spore_layer_merge(const int *layer_fds, size_t n_layers,
		      const char (*diff_ids)[SPORE_DIGEST_LEN + 1], int out_fd,
		      const struct spore_merge_limits *lim, struct spore_merge_stats *st,
		      struct spore_err *err);

/* The same with each layer asked for only when the merge reaches it (top
 * first), so a pull merges the layers it has while others still download:
 * open_layer returns an fd for layer i (bottom first numbering) that the
 * merge closes, or a negative errno with err filled. */
typedef int (*spore_layer_open_fn)(void *arg, size_t i, struct spore_err *err);
int spore_layer_merge_from(spore_layer_open_fn open_layer, void *arg, size_t n_layers,
			   const char (*diff_ids)[SPORE_DIGEST_LEN + 1], int out_fd,
			   const struct spore_merge_limits *lim, struct spore_merge_stats *st,
			   struct spore_err *err);

/* Normalises an archive path: strips "./" and repeated '/', drops a trailing
 * '/'. "." and "" become "" (the root). Returns 0, or -EINVAL for absolute
 * paths, ".." components, components over 255 bytes (NAME_MAX) and paths
 * that do not fit in n. */
int spore_merge_clean_path(const char *in, char *out, size_t n);

#endif

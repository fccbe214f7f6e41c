/* The image cache, under $SPORE_ROOT or /var/lib/spore (or --root):
 *
 *   images/lock                      flock: pulls share it, rm/prune own it
 *   images/blobs/sha256/<hex>        verified blobs: manifests, configs, layers
 *   images/rootfs/<manifest hex>.sqfs   the merged root filesystem
 *   images/refs/<sha256 of ref>.json    {"ref", "manifest", "config", "pulled"}
 *   images/tmp/                      in-flight files, renamed into place
 *
 * Every file appears atomically (temp file + rename in the same directory
 * tree), so readers see a whole entry or none, and two pulls of one image
 * race harmlessly: both write identical content. */
#ifndef SPORE_IMAGE_STORE_H
#define SPORE_IMAGE_STORE_H

#include "oci_digest.h"
#include "statedir.h"
#include <spore/err.h>

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct spore_store {
	char dir[PATH_MAX - 64]; /* <root>/images ("." in the image worker) */
	int lock_fd;
	/* In the image worker (image_worker.h): asks the privileged side to
	 * rename a finished temp file into place. NULL: rename here. */
	int (*commit)(const struct spore_store *s, const char *tmp, const char *dest,
		      struct spore_err *err);
};

struct spore_image_rec {
	char ref[600];
	char manifest[SPORE_DIGEST_LEN + 1];
	char config[SPORE_DIGEST_LEN + 1];
	time_t pulled;
	uint64_t rootfs_size; /* filled by spore_store_list/get */
};

/* Creates the layout if needed and takes the lock (shared, or exclusive for
 * rm/prune). root NULL means the default. */
int spore_store_open(struct spore_store *s, const char *root, bool exclusive,
		     struct spore_err *err);
void spore_store_close(struct spore_store *s);

int spore_store_blob_path(const struct spore_store *s, const char *digest, char *buf, size_t n);
int spore_store_rootfs_path(const struct spore_store *s, const char *manifest_digest, char *buf,
			    size_t n);

/* A temp name images/tmp/KIND-PID-XXXXXX (for mkstemp/mkdtemp; KIND "pull"
 * or "archive"): the next spore_store_open removes it if process PID is
 * gone. */
int spore_store_tmpname(const struct spore_store *s, const char *kind, char *buf, size_t n);
/* A new temp file in images/tmp (kind "pull"); its path goes to buf. */
int spore_store_tmpfile(const struct spore_store *s, char *buf, size_t n, struct spore_err *err);
/* Renames a finished temp file into place (0444), through s->commit in the
 * worker. The temp file is gone afterwards, whatever the outcome. */
int spore_store_commit(const struct spore_store *s, const char *tmp, const char *dest,
		       struct spore_err *err);
/* The privileged side of a commit: tmp must be a regular file; it becomes
 * root's (when running as root), 0444, and is renamed to dest, which must
 * then still be that file. */
int spore_store_commit_file(const char *tmp, const char *dest, struct spore_err *err);
/* Writes bytes as the blob `digest` (already verified by the caller). */
int spore_store_put_blob(const struct spore_store *s, const char *digest, const void *buf,
			 size_t len, struct spore_err *err);
/* Reads a small blob (manifest, config) back and re-verifies its digest. */
int spore_store_read_blob(const struct spore_store *s, const char *digest, size_t max, char **buf,
			  size_t *len, struct spore_err *err);
/* Whether the blob is present with this size and digest (hashes the file). */
bool spore_store_blob_ok(const struct spore_store *s, const char *digest, uint64_t size);

int spore_store_put_ref(const struct spore_store *s, const struct spore_image_rec *rec,
			struct spore_err *err);
/* -ENOENT (err filled) when the reference is not in the cache. */
int spore_store_get_ref(const struct spore_store *s, const char *ref, struct spore_image_rec *rec,
			struct spore_err *err);
/* All references, sorted by name; *recs is malloc'd. */
int spore_store_list(const struct spore_store *s, struct spore_image_rec **recs, size_t *n,
		     struct spore_err *err);
/* Removes a reference, and its root filesystem if no other reference uses
 * it. Blobs stay for `prune`. */
int spore_store_rm(const struct spore_store *s, const char *ref, struct spore_err *err);

struct spore_prune_stats {
	unsigned files;
	uint64_t bytes;
};
/* Deletes blobs and root filesystems no reference needs, and temp files
 * left by interrupted pulls. Needs the exclusive lock. */
int spore_store_prune(const struct spore_store *s, struct spore_prune_stats *st,
		      struct spore_err *err);

#endif

/* `sporectl image pull`: reference -> verified blobs -> merged squashfs in the
 * image cache, plus the record that names it. A re-pull of an unchanged image
 * costs one manifest request (tags can move) and no blob requests. */
#ifndef SPORE_IMAGE_PULL_H
#define SPORE_IMAGE_PULL_H

#include "image_store.h"
#include "oci_manifest.h"
#include "oci_registry.h"
#include <spore/err.h>

#include <stdbool.h>

struct spore_pull_opts {
	struct spore_registry_opts registry;
	bool quiet; /* no progress lines on stderr */
	const char *os, *arch; /* NULL: linux/amd64 */
	uint64_t max_bytes; /* what the layers may unpack to; 0: the merge's default */
};

int spore_image_pull(struct spore_store *s, const char *ref, const struct spore_pull_opts *o,
		     struct spore_image_rec *rec, struct spore_err *err);

/* For launch: the cached image for ref, pulled first if it is not cached
 * and pull_missing is set. Fills the squashfs path and the parsed config
 * (free it with spore_image_config_free). The config blob is re-verified
 * against its digest. */
int spore_image_open(struct spore_store *s, const char *ref, bool pull_missing,
		     const struct spore_pull_opts *o, char *rootfs, size_t rootfs_len,
		     struct spore_image_config *cfg, struct spore_err *err);

#endif

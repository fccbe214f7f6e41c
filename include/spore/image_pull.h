/* `sporectl image pull`: reference -> verified blobs -> merged squashfs in the
 * image cache, plus the record that names it. A re-pull of an unchanged image
 * costs one manifest request (tags can move) and no blob requests. */
#ifndef SPORE_IMAGE_PULL_H
#define SPORE_IMAGE_PULL_H

#include <spore/err.h>
#include <spore/image_store.h>
#include <spore/oci_registry.h>

#include <stdbool.h>

struct spore_pull_opts {
	struct spore_registry_opts registry;
	bool quiet; /* no progress lines on stderr */
	const char *os, *arch; /* NULL: linux/amd64 */
};

int spore_image_pull(struct spore_store *s, const char *ref, const struct spore_pull_opts *o,
		     struct spore_image_rec *rec, struct spore_err *err);

#endif

/* Reading an OCI image layout directory (`oci:DIR[:TAG]`), e.g. one written
 * by `skopeo copy ... oci:DIR:TAG` or umoci. Blobs are verified exactly as
 * registry blobs are: the directory is input, not trusted. */
#ifndef SPORE_OCI_LAYOUT_H
#define SPORE_OCI_LAYOUT_H

#include "oci_manifest.h"
#include <spore/err.h>

#include <stddef.h>

struct spore_oci_layout {
	int dirfd;
	char path[4096];
};

int spore_oci_layout_open(struct spore_oci_layout *l, const char *dir, struct spore_err *err);
void spore_oci_layout_close(struct spore_oci_layout *l);

/* The manifest (or index) for a tag (org.opencontainers.image.ref.name),
 * "" for the layout's only image, or a digest. */
int spore_oci_layout_manifest(struct spore_oci_layout *l, const char *which, char **body,
			      size_t *len, char *content_type, size_t ct_len,
			      char digest[SPORE_DIGEST_LEN + 1], struct spore_err *err);

/* Copies a blob into fd, verifying size and digest. */
int spore_oci_layout_blob(struct spore_oci_layout *l, const struct spore_descriptor *d, int fd,
			  struct spore_err *err);

#endif

/* OCI / Docker manifests, indexes and image configs: parsing and validation
 * of what a registry (or an OCI layout) sends. Pure functions on bytes.
 *
 * JSON is parsed with duplicate keys rejected (two parsers must never see two
 * different documents), every digest is validated before it becomes a file
 * name or URL, and sizes are capped. */
#ifndef SPORE_OCI_MANIFEST_H
#define SPORE_OCI_MANIFEST_H

#include "oci_digest.h"
#include <spore/err.h>

#include <stddef.h>
#include <stdint.h>

#define SPORE_MT_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define SPORE_MT_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define SPORE_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define SPORE_MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
/* The Accept header a registry needs to serve any of them. */
#define SPORE_MANIFEST_ACCEPT                                                                \
	SPORE_MT_OCI_INDEX ", " SPORE_MT_OCI_MANIFEST ", " SPORE_MT_DOCKER_LIST ", "           \
	SPORE_MT_DOCKER_MANIFEST

#define SPORE_MANIFEST_MAX (4u << 20) /* manifests, indexes, configs */
#define SPORE_LAYERS_MAX   500

enum spore_manifest_kind {
	SPORE_MANIFEST_IMAGE = 1, /* OCI image manifest or Docker v2s2 */
	SPORE_MANIFEST_INDEX = 2, /* OCI index or Docker manifest list */
};

struct spore_descriptor {
	char media_type[128];
	char digest[SPORE_DIGEST_LEN + 1];
	uint64_t size;
};

struct spore_manifest {
	struct spore_descriptor config;
	size_t n_layers;
	struct spore_descriptor *layers; /* bottom layer first, as in the manifest */
};

/* Tells an image manifest from an index. content_type (may be NULL) is the
 * HTTP Content-Type; the body's own mediaType wins when present. Returns the
 * kind or a negative code (unknown type, schema 1, not JSON). */
int spore_manifest_kind(const char *content_type, const char *body, size_t len,
			struct spore_err *err);

/* Picks the os/arch image manifest from an index, skipping attestations and
 * non-manifest entries. */
int spore_index_select(const char *body, size_t len, const char *os, const char *arch,
		       struct spore_descriptor *out, struct spore_err *err);

/* Parses an image manifest: its config and layers, each validated. */
int spore_manifest_parse(const char *body, size_t len, struct spore_manifest *m,
			 struct spore_err *err);
void spore_manifest_free(struct spore_manifest *m);

/* Checks an image config against its manifest: one valid sha256 diff_id
 * per layer, copied to diff_ids (m->n_layers entries; may be NULL), and the
 * platform (os/arch) if the config names one. */
int spore_image_config_check(const char *body, size_t len, const struct spore_manifest *m,
			     const char *os, const char *arch,
			     char (*diff_ids)[SPORE_DIGEST_LEN + 1], struct spore_err *err);

/* What launching needs from an image config ("config" object of
 * application/vnd.oci.image.config.v1+json or Docker's equivalent). Absent
 * fields are NULL / empty. Strings are validated: no NULs (jansson rejects
 * them), Env entries are KEY=VALUE. */
struct spore_image_config {
	char **entrypoint, **cmd, **env; /* NULL-terminated, or NULL */
	size_t n_entrypoint, n_cmd, n_env;
	char *working_dir, *user, *stop_signal;
	/* Volumes' keys (docker's VOLUME): container paths, as the image wrote
	 * them (unchecked: launch applies -v's target rules), in the order
	 * given; NULL-terminated, or NULL. At most SPORE_IMAGE_VOLUMES_MAX. */
	char **volumes;
	size_t n_volumes;
};

#define SPORE_IMAGE_VOLUMES_MAX 64

int spore_image_config_parse(const char *body, size_t len, struct spore_image_config *c,
			     struct spore_err *err);
void spore_image_config_free(struct spore_image_config *c);

#endif

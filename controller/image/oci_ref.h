/* Image references, as users type them.
 *
 *   busybox                      -> docker.io/library/busybox:latest
 *   127.0.0.1:5000/a/b:v1        -> registry 127.0.0.1:5000, repository a/b, tag v1
 *   name@sha256:<hex>            -> pinned by digest (the digest wins over a tag)
 *   docker://REF                 -> same as REF
 *   oci:DIR[:TAG]                -> an OCI image layout directory
 *   docker-archive:FILE          -> a `docker save` tarball
 *
 * The first component is a registry if it contains '.' or ':' or is
 * "localhost" (Docker's rule); otherwise the registry is Docker Hub and a
 * one-component name gets "library/". */
#ifndef SPORE_OCI_REF_H
#define SPORE_OCI_REF_H

#include "oci_digest.h"
#include <spore/err.h>

#include <limits.h>
#include <stddef.h>

enum spore_ref_kind {
	SPORE_REF_REGISTRY,
	SPORE_REF_OCI_DIR,
	SPORE_REF_DOCKER_ARCHIVE,
};

#define SPORE_REF_TAG_MAX 128

struct spore_ref {
	enum spore_ref_kind kind;
	char domain[256];  /* registry host[:port], canonical ("docker.io") */
	char repo[256];    /* repository path, e.g. "library/busybox" */
	char tag[SPORE_REF_TAG_MAX + 1]; /* "" when only a digest is given */
	char digest[SPORE_DIGEST_LEN + 1]; /* "" unless pinned */
	char path[PATH_MAX]; /* oci: and docker-archive: sources */
};

/* Parses s; on error fills err with what is wrong and returns -EINVAL. */
int spore_ref_parse(const char *s, struct spore_ref *ref, struct spore_err *err);

/* Makes an oci:/docker-archive: path absolute (realpath), so that one
 * directory or file has one name in the cache whatever the cwd. No-op for
 * registry references. */
int spore_ref_absolute(struct spore_ref *ref, struct spore_err *err);

/* The canonical form, e.g. "docker.io/library/busybox:latest",
 * "oci:/dir:tag". Returns -ENAMETOOLONG if it does not fit. */
int spore_ref_str(const struct spore_ref *ref, char *buf, size_t n);

/* The host:port to talk to: Docker Hub's API lives at registry-1.docker.io. */
const char *spore_ref_endpoint(const struct spore_ref *ref);

/* True for a valid tag: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}. */
int spore_ref_tag_valid(const char *tag);

#endif

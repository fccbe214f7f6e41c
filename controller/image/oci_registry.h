/* A client for OCI distribution registries (libcurl, jansson, libcrypto).
 *
 * It speaks HTTPS, or plain HTTP to loopback registries and to those listed
 * as insecure; answers Bearer challenges (token from the realm, anonymous or
 * with the user's credentials) and Basic ones (credentials from the auth
 * files, see oci_auth.h); follows redirects without carrying Authorization
 * to another host (libcurl's default); and checks every byte it hands out:
 * manifests against the digest asked for or announced, blobs against their
 * descriptor's digest and size, never reading past that size. */
#ifndef SPORE_OCI_REGISTRY_H
#define SPORE_OCI_REGISTRY_H

#include "oci_manifest.h"
#include "oci_ref.h"
#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spore_registry;

struct spore_registry_opts {
	/* host[:port] entries that may be reached over plain HTTP, besides
	 * loopback; also read from SPORE_INSECURE_REGISTRIES (comma list). */
	const char *const *insecure;
	size_t n_insecure;
};

int spore_registry_open(struct spore_registry **out, const struct spore_ref *ref,
			const struct spore_registry_opts *opts, struct spore_err *err);
void spore_registry_close(struct spore_registry *r);

/* Called as blob bytes arrive (bytes so far of the current blob). */
typedef void (*spore_progress_fn)(void *arg, uint64_t bytes);
void spore_registry_set_progress(struct spore_registry *r, spore_progress_fn fn, void *arg);

/* A second handle on the same repository with the credentials and token
 * obtained so far, for fetching blobs from another thread. */
int spore_registry_clone(struct spore_registry *r, struct spore_registry **out,
			 struct spore_err *err);

/* GETs the manifest for a tag or digest. *body (malloc'd, *len bytes) is
 * verified: against `which` if it is a digest, and against the registry's
 * Docker-Content-Digest if sent. digest receives its sha256. */
int spore_registry_manifest(struct spore_registry *r, const char *which, char **body,
			    size_t *len, char *content_type, size_t ct_len,
			    char digest[SPORE_DIGEST_LEN + 1], struct spore_err *err);

/* Streams a blob into fd, verifying size and digest. With offset > 0, fd
 * already holds that many bytes of it (an interrupted download): they are
 * re-hashed and the rest is asked for with Range (a server that ignores
 * Range is read from the start). Fails with -ECONNABORTED when the transfer
 * broke (fd then holds a prefix worth resuming); any other error means the
 * content is wrong and fd must be discarded. */
int spore_registry_blob(struct spore_registry *r, const struct spore_descriptor *d, int fd,
			uint64_t offset, struct spore_err *err);

/* Whether host[:port] is on loopback (plain HTTP allowed). */
bool spore_registry_is_loopback(const char *domain);

/* The reply headers the client uses (exposed for tests and fuzzing). */
struct spore_reply_headers {
	char content_type[128];
	char dcd[SPORE_DIGEST_LEN + 8]; /* Docker-Content-Digest */
	char www_auth[2048];
	char retry_after[32];
	char content_range[96];
};

/* Takes one raw header line as libcurl hands it over ("Name: value\r\n";
 * an "HTTP/..." status line starts a new response and forgets the last
 * one's). Values are trimmed and cut to their field's size. */
void spore_reply_header(struct spore_reply_headers *h, const char *line, size_t n);

/* A parsed WWW-Authenticate challenge (exposed for tests). */
struct spore_challenge {
	char scheme[16]; /* "Bearer" or "Basic" */
	char realm[1024];
	char service[256];
	char scope[512];
};

/* Parses `Scheme k="v", k2="v2"` (quoted commas allowed). -EINVAL if it is
 * not a challenge. */
int spore_challenge_parse(const char *hdr, struct spore_challenge *c);

#endif

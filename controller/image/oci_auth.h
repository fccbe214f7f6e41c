/* Registry credentials from the files users already have: $REGISTRY_AUTH_FILE,
 * then containers' auth.json ($XDG_RUNTIME_DIR/containers, then
 * ~/.config/containers), then ~/.docker/config.json. Only inline "auth"
 * entries are read; credential helpers are not run. */
#ifndef SPORE_OCI_AUTH_H
#define SPORE_OCI_AUTH_H

#include <spore/err.h>

#include <stddef.h>

/* Finds the base64 "user:password" for domain (Docker Hub's aliases
 * included). *b64 is malloc'd, or NULL when there is none; the file it came
 * from goes to from (may be NULL), for messages. Returns 0 or a negative
 * code for a file that exists but cannot be parsed. */
int spore_auth_lookup(const char *domain, char **b64, char *from, size_t from_len,
		      struct spore_err *err);

#endif

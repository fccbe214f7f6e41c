#include "oci_auth.h"
#include <spore/log.h>

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The "auth" value if it is base64 of "user:password". */
static const char *valid_auth(json_t *entry)
{
	json_t *a = json_object_get(entry, "auth");
	if (!json_is_string(a))
		return NULL;
	const char *s = json_string_value(a);
	size_t n = strlen(s);
	if (n == 0 || n % 4 || n > 8192)
		return NULL;
	unsigned char *dec = malloc(n);
	if (!dec)
		return NULL;
	int m = EVP_DecodeBlock(dec, (const unsigned char *)s, (int)n);
	int ok = m > 0 && memchr(dec, ':', (size_t)m) != NULL;
	free(dec);
	return ok ? s : NULL;
}

static int lookup_file(const char *file, const char *domain, char **b64, struct spore_err *err)
{
	json_error_t jerr;
	FILE *f = fopen(file, "re");
	if (!f)
		return 0;
	json_t *j = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!j)
		return spore_err_setx(err, EINVAL, "reading credentials from %s: %s (line %d)", file,
				      jerr.text, jerr.line);
	json_t *auths = json_object_get(j, "auths");
	bool hub = !strcmp(domain, "docker.io");
	char keys[6][300];
	int nk = 0;
	snprintf(keys[nk++], sizeof(keys[0]), "%s", domain);
	snprintf(keys[nk++], sizeof(keys[0]), "https://%s", domain);
	snprintf(keys[nk++], sizeof(keys[0]), "http://%s", domain);
	if (hub) {
		snprintf(keys[nk++], sizeof(keys[0]), "https://index.docker.io/v1/");
		snprintf(keys[nk++], sizeof(keys[0]), "index.docker.io");
		snprintf(keys[nk++], sizeof(keys[0]), "registry-1.docker.io");
	}
	for (int i = 0; i < nk && !*b64; i++) {
		const char *a = valid_auth(json_object_get(auths, keys[i]));
		if (a && !(*b64 = strdup(a))) {
			json_decref(j);
			return spore_err_set(err, ENOMEM, "reading credentials");
		}
	}
	if (*b64)
		log_debug("using credentials for %s from %s", domain, file);
	else if (json_object_get(j, "credsStore") || json_object_get(j, "credHelpers"))
		log_debug("%s names a credential helper; spore does not run them", file);
	json_decref(j);
	return 0;
}

/* The auth files in the order they are searched; returns how many. */
static int auth_files(char paths[4][4096])
{
	const char *env, *home = getenv("HOME");
	int n = 0;
	if ((env = getenv("REGISTRY_AUTH_FILE")) && *env) {
		snprintf(paths[n++], 4096, "%s", env);
		return n;
	}
	if ((env = getenv("XDG_RUNTIME_DIR")) && *env)
		snprintf(paths[n++], 4096, "%s/containers/auth.json", env);
	if ((env = getenv("XDG_CONFIG_HOME")) && *env)
		snprintf(paths[n++], 4096, "%s/containers/auth.json", env);
	else
		snprintf(paths[n++], 4096, "%s/.config/containers/auth.json", home ? home : "/");
	if (home)
		snprintf(paths[n++], 4096, "%s/.docker/config.json", home);
	return n;
}

int spore_auth_lookup(const char *domain, char **b64, char *from, size_t from_len,
		      struct spore_err *err)
{
	char paths[4][4096];
	int n = auth_files(paths), r = 0;
	*b64 = NULL;
	for (int i = 0; i < n && r == 0 && !*b64; i++) {
		r = lookup_file(paths[i], domain, b64, err);
		if (*b64 && from)
			snprintf(from, from_len, "%s", paths[i]);
	}
	return r;
}

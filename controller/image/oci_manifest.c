#include "oci_manifest.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *load(const char *body, size_t len, const char *what, struct spore_err *err)
{
	json_error_t jerr;
	if (len > SPORE_MANIFEST_MAX) {
		spore_err_setx(err, EFBIG, "%s is %zu bytes, over the %u-byte limit", what, len,
			       SPORE_MANIFEST_MAX);
		return NULL;
	}
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		spore_err_setx(err, EBADMSG, "%s is not valid JSON: %s (line %d)", what, jerr.text,
			       jerr.line);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		spore_err_setx(err, EBADMSG, "%s is not a JSON object", what);
		return NULL;
	}
	return j;
}

static const char *str_field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int is_manifest_type(const char *mt)
{
	return !strcmp(mt, SPORE_MT_OCI_MANIFEST) || !strcmp(mt, SPORE_MT_DOCKER_MANIFEST);
}

static int is_index_type(const char *mt)
{
	return !strcmp(mt, SPORE_MT_OCI_INDEX) || !strcmp(mt, SPORE_MT_DOCKER_LIST);
}

int spore_manifest_kind(const char *content_type, const char *body, size_t len,
			struct spore_err *err)
{
	json_t *j = load(body, len, "the manifest", err);
	if (!j)
		return err ? -err->code : -EBADMSG;
	int r;
	json_t *sv = json_object_get(j, "schemaVersion");
	const char *mt = str_field(j, "mediaType");
	char ct[128] = "";
	if (content_type) {
		size_t n = strcspn(content_type, "; \t");
		if (n < sizeof(ct)) {
			memcpy(ct, content_type, n);
			ct[n] = '\0';
		}
	}
	if (!json_is_integer(sv) || json_integer_value(sv) != 2) {
		r = spore_err_setx(err, ENOTSUP,
				   "the manifest has schemaVersion %lld; only schema 2 (OCI, Docker v2s2) is supported",
				   json_is_integer(sv) ? (long long)json_integer_value(sv) : -1LL);
		goto out;
	}
	if (!mt || !*mt)
		mt = ct[0] && (is_manifest_type(ct) || is_index_type(ct)) ? ct : NULL;
	if (!mt) /* OCI allows omitting mediaType: go by shape. */
		mt = json_object_get(j, "manifests") ? SPORE_MT_OCI_INDEX : SPORE_MT_OCI_MANIFEST;
	if (is_manifest_type(mt))
		r = SPORE_MANIFEST_IMAGE;
	else if (is_index_type(mt))
		r = SPORE_MANIFEST_INDEX;
	else
		r = spore_err_setx(err, ENOTSUP, "unsupported manifest media type '%s'", mt);
out:
	json_decref(j);
	return r;
}

static int descriptor(json_t *o, const char *what, struct spore_descriptor *d, struct spore_err *err)
{
	if (!json_is_object(o))
		return spore_err_setx(err, EBADMSG, "%s is not a JSON object", what);
	const char *mt = str_field(o, "mediaType");
	const char *dg = str_field(o, "digest");
	json_t *sz = json_object_get(o, "size");
	if (!mt || strlen(mt) >= sizeof(d->media_type))
		return spore_err_setx(err, EBADMSG, "%s has no valid mediaType", what);
	if (!dg || !spore_digest_valid(dg))
		return spore_err_setx(err, EBADMSG, "%s has an invalid digest '%s' (want sha256:<64 hex>)",
				      what, dg ? dg : "");
	if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		return spore_err_setx(err, EBADMSG, "%s has no valid size", what);
	strcpy(d->media_type, mt);
	strcpy(d->digest, dg);
	d->size = (uint64_t)json_integer_value(sz);
	return 0;
}

int spore_index_select(const char *body, size_t len, const char *os, const char *arch,
		       struct spore_descriptor *out, struct spore_err *err)
{
	json_t *j = load(body, len, "the image index", err);
	if (!j)
		return err ? -err->code : -EBADMSG;
	int r = -ENOENT;
	char seen[256] = "";
	size_t i;
	json_t *e, *ms = json_object_get(j, "manifests");
	if (!json_is_array(ms)) {
		r = spore_err_setx(err, EBADMSG, "the image index has no 'manifests' array");
		goto out;
	}
	json_array_foreach(ms, i, e) {
		json_t *p = json_object_get(e, "platform");
		json_t *ann = json_object_get(e, "annotations");
		const char *mt = str_field(e, "mediaType");
		if (!mt || !is_manifest_type(mt) || json_object_get(ann, "vnd.docker.reference.type"))
			continue;
		const char *pos = str_field(p, "os"), *parch = str_field(p, "architecture");
		if (!pos || !parch)
			continue;
		if (!strcmp(pos, os) && !strcmp(parch, arch)) {
			char what[64];
			snprintf(what, sizeof(what), "index entry %zu", i);
			r = descriptor(e, what, out, err);
			goto out;
		}
		size_t n = strlen(seen);
		if (n + strlen(pos) + strlen(parch) + 4 < sizeof(seen))
			snprintf(seen + n, sizeof(seen) - n, "%s%s/%s", n ? ", " : "", pos, parch);
	}
	r = spore_err_setx(err, ENOENT, "the image index has no %s/%s image (it has: %s)", os, arch,
			   seen[0] ? seen : "none");
out:
	json_decref(j);
	return r;
}

static int layer_type_ok(const char *mt)
{
	static const char *const ok[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.diff.tar",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(mt, ok[i]))
			return 1;
	return 0;
}

int spore_manifest_parse(const char *body, size_t len, struct spore_manifest *m,
			 struct spore_err *err)
{
	memset(m, 0, sizeof(*m));
	json_t *j = load(body, len, "the image manifest", err);
	if (!j)
		return err ? -err->code : -EBADMSG;
	int r;
	size_t i;
	json_t *e, *ls = json_object_get(j, "layers");
	r = descriptor(json_object_get(j, "config"), "the manifest's config", &m->config, err);
	if (r < 0)
		goto out;
	if (strcmp(m->config.media_type, "application/vnd.oci.image.config.v1+json") &&
	    strcmp(m->config.media_type, "application/vnd.docker.container.image.v1+json")) {
		r = spore_err_setx(err, ENOTSUP, "not a container image: config media type '%s'",
				   m->config.media_type);
		goto out;
	}
	if (m->config.size > SPORE_MANIFEST_MAX) {
		r = spore_err_setx(err, EFBIG, "the image config is %llu bytes, over the %u-byte limit",
				   (unsigned long long)m->config.size, SPORE_MANIFEST_MAX);
		goto out;
	}
	if (!json_is_array(ls) || json_array_size(ls) == 0) {
		r = spore_err_setx(err, EBADMSG, "the image manifest has no layers");
		goto out;
	}
	if (json_array_size(ls) > SPORE_LAYERS_MAX) {
		r = spore_err_setx(err, E2BIG, "the image has %zu layers, over the limit of %d",
				   json_array_size(ls), SPORE_LAYERS_MAX);
		goto out;
	}
	m->layers = calloc(json_array_size(ls), sizeof(*m->layers));
	if (!m->layers) {
		r = spore_err_set(err, ENOMEM, "parsing the manifest");
		goto out;
	}
	json_array_foreach(ls, i, e) {
		char what[32];
		snprintf(what, sizeof(what), "layer %zu", i + 1);
		r = descriptor(e, what, &m->layers[i], err);
		if (r < 0)
			goto out;
		if (!layer_type_ok(m->layers[i].media_type)) {
			r = spore_err_setx(err, ENOTSUP,
					   "layer %zu has media type '%s'; only tar, tar+gzip and tar+zstd layers are supported (no foreign layers)",
					   i + 1, m->layers[i].media_type);
			goto out;
		}
		m->n_layers++;
	}
	r = 0;
out:
	json_decref(j);
	if (r < 0)
		spore_manifest_free(m);
	return r;
}

void spore_manifest_free(struct spore_manifest *m)
{
	free(m->layers);
	m->layers = NULL;
	m->n_layers = 0;
}

int spore_image_config_check(const char *body, size_t len, const struct spore_manifest *m,
			     const char *os, const char *arch,
			     char (*diff_ids)[SPORE_DIGEST_LEN + 1], struct spore_err *err)
{
	json_t *j = load(body, len, "the image config", err);
	if (!j)
		return err ? -err->code : -EBADMSG;
	int r = 0;
	json_t *ids = json_object_get(json_object_get(j, "rootfs"), "diff_ids");
	const char *cos = str_field(j, "os"), *carch = str_field(j, "architecture");
	if (!json_is_array(ids) || json_array_size(ids) != m->n_layers)
		r = spore_err_setx(err, EBADMSG,
				   "the image config lists %zu layers (rootfs.diff_ids) but the manifest %zu",
				   json_is_array(ids) ? json_array_size(ids) : 0, m->n_layers);
	else if ((cos && strcmp(cos, os)) || (carch && strcmp(carch, arch)))
		r = spore_err_setx(err, ENOEXEC, "the image is for %s/%s, not %s/%s", cos ? cos : "?",
				   carch ? carch : "?", os, arch);
	for (size_t i = 0; r == 0 && i < m->n_layers; i++) {
		const char *id = json_string_value(json_array_get(ids, i));
		if (!spore_digest_valid(id))
			r = spore_err_setx(err, EBADMSG,
					   "the image config's rootfs.diff_ids[%zu] is not a sha256 digest", i);
		else if (diff_ids)
			strcpy(diff_ids[i], id);
	}
	json_decref(j);
	return r;
}

#define CONFIG_LIST_MAX 65536

/* A JSON array of strings (or null) as a NULL-terminated vector. */
static int str_list(json_t *a, const char *what, char ***out, size_t *n, struct spore_err *err)
{
	size_t i;
	json_t *v;
	*out = NULL;
	*n = 0;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > CONFIG_LIST_MAX)
		return spore_err_setx(err, EBADMSG, "the image config's %s is not a list of strings", what);
	*out = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!*out)
		return spore_err_set(err, ENOMEM, "parsing the image config");
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return spore_err_setx(err, EBADMSG, "the image config's %s has a non-string entry", what);
		if (!((*out)[i] = strdup(json_string_value(v))))
			return spore_err_set(err, ENOMEM, "parsing the image config");
		(*n)++;
	}
	return 0;
}

static int opt_str(json_t *o, const char *key, char **out, struct spore_err *err)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return spore_err_setx(err, EBADMSG, "the image config's %s is not a string", key);
	*out = strdup(json_string_value(v));
	return *out ? 0 : spore_err_set(err, ENOMEM, "parsing the image config");
}

/* Volumes: {"/path": {}, ...}; the keys are what counts. */
static int volume_keys(json_t *o, char ***out, size_t *n, struct spore_err *err)
{
	const char *key;
	json_t *v;

	*out = NULL;
	*n = 0;
	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o) || json_object_size(o) > SPORE_IMAGE_VOLUMES_MAX)
		return spore_err_setx(err, EBADMSG, "the image config's Volumes is not an object of at most %d paths",
				      SPORE_IMAGE_VOLUMES_MAX);
	if (!(*out = calloc(json_object_size(o) + 1, sizeof(char *))))
		return spore_err_set(err, ENOMEM, "parsing the image config");
	json_object_foreach(o, key, v) {
		if (!((*out)[*n] = strdup(key)))
			return spore_err_set(err, ENOMEM, "parsing the image config");
		(*n)++;
	}
	return 0;
}

int spore_image_config_parse(const char *body, size_t len, struct spore_image_config *c,
			     struct spore_err *err)
{
	memset(c, 0, sizeof(*c));
	json_t *j = load(body, len, "the image config", err);
	if (!j)
		return err ? -err->code : -EBADMSG;
	json_t *cfg = json_object_get(j, "config");
	int r = 0;
	if (cfg && !json_is_null(cfg) && !json_is_object(cfg))
		r = spore_err_setx(err, EBADMSG, "the image config's 'config' is not an object");
	if (r == 0)
		r = str_list(json_object_get(cfg, "Entrypoint"), "Entrypoint", &c->entrypoint, &c->n_entrypoint, err);
	if (r == 0)
		r = str_list(json_object_get(cfg, "Cmd"), "Cmd", &c->cmd, &c->n_cmd, err);
	if (r == 0)
		r = str_list(json_object_get(cfg, "Env"), "Env", &c->env, &c->n_env, err);
	for (size_t i = 0; r == 0 && i < c->n_env; i++)
		if (!strchr(c->env[i], '=') || c->env[i][0] == '=')
			r = spore_err_setx(err, EBADMSG, "the image config's Env entry '%s' is not KEY=VALUE",
					   c->env[i]);
	if (r == 0)
		r = opt_str(cfg, "WorkingDir", &c->working_dir, err);
	if (r == 0)
		r = opt_str(cfg, "User", &c->user, err);
	if (r == 0)
		r = opt_str(cfg, "StopSignal", &c->stop_signal, err);
	if (r == 0)
		r = volume_keys(json_object_get(cfg, "Volumes"), &c->volumes, &c->n_volumes, err);
	json_decref(j);
	if (r < 0)
		spore_image_config_free(c);
	return r;
}

static void free_list(char **l)
{
	for (size_t i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

void spore_image_config_free(struct spore_image_config *c)
{
	free_list(c->entrypoint);
	free_list(c->cmd);
	free_list(c->env);
	free(c->working_dir);
	free(c->user);
	free(c->stop_signal);
	free_list(c->volumes);
	memset(c, 0, sizeof(*c));
}

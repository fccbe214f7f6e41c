#include "layer_merge.h"
#include "oci_digest.h"
#include "oci_docker_archive.h"
#include "oci_manifest.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct wanted {
	char name[4096];         /* as listed in manifest.json, cleaned */
	char digest[SPORE_DIGEST_LEN + 1];
	uint64_t size;
	char media_type[64];
};

/* The archive read from its start (it is read twice). */
static struct archive *open_archive(int fd, const char *file, struct spore_err *err)
{
	struct archive *a = lseek(fd, 0, SEEK_SET) == 0 ? archive_read_new() : NULL;
	if (!a) {
		spore_err_set(err, ENOMEM, "reading %s", file);
		return NULL;
	}
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		spore_err_setx(err, EINVAL, "%s: not a tar archive: %s", file, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Reads manifest.json (the first image) into cfg and layers[]. */
static int read_manifest(int fd, const char *file, struct wanted *cfg, struct wanted **layers, size_t *n,
			 struct spore_err *err)
{
	struct archive *a = open_archive(fd, file, err);
	struct archive_entry *e;
	char *buf = NULL;
	la_ssize_t len = -1;
	int r;
	if (!a)
		return -err->code;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		char name[64];
		if (spore_merge_clean_path(archive_entry_pathname(e) ?: "", name, sizeof(name)) < 0 ||
		    strcmp(name, "manifest.json"))
			continue;
		/* A GNU header's base-256 size may be negative. */
		la_int64_t size = archive_entry_size(e);
		if (size < 0 || size > (la_int64_t)SPORE_MANIFEST_MAX)
			break;
		buf = malloc((size_t)size + 1);
		len = buf ? archive_read_data(a, buf, (size_t)size) : -1;
		break;
	}
	archive_read_free(a);
	if (len < 0) {
		free(buf);
		return spore_err_setx(err, EINVAL, "%s: no readable manifest.json (not a docker-archive?)", file);
	}
	json_error_t jerr;
	json_t *j = json_loadb(buf, (size_t)len, JSON_REJECT_DUPLICATES, &jerr), *img, *ls, *l;
	free(buf);
	if (!json_is_array(j) || json_array_size(j) != 1) {
		r = spore_err_setx(err, EINVAL, "%s: manifest.json must list exactly one image (%s)", file,
				   j ? "it lists several or none" : jerr.text);
		goto out;
	}
	img = json_array_get(j, 0);
	ls = json_object_get(img, "Layers");
	const char *c = json_string_value(json_object_get(img, "Config"));
	if (!c || !json_is_array(ls) || json_array_size(ls) == 0 || json_array_size(ls) > SPORE_LAYERS_MAX ||
	    spore_merge_clean_path(c, cfg->name, sizeof(cfg->name)) < 0) {
		r = spore_err_setx(err, EINVAL, "%s: manifest.json has no valid Config and Layers", file);
		goto out;
	}
	*layers = calloc(json_array_size(ls), sizeof(**layers));
	if (!*layers) {
		r = spore_err_set(err, ENOMEM, "reading %s", file);
		goto out;
	}
	size_t i;
	json_array_foreach(ls, i, l) {
		const char *s = json_string_value(l);
		if (!s || spore_merge_clean_path(s, (*layers)[i].name, sizeof((*layers)[i].name)) < 0) {
			r = spore_err_setx(err, EINVAL, "%s: manifest.json lists an invalid layer name", file);
			goto out;
		}
	}
	*n = json_array_size(ls);
	r = 0;
out:
	json_decref(j);
	return r;
}

/* Resolves "." and ".." in an archive-relative path; -EINVAL if it climbs
 * out of the archive. */
static int resolve_dots(const char *in, char *out, size_t n)
{
	size_t o = 0;
	for (const char *p = in; *p;) {
		size_t len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (o == 0)
				return -EINVAL;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (len && !(len == 1 && p[0] == '.')) {
			if (o + len + 2 > n)
				return -EINVAL;
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, len);
			o += len;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	out[o] = '\0';
	return 0;
}

/* Streams the current entry into blobs/sha256/<digest> under dirfd. */
static int store_entry(struct archive *a, int dirfd, struct wanted *w, struct spore_err *err)
{
	char tmp[] = "blobs/sha256/.in-XXXXXX", buf[65536], path[100];
	struct spore_hasher h;
	unsigned char head[4] = {0};
	int r = 0, fd = -1;
	/* mkstempat does not exist: build the name by hand under dirfd. */
	for (int tries = 0; fd < 0 && tries < 100; tries++) {
		snprintf(tmp, sizeof(tmp), "blobs/sha256/.in-%06x", (unsigned)(rand() & 0xffffff));
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return spore_err_set(err, errno, "writing a layer");
	if ((r = spore_hasher_init(&h, err)) < 0)
		goto out;
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			r = spore_err_setx(err, EIO, "reading '%s': %s", w->name, archive_error_string(a));
			break;
		}
		if (h.bytes < 4)
			memcpy(head + h.bytes, buf, (size_t)n < 4 - h.bytes ? (size_t)n : 4 - h.bytes);
		if (write(fd, buf, (size_t)n) != n) {
			r = spore_err_set(err, errno ? errno : EIO, "writing '%s'", w->name);
			break;
		}
		spore_hasher_update(&h, buf, (size_t)n);
	}
	w->size = h.bytes;
	if (r < 0) {
		spore_hasher_free(&h);
		goto out;
	}
	spore_hasher_final(&h, w->digest);
	snprintf(w->media_type, sizeof(w->media_type), "%s",
		 head[0] == 0x1f && head[1] == 0x8b ? "application/vnd.oci.image.layer.v1.tar+gzip"
		 : head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd
			 ? "application/vnd.oci.image.layer.v1.tar+zstd"
			 : "application/vnd.oci.image.layer.v1.tar");
	snprintf(path, sizeof(path), "blobs/sha256/%s", w->digest + 7);
	if (renameat(dirfd, tmp, dirfd, path) < 0)
		r = spore_err_set(err, errno, "storing '%s'", w->name);
out:
	close(fd);
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
	return r;
}

static int put_json(int dirfd, const char *name, json_t *j, char *digest, size_t *len,
		    struct spore_err *err)
{
	char *txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS), path[100];
	if (!txt)
		return spore_err_set(err, ENOMEM, "writing the layout");
	*len = strlen(txt);
	if (digest) {
		spore_digest_buf(txt, *len, digest, NULL);
		snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
		name = path;
	}
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ok = fd >= 0 && write(fd, txt, *len) == (ssize_t)*len;
	if (fd >= 0)
		close(fd);
	free(txt);
	return ok ? 0 : spore_err_set(err, errno ? errno : EIO, "writing the layout's %s", name);
}

int spore_docker_archive_to_layout(int fd, const char *file, const char *dir,
				   struct spore_err *err)
{
	struct wanted cfg = {0}, *layers = NULL;
	size_t n = 0;
	int r = read_manifest(fd, file, &cfg, &layers, &n, err);
	int dirfd = -1;
	struct archive *a = NULL;
	struct archive_entry *e;
	json_t *man = NULL, *ls = NULL, *idx = NULL;
	if (r < 0)
		goto out;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || mkdirat(dirfd, "blobs", 0755) < 0 || mkdirat(dirfd, "blobs/sha256", 0755) < 0) {
		r = spore_err_set(err, errno, "creating a layout in %s", dir);
		goto out;
	}
	if (!(a = open_archive(fd, file, err))) {
		r = -err->code;
		goto out;
	}
	/* Symlinked layer files (older docker saves) point at another entry. */
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		char name[4096], target[4096];
		if (spore_merge_clean_path(archive_entry_pathname(e) ?: "", name, sizeof(name)) < 0)
			continue;
		if (archive_entry_filetype(e) == AE_IFLNK) {
			const char *t = archive_entry_symlink(e) ?: "";
			char joined[8192];
			const char *slash = strrchr(name, '/');
			snprintf(joined, sizeof(joined), "%.*s%s%s", slash ? (int)(slash - name) : 0, name,
				 slash ? "/" : "", t);
			if (t[0] == '/' || resolve_dots(joined, target, sizeof(target)) < 0)
				continue;
			for (size_t i = 0; i < n; i++) {
				if (strcmp(layers[i].name, name))
					continue;
				snprintf(layers[i].name, sizeof(layers[i].name), "%s", target);
				/* A target already read (listed as a layer itself, earlier
				 * in the archive) is that layer. */
				for (size_t j = 0; j < n; j++)
					if (j != i && layers[j].digest[0] && !strcmp(layers[j].name, target))
						layers[i] = layers[j];
			}
			continue;
		}
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		struct wanted *w = !strcmp(name, cfg.name) ? &cfg : NULL;
		for (size_t i = 0; !w && i < n; i++)
			if (!strcmp(layers[i].name, name) && !layers[i].digest[0])
				w = &layers[i];
		if (!w)
			continue;
		r = store_entry(a, dirfd, w, err);
		if (r < 0)
			goto out;
		/* The same file may be listed twice (identical layers). */
		for (size_t i = 0; i < n; i++)
			if (&layers[i] != w && !strcmp(layers[i].name, name))
				layers[i] = *w;
	}
	if (r < ARCHIVE_WARN) {
		r = spore_err_setx(err, EINVAL, "%s: corrupt or truncated: %s", file, archive_error_string(a));
		goto out;
	}
	r = 0;
	if (!cfg.digest[0]) {
		r = spore_err_setx(err, EINVAL, "%s: the config '%s' is missing", file, cfg.name);
		goto out;
	}
	ls = json_array();
	for (size_t i = 0; i < n; i++) {
		if (!layers[i].digest[0]) {
			r = spore_err_setx(err, EINVAL, "%s: layer '%s' is missing", file, layers[i].name);
			goto out;
		}
		json_array_append_new(ls, json_pack("{s:s, s:s, s:I}", "mediaType", layers[i].media_type,
						    "digest", layers[i].digest, "size", (json_int_t)layers[i].size));
	}
	man = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
			SPORE_MT_OCI_MANIFEST, "config", "mediaType", "application/vnd.oci.image.config.v1+json",
			"digest", cfg.digest, "size", (json_int_t)cfg.size, "layers", ls);
	char mdigest[SPORE_DIGEST_LEN + 1];
	size_t mlen, ilen;
	if (!man) {
		r = spore_err_set(err, ENOMEM, "writing the layout");
		goto out;
	}
	r = put_json(dirfd, NULL, man, mdigest, &mlen, err);
	if (r < 0)
		goto out;
	idx = json_pack("{s:i, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2, "manifests", "mediaType",
			SPORE_MT_OCI_MANIFEST, "digest", mdigest, "size", (json_int_t)mlen);
	json_t *lay = json_pack("{s:s}", "imageLayoutVersion", "1.0.0");
	r = idx && lay ? put_json(dirfd, "index.json", idx, NULL, &ilen, err)
		       : spore_err_set(err, ENOMEM, "writing the layout");
	if (r == 0)
		r = put_json(dirfd, "oci-layout", lay, NULL, &ilen, err);
	json_decref(lay);
out:
	if (a)
		archive_read_free(a);
	if (dirfd >= 0)
		close(dirfd);
	json_decref(man);
	json_decref(ls);
	json_decref(idx);
	free(layers);
	return r;
}

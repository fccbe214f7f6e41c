#include "oci_layout.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REF_NAME "org.opencontainers.image.ref.name"

int spore_oci_layout_open(struct spore_oci_layout *l, const char *dir, struct spore_err *err)
{
	snprintf(l->path, sizeof(l->path), "%s", dir);
	l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dirfd < 0)
		return spore_err_set(err, errno, "opening OCI layout %s", dir);
	if (faccessat(l->dirfd, "oci-layout", F_OK, 0) < 0) {
		close(l->dirfd);
		l->dirfd = -1;
		return spore_err_setx(err, EINVAL, "%s is not an OCI image layout (no oci-layout file)", dir);
	}
	return 0;
}

void spore_oci_layout_close(struct spore_oci_layout *l)
{
	if (l->dirfd >= 0)
		close(l->dirfd);
	l->dirfd = -1;
}

/* Streams blob `digest` into fd (or into *mem when fd < 0), at most max
 * bytes, and checks its digest (and size, if want_size is not -1). */
static int copy_blob(struct spore_oci_layout *l, const char *digest, int64_t want_size, uint64_t max,
		     int fd, char **mem, size_t *len, struct spore_err *err)
{
	char rel[100], buf[65536], got[SPORE_DIGEST_LEN + 1];
	struct spore_hasher h;
	char *m = NULL;
	int r = 0;
	if (!spore_digest_valid(digest))
		return spore_err_setx(err, EINVAL, "invalid digest '%s'", digest);
	snprintf(rel, sizeof(rel), "blobs/sha256/%s", digest + 7);
	int in = openat(l->dirfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return spore_err_set(err, errno, "%s: blob %s", l->path, digest);
	if ((r = spore_hasher_init(&h, err)) < 0) {
		close(in);
		return r;
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = spore_err_set(err, errno, "%s: reading blob %s", l->path, digest);
			break;
		}
		if (n == 0)
			break;
		if (h.bytes + (uint64_t)n > max) {
			r = spore_err_setx(err, EFBIG, "%s: blob %s is larger than %llu bytes", l->path, digest,
					   (unsigned long long)max);
			break;
		}
		if (fd >= 0) {
			if (write(fd, buf, (size_t)n) != n) {
				r = spore_err_set(err, errno ? errno : EIO, "copying blob %s", digest);
				break;
			}
		} else {
			char *nm = realloc(m, h.bytes + (size_t)n + 1);
			if (!nm) {
				r = spore_err_set(err, ENOMEM, "reading blob %s", digest);
				break;
			}
			m = nm;
			memcpy(m + h.bytes, buf, (size_t)n);
			m[h.bytes + (size_t)n] = '\0';
		}
		spore_hasher_update(&h, buf, (size_t)n);
	}
	close(in);
	uint64_t total = h.bytes;
	if (r < 0) {
		spore_hasher_free(&h);
		free(m);
		return r;
	}
	spore_hasher_final(&h, got);
	if (strcmp(got, digest) || (want_size >= 0 && total != (uint64_t)want_size)) {
		free(m);
		return spore_err_setx(err, EBADMSG, "%s: blob %s is corrupt (digest %s, %llu bytes)", l->path,
				      digest, got, (unsigned long long)total);
	}
	if (mem) {
		*mem = m ? m : strdup("");
		*len = (size_t)total;
	}
	return 0;
}

int spore_oci_layout_manifest(struct spore_oci_layout *l, const char *which, char **body,
			      size_t *len, char *content_type, size_t ct_len,
			      char digest[SPORE_DIGEST_LEN + 1], struct spore_err *err)
{
	char want[SPORE_DIGEST_LEN + 1] = "";
	int64_t want_size = -1;
	if (content_type)
		content_type[0] = '\0';
	if (spore_digest_valid(which)) {
		strcpy(want, which);
	} else {
		int fd = openat(l->dirfd, "index.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return spore_err_set(err, errno, "%s: index.json", l->path);
		struct stat st;
		if (fstat(fd, &st) < 0 || st.st_size > (off_t)SPORE_MANIFEST_MAX) {
			close(fd);
			return spore_err_setx(err, EFBIG, "%s: index.json is over the %u-byte limit", l->path,
					      SPORE_MANIFEST_MAX);
		}
		FILE *f = fdopen(fd, "r");
		json_error_t jerr;
		json_t *j = f ? json_loadf(f, JSON_REJECT_DUPLICATES, &jerr) : NULL;
		if (f)
			fclose(f);
		else
			close(fd);
		if (!j)
			return spore_err_setx(err, EBADMSG, "%s: index.json is not valid JSON", l->path);
		json_t *ms = json_object_get(j, "manifests"), *e;
		size_t i, count = 0;
		json_array_foreach(ms, i, e) {
			const char *name = json_string_value(json_object_get(json_object_get(e, "annotations"), REF_NAME));
			const char *d = json_string_value(json_object_get(e, "digest"));
			json_t *sz = json_object_get(e, "size");
			if (!d || !spore_digest_valid(d) || (which[0] && (!name || strcmp(name, which))))
				continue;
			count++;
			strcpy(want, d);
			want_size = json_is_integer(sz) ? json_integer_value(sz) : -1;
			if (content_type)
				snprintf(content_type, ct_len, "%s",
					 json_string_value(json_object_get(e, "mediaType")) ?: "");
		}
		json_decref(j);
		if (count == 0)
			return spore_err_setx(err, ENOENT, "%s: no image tagged '%s'", l->path, which);
		if (count > 1)
			return spore_err_setx(err, EINVAL, "%s holds %zu images%s; name one as oci:%s:TAG", l->path,
					      count, which[0] ? " with that tag" : "", l->path);
	}
	int r = copy_blob(l, want, want_size, SPORE_MANIFEST_MAX, -1, body, len, err);
	if (r < 0)
		return r;
	strcpy(digest, want);
	return 0;
}

int spore_oci_layout_blob(struct spore_oci_layout *l, const struct spore_descriptor *d, int fd,
			  struct spore_err *err)
{
	return copy_blob(l, d->digest, (int64_t)d->size, d->size, fd, NULL, NULL, err);
}

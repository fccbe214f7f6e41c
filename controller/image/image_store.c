/* The on-disk image cache; layout in image_store.h. */
#include "image_store.h"
#include "oci_manifest.h"
#include <spore/log.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const tmp_kinds[] = {"pull", "archive", NULL};

static int sub(const struct spore_store *s, char *buf, size_t n, const char *fmt, const char *arg)
{
	char tail[256];
	snprintf(tail, sizeof(tail), fmt, arg);
	int w = snprintf(buf, n, "%s/%s", s->dir, tail);
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

int spore_store_open(struct spore_store *s, const char *root, bool exclusive,
		     struct spore_err *err)
{
	static const char *const dirs[] = {"blobs/sha256", "rootfs", "refs", "tmp"};
	char path[PATH_MAX];
	s->lock_fd = -1;
	s->commit = NULL;
	if (!root)
		root = spore_state_default_root();
	int w = snprintf(s->dir, sizeof(s->dir), "%s/images", root);
	if (w < 0 || (size_t)w >= sizeof(s->dir))
		return spore_err_setx(err, ENAMETOOLONG, "image cache root '%s': path too long", root);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", s->dir, dirs[i]);
		int r = spore_state_mkdir_p(path, 0700);
		if (r < 0)
			return spore_err_set(err, r, "creating the image cache %s", path);
	}
	snprintf(path, sizeof(path), "%s/lock", s->dir);
	s->lock_fd = spore_state_lock(path, "image cache", exclusive, err);
	if (s->lock_fd < 0)
		return s->lock_fd;
	/* Temp files and directories carry their creator's pid: what a
	 * sporectl killed in mid-pull left behind goes now. (Partial downloads,
	 * partial-<digest>, stay: pulls resume them.) */
	snprintf(path, sizeof(path), "%s/tmp", s->dir);
	spore_state_sweep(path, tmp_kinds, "image cache");
	return 0;
}

void spore_store_close(struct spore_store *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
}

int spore_store_blob_path(const struct spore_store *s, const char *digest, char *buf, size_t n)
{
	if (!spore_digest_valid(digest))
		return -EINVAL;
	return sub(s, buf, n, "blobs/sha256/%s", digest + 7);
}

int spore_store_rootfs_path(const struct spore_store *s, const char *manifest_digest, char *buf,
			    size_t n)
{
	if (!spore_digest_valid(manifest_digest))
		return -EINVAL;
	return sub(s, buf, n, "rootfs/%s.sqfs", manifest_digest + 7);
}

int spore_store_tmpname(const struct spore_store *s, const char *kind, char *buf, size_t n)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/tmp", s->dir);
	return spore_state_tmpname(buf, n, dir, kind);
}

int spore_store_tmpfile(const struct spore_store *s, char *buf, size_t n, struct spore_err *err)
{
	if (spore_store_tmpname(s, "pull", buf, n) < 0)
		return spore_err_setx(err, ENAMETOOLONG, "image cache path too long");
	int fd = mkostemp(buf, O_CLOEXEC);
	if (fd < 0)
		return spore_err_set(err, errno, "creating a temp file in %s/tmp", s->dir);
	return fd;
}

int spore_store_commit_file(const char *tmp, const char *dest, struct spore_err *err)
{
	struct stat st, after;
	int fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), e = 0;

	/* A worker owns the temp directory: the file is checked and taken
	 * through a descriptor, and dest must be that file after the rename
	 * (not one swapped in meanwhile). */
	if (fd < 0 || fstat(fd, &st) < 0)
		e = errno;
	else if (!S_ISREG(st.st_mode))
		e = EINVAL;
	else if ((geteuid() == 0 && fchown(fd, 0, 0) < 0) || fchmod(fd, 0444) < 0 ||
		 rename(tmp, dest) < 0)
		e = errno;
	else if (lstat(dest, &after) < 0 || after.st_ino != st.st_ino || after.st_dev != st.st_dev) {
		unlink(dest);
		e = EBUSY;
	}
	if (fd >= 0)
		close(fd);
	if (e) {
		unlink(tmp);
		return spore_err_set(err, e, "storing %s", dest);
	}
	return 0;
}

int spore_store_commit(const struct spore_store *s, const char *tmp, const char *dest,
		       struct spore_err *err)
{
	if (s->commit)
		return s->commit(s, tmp, dest, err);
	return spore_store_commit_file(tmp, dest, err);
}

static int write_all(int fd, const void *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, (const char *)buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	return 0;
}

/* Writes buf to dest through a temp file. */
static int put_file(const struct spore_store *s, const char *dest, const void *buf, size_t len,
		    struct spore_err *err)
{
	char tmp[PATH_MAX];
	int fd = spore_store_tmpfile(s, tmp, sizeof(tmp), err);
	if (fd < 0)
		return fd;
	int r = write_all(fd, buf, len);
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return spore_err_set(err, r, "writing %s", tmp);
	}
	return spore_store_commit(s, tmp, dest, err);
}

int spore_store_put_blob(const struct spore_store *s, const char *digest, const void *buf,
			 size_t len, struct spore_err *err)
{
	char path[PATH_MAX];
	if (spore_store_blob_path(s, digest, path, sizeof(path)) < 0)
		return spore_err_setx(err, EINVAL, "invalid digest '%s'", digest);
	return put_file(s, path, buf, len, err);
}

/* Hashes an open file from its start; returns its size or a negative code. */
static int64_t hash_fd(int fd, char out[SPORE_DIGEST_LEN + 1])
{
	struct spore_hasher h;
	char buf[65536];
	if (spore_hasher_init(&h, NULL) < 0)
		return -ENOMEM;
	for (off_t off = 0;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			spore_hasher_free(&h);
			return -e;
		}
		if (n == 0)
			break;
		spore_hasher_update(&h, buf, (size_t)n);
		off += n;
	}
	int64_t total = (int64_t)h.bytes;
	spore_hasher_final(&h, out);
	return total;
}

bool spore_store_blob_ok(const struct spore_store *s, const char *digest, uint64_t size)
{
	char path[PATH_MAX], got[SPORE_DIGEST_LEN + 1];
	struct stat st;
	if (spore_store_blob_path(s, digest, path, sizeof(path)) < 0)
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = fstat(fd, &st) == 0 && (uint64_t)st.st_size == size &&
		  hash_fd(fd, got) == (int64_t)size && !strcmp(got, digest);
	close(fd);
	if (!ok) {
		log_warn("cached blob %s is damaged; fetching it again", digest);
		unlink(path);
	}
	return ok;
}

int spore_store_read_blob(const struct spore_store *s, const char *digest, size_t max, char **buf,
			  size_t *len, struct spore_err *err)
{
	char path[PATH_MAX], got[SPORE_DIGEST_LEN + 1];
	struct stat st;
	if (spore_store_blob_path(s, digest, path, sizeof(path)) < 0)
		return spore_err_setx(err, EINVAL, "invalid digest '%s'", digest);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return spore_err_set(err, errno, "reading cached blob %s", digest);
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size > max) {
		close(fd);
		return spore_err_setx(err, EFBIG, "cached blob %s is too large", digest);
	}
	char *b = malloc((size_t)st.st_size + 1);
	ssize_t n = b ? pread(fd, b, (size_t)st.st_size, 0) : -1;
	close(fd);
	if (n != st.st_size) {
		free(b);
		return spore_err_setx(err, EIO, "reading cached blob %s failed", digest);
	}
	b[n] = '\0';
	if (spore_digest_buf(b, (size_t)n, got, err) < 0 || strcmp(got, digest)) {
		free(b);
		return spore_err_setx(err, EBADMSG, "cached blob %s is damaged (digest %s); run 'sporectl image prune' and pull again",
				      digest, got);
	}
	*buf = b;
	*len = (size_t)n;
	return 0;
}

static int ref_path(const struct spore_store *s, const char *ref, char *buf, size_t n)
{
	char d[SPORE_DIGEST_LEN + 1];
	if (spore_digest_buf(ref, strlen(ref), d, NULL) < 0)
		return -ENOMEM;
	return sub(s, buf, n, "refs/%s.json", d + 7);
}

int spore_store_put_ref(const struct spore_store *s, const struct spore_image_rec *rec,
			struct spore_err *err)
{
	char path[PATH_MAX];
	if (ref_path(s, rec->ref, path, sizeof(path)) < 0)
		return spore_err_setx(err, ENAMETOOLONG, "image cache path too long");
	json_t *j = json_pack("{s:s, s:s, s:s, s:I}", "ref", rec->ref, "manifest", rec->manifest,
			      "config", rec->config, "pulled", (json_int_t)rec->pulled);
	char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!txt)
		return spore_err_set(err, ENOMEM, "recording %s", rec->ref);
	int r = put_file(s, path, txt, strlen(txt), err);
	free(txt);
	return r;
}

static void rootfs_size(const struct spore_store *s, struct spore_image_rec *rec)
{
	char path[PATH_MAX];
	struct stat st;
	rec->rootfs_size = 0;
	if (spore_store_rootfs_path(s, rec->manifest, path, sizeof(path)) == 0 && stat(path, &st) == 0)
		rec->rootfs_size = (uint64_t)st.st_size;
}

static int load_ref_file(const char *path, struct spore_image_rec *rec)
{
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	const char *ref = json_string_value(json_object_get(j, "ref"));
	const char *man = json_string_value(json_object_get(j, "manifest"));
	const char *cfg = json_string_value(json_object_get(j, "config"));
	json_t *pulled = json_object_get(j, "pulled");
	int r = -EBADMSG;
	if (ref && strlen(ref) < sizeof(rec->ref) && spore_digest_valid(man) && spore_digest_valid(cfg)) {
		memset(rec, 0, sizeof(*rec));
		strcpy(rec->ref, ref);
		strcpy(rec->manifest, man);
		strcpy(rec->config, cfg);
		rec->pulled = (time_t)json_integer_value(pulled);
		r = 0;
	}
	json_decref(j);
	return r;
}

int spore_store_get_ref(const struct spore_store *s, const char *ref, struct spore_image_rec *rec,
			struct spore_err *err)
{
	char path[PATH_MAX];
	if (ref_path(s, ref, path, sizeof(path)) < 0)
		return spore_err_setx(err, ENAMETOOLONG, "image cache path too long");
	if (access(path, F_OK) < 0)
		return spore_err_setx(err, ENOENT, "%s: no such image in %s (pull it first)", ref, s->dir);
	if (load_ref_file(path, rec) < 0 || strcmp(rec->ref, ref))
		return spore_err_setx(err, EBADMSG, "%s: damaged cache record %s", ref, path);
	rootfs_size(s, rec);
	return 0;
}

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct spore_image_rec *)a)->ref, ((const struct spore_image_rec *)b)->ref);
}

int spore_store_list(const struct spore_store *s, struct spore_image_rec **recs, size_t *n,
		     struct spore_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *de;
	size_t cap = 0;
	*recs = NULL;
	*n = 0;
	snprintf(dir, sizeof(dir), "%s/refs", s->dir);
	DIR *d = opendir(dir);
	if (!d)
		return spore_err_set(err, errno, "listing %s", dir);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct spore_image_rec *nr = realloc(*recs, cap * sizeof(**recs));
			if (!nr) {
				closedir(d);
				return spore_err_set(err, ENOMEM, "listing images");
			}
			*recs = nr;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (load_ref_file(path, &(*recs)[*n]) < 0) {
			log_warn("ignoring damaged cache record %s", path);
			continue;
		}
		rootfs_size(s, &(*recs)[*n]);
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(*recs, *n, sizeof(**recs), cmp_rec);
	return 0;
}

int spore_store_rm(const struct spore_store *s, const char *ref, struct spore_err *err)
{
	struct spore_image_rec rec, *all = NULL;
	char path[PATH_MAX];
	size_t n = 0;
	int r = spore_store_get_ref(s, ref, &rec, err);
	if (r < 0)
		return r;
	if (ref_path(s, ref, path, sizeof(path)) < 0 || unlink(path) < 0)
		return spore_err_set(err, errno, "removing %s", ref);
	r = spore_store_list(s, &all, &n, err);
	if (r < 0)
		return r;
	bool used = false;
	for (size_t i = 0; i < n; i++)
		used = used || !strcmp(all[i].manifest, rec.manifest);
	free(all);
	if (!used && spore_store_rootfs_path(s, rec.manifest, path, sizeof(path)) == 0 &&
	    unlink(path) < 0 && errno != ENOENT)
		return spore_err_set(err, errno, "removing %s", path);
	return 0;
}

/* The set of file names (hex digests) that references need. */
struct keep {
	char (*hex)[65];
	size_t n, cap;
};

static int keep_add(struct keep *k, const char *digest)
{
	if (!spore_digest_valid(digest))
		return 0;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		char(*h)[65] = realloc(k->hex, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		k->hex = h;
		k->cap = cap;
	}
	memcpy(k->hex[k->n++], digest + 7, 65);
	return 0;
}

static bool keep_has(const struct keep *k, const char *name, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < k->n; i++)
		if (!memcmp(k->hex[i], name, 64))
			return true;
	return false;
}

/* Deletes entries of dir that are not kept (all of them with k NULL). */
static int sweep(const char *dir, const struct keep *k, const char *suffix,
		 struct spore_prune_stats *st, struct spore_err *err)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	struct stat sb;
	DIR *d = opendir(dir);
	if (!d)
		return spore_err_set(err, errno, "listing %s", dir);
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		size_t len = strcspn(name, ".");
		if (k && keep_has(k, name, len) && !strcmp(name + len, suffix))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (lstat(path, &sb) == 0 && unlink(path) == 0) {
			st->files++;
			st->bytes += (uint64_t)sb.st_size;
		}
	}
	closedir(d);
	return 0;
}

int spore_store_prune(const struct spore_store *s, struct spore_prune_stats *st,
		      struct spore_err *err)
{
	struct spore_image_rec *recs = NULL;
	struct keep blobs = {0}, roots = {0};
	char dir[PATH_MAX];
	size_t n = 0;
	int r = spore_store_list(s, &recs, &n, err);
	st->files = 0;
	st->bytes = 0;
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct spore_manifest m;
		char *body = NULL;
		size_t len;
		r = keep_add(&roots, recs[i].manifest);
		r = r ? r : keep_add(&blobs, recs[i].manifest);
		r = r ? r : keep_add(&blobs, recs[i].config);
		if (r == 0 && spore_store_read_blob(s, recs[i].manifest, SPORE_MANIFEST_MAX, &body, &len, NULL) == 0 &&
		    spore_manifest_parse(body, len, &m, NULL) == 0) {
			for (size_t l = 0; l < m.n_layers && r == 0; l++)
				r = keep_add(&blobs, m.layers[l].digest);
			spore_manifest_free(&m);
		}
		free(body);
	}
	free(recs);
	if (r < 0) {
		r = spore_err_set(err, r, "pruning the image cache");
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s/blobs/sha256", s->dir);
	r = sweep(dir, &blobs, "", st, err);
	snprintf(dir, sizeof(dir), "%s/rootfs", s->dir);
	r = r ? r : sweep(dir, &roots, ".sqfs", st, err);
	snprintf(dir, sizeof(dir), "%s/tmp", s->dir);
	r = r ? r : sweep(dir, NULL, "", st, err);
out:
	free(blobs.hex);
	free(roots.hex);
	return r;
}

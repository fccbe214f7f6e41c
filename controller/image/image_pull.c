/* Pull: resolve the reference to one image manifest, fetch what the cache
 * lacks, merge the layers into a squashfs. Every blob is verified before it
 * is used; nothing becomes visible in the cache until it is complete, and a
 * failed pull leaves only verified layer blobs behind (so a retry resumes). */
#include "image_progress.h"
#include "image_pull.h"
#include "image_worker.h"
#include "layer_merge.h"
#include "oci_docker_archive.h"
#include "oci_layout.h"
#include "oci_manifest.h"
#include "oci_ref.h"
#include "squashfs.h"
#include <spore/clock.h>
#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Where blobs come from: a registry or an OCI layout directory (for a
 * docker-archive, one converted into tmpdir). */
struct source {
	struct spore_registry *reg;
	struct spore_oci_layout layout;
	char tmpdir[PATH_MAX];
	/* On a terminal: a line per layer (image_progress.h) instead of a
	 * line per step. */
	struct spore_progress *progress;
};

static int src_manifest(struct source *src, const char *which, char **body, size_t *len, char *ct,
			size_t ctn, char *digest, struct spore_err *err)
{
	if (src->reg)
		return spore_registry_manifest(src->reg, which, body, len, ct, ctn, digest, err);
	return spore_oci_layout_manifest(&src->layout, which, body, len, ct, ctn, digest, err);
}

static int src_blob(struct source *src, const struct spore_descriptor *d, int fd, uint64_t offset,
		    struct spore_err *err)
{
	if (src->reg)
		return spore_registry_blob(src->reg, d, fd, offset, err);
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return spore_err_set(err, errno, "copying blob %s", d->digest);
	return spore_oci_layout_blob(&src->layout, d, fd, err);
}

/* The file a registry blob downloads into: tmp/partial-<hex>, kept when the
 * transfer breaks so the next pull resumes it. A pull that finds it locked
 * by another pull uses a private temp file instead. *offset is its size. */
static int partial_file(struct spore_store *s, const struct spore_descriptor *d, char *path,
			size_t n, uint64_t *offset, struct spore_err *err)
{
	struct stat st;
	*offset = 0;
	int w = snprintf(path, n, "%s/tmp/partial-%s", s->dir, d->digest + 7);
	int fd = w > 0 && (size_t)w < n ? open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
		if (fstat(fd, &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size < d->size)
			*offset = (uint64_t)st.st_size;
		return fd;
	}
	if (fd >= 0)
		close(fd);
	return spore_store_tmpfile(s, path, n, err);
}

static void step(const struct spore_pull_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void step(const struct spore_pull_opts *o, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	if (o->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	fputs(line, stderr); /* one write: layer threads print too */
}

/* Resolves to an image manifest for os/arch: an index is followed once. */
static int resolve(struct source *src, const char *which, const struct spore_pull_opts *o,
		   char **body, size_t *len, char *digest, struct spore_err *err)
{
	char ct[128];
	int kind;
	int r = src_manifest(src, which, body, len, ct, sizeof(ct), digest, err);
	if (r < 0)
		return r;
	kind = spore_manifest_kind(ct, *body, *len, err);
	if (kind == SPORE_MANIFEST_INDEX) {
		struct spore_descriptor d;
		r = spore_index_select(*body, *len, o->os, o->arch, &d, err);
		free(*body);
		*body = NULL;
		if (r < 0)
			return r;
		r = src_manifest(src, d.digest, body, len, ct, sizeof(ct), digest, err);
		if (r < 0)
			return r;
		if (*len != d.size) {
			r = spore_err_setx(err, EBADMSG, "manifest %s is %zu bytes, the index says %llu", d.digest,
					   *len, (unsigned long long)d.size);
			goto fail;
		}
		kind = spore_manifest_kind(ct, *body, *len, err);
		if (kind == SPORE_MANIFEST_INDEX)
			kind = spore_err_setx(err, EBADMSG, "index entry %s is itself an index", d.digest);
	}
	if (kind < 0) {
		r = kind;
		goto fail;
	}
	return 0;
fail:
	free(*body);
	*body = NULL;
	return r;
}

/* Fetches layer i's blob into the cache unless it is there (and intact). */
static int fetch_blob(struct spore_store *s, struct source *src, const struct spore_descriptor *d,
		      size_t i, size_t n, const struct spore_pull_opts *o, struct spore_err *err)
{
	static const struct spore_pull_opts silent = {.quiet = true};
	struct spore_progress *p = src->progress;
	char what[48], tmp[PATH_MAX], dest[PATH_MAX], sz[32], sz2[32];
	if (p)
		o = &silent;
	snprintf(what, sizeof(what), "layer %zu/%zu", i + 1, n);
	if (spore_store_blob_ok(s, d->digest, d->size)) {
		step(o, "%s %.19s: cached", what, d->digest);
		spore_progress_state(p, i, SPORE_LAYER_CACHED, 0);
		return 0;
	}
	if (spore_store_blob_path(s, d->digest, dest, sizeof(dest)) < 0)
		return spore_err_setx(err, EINVAL, "invalid digest '%s'", d->digest);
	uint64_t offset = 0;
	int fd = src->reg ? partial_file(s, d, tmp, sizeof(tmp), &offset, err)
			  : spore_store_tmpfile(s, tmp, sizeof(tmp), err);
	if (fd < 0)
		return fd;
	if (offset)
		step(o, "%s %.19s: resuming at %s of %s", what, d->digest, spore_human_bytes(offset, sz, sizeof(sz)),
		     spore_human_bytes(d->size, sz2, sizeof(sz2)));
	else
		step(o, "%s %.19s: fetching %s", what, d->digest, spore_human_bytes(d->size, sz, sizeof(sz)));
	spore_progress_state(p, i, SPORE_LAYER_FETCHING, offset);
	int64_t t0 = spore_now_ms();
	int r = src_blob(src, d, fd, offset, err);
	log_debug("%s fetched in %lld ms", what, (long long)(spore_now_ms() - t0));
	/* Rename before closing: the lock keeps other pulls off the file. */
	if (r == 0)
		r = spore_store_commit(s, tmp, dest, err);
	else if (r != -ECONNABORTED)
		unlink(tmp);
	close(fd);
	spore_progress_state(p, i, r < 0 ? SPORE_LAYER_FAILED : SPORE_LAYER_DONE, 0);
	return r < 0 ? spore_err_wrap(err, "%s", what) : 0;
}

/* Where a registry handle reports layer i's bytes. */
struct progress_slot {
	struct spore_progress *p;
	size_t layer;
};

static void on_progress(void *arg, uint64_t bytes)
{
	struct progress_slot *sl = arg;
	spore_progress_bytes(sl->p, sl->layer, bytes);
}

/* fetch_blob for layer i, with its bytes reported when on a terminal. */
static int fetch_layer(struct spore_store *s, struct source *src, const struct spore_manifest *m,
		       size_t i, const struct spore_pull_opts *o, struct spore_err *err)
{
	struct progress_slot slot = {src->progress, i};
	if (src->reg && slot.p)
		spore_registry_set_progress(src->reg, on_progress, &slot);
	int r = fetch_blob(s, src, &m->layers[i], i, m->n_layers, o, err);
	if (src->reg)
		spore_registry_set_progress(src->reg, NULL, NULL);
	return r;
}

/* Layers are fetched by up to FETCH_THREADS threads, each with its own
 * registry handle, top layer first: the merge starts with it and merges each
 * layer as soon as it is in the cache while the others still download. The
 * first error stops the others from starting more. */
#define FETCH_THREADS 4

struct fetch_all {
	struct spore_store *s;
	struct source *src;
	const struct spore_manifest *m;
	const struct spore_pull_opts *o;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a layer is in, or a fetch failed */
	bool *in;               /* per layer: in the cache */
	size_t next, running;
	bool stop;              /* the merge failed: start nothing more */
	int r;
	struct spore_err err;
};

static void fetch_failed(struct fetch_all *f, int r, const struct spore_err *err)
{
	if (f->r == 0) {
		f->r = r;
		f->err = *err;
	}
}

static void *fetch_worker(void *arg)
{
	struct fetch_all *f = arg;
	struct source mine = *f->src;
	struct spore_err err = {0};
	int r = 0;
	if (f->src->reg) {
		mine.reg = NULL;
		r = spore_registry_clone(f->src->reg, &mine.reg, &err);
	}
	pthread_mutex_lock(&f->lock);
	for (;;) {
		if (r < 0)
			fetch_failed(f, r, &err);
		if (r < 0 || f->r < 0 || f->stop || f->next >= f->m->n_layers)
			break;
		size_t i = f->m->n_layers - 1 - f->next++;
		pthread_mutex_unlock(&f->lock);
		r = fetch_layer(f->s, &mine, f->m, i, f->o, &err);
		pthread_mutex_lock(&f->lock);
		f->in[i] = r == 0;
		pthread_cond_broadcast(&f->changed);
	}
	bool last = --f->running == 0;
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->lock);
	/* The last one out ends the progress display and says what follows. */
	if (last && f->src->progress) {
		spore_progress_end(f->src->progress);
		f->src->progress = NULL;
		if (f->r == 0 && !f->stop)
			step(f->o, "merging %zu layers into a squashfs", f->m->n_layers);
	}
	if (f->src->reg)
		spore_registry_close(mine.reg);
	return NULL;
}

/* The merge's open_layer (layer_merge.h): waits until layer i is in the
 * cache, or a fetch failed. */
static int wait_layer(void *arg, size_t i, struct spore_err *err)
{
	struct fetch_all *f = arg;
	char path[PATH_MAX];
	int r = 0;
	pthread_mutex_lock(&f->lock);
	while (!f->in[i] && f->r == 0 && f->running)
		pthread_cond_wait(&f->changed, &f->lock);
	if (!f->in[i]) {
		r = f->r < 0 ? f->r : spore_err_setx(&f->err, EIO, "layer %zu was not fetched", i + 1);
		*err = f->err;
	}
	pthread_mutex_unlock(&f->lock);
	if (r < 0)
		return r;
	spore_store_blob_path(f->s, f->m->layers[i].digest, path, sizeof(path));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? spore_err_set(err, errno, "opening layer %s", path) : fd;
}

/* Merges the layers into a squashfs at dest as they come in, each checked
 * against its diff_id on the way. */
static int merge_layers(struct spore_store *s, struct fetch_all *f,
			const char (*diff_ids)[SPORE_DIGEST_LEN + 1], uint64_t max_bytes,
			const char *dest, struct spore_err *err)
{
	struct spore_merge_limits lim = {
		.max_bytes = max_bytes ? max_bytes : SPORE_MERGE_DEFAULT_MAX_BYTES,
		.max_entries = SPORE_MERGE_DEFAULT_MAX_ENTRIES,
	};
	char tmp[PATH_MAX];
	struct spore_sqfs_writer w;
	int tfd = spore_store_tmpfile(s, tmp, sizeof(tmp), err);
	if (tfd < 0)
		return tfd;
	close(tfd);
	int r = spore_sqfs_start(&w, tmp, err);
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	r = spore_layer_merge_from(wait_layer, f, f->m->n_layers, diff_ids, w.fd, &lim, NULL, err);
	int64_t t0 = spore_now_ms();
	int fin = spore_sqfs_finish(&w, r < 0, r < 0 ? NULL : err);
	log_debug("tar2sqfs finished %lld ms after the merge", (long long)(spore_now_ms() - t0));
	if (r == 0)
		r = fin;
	/* On a diff_id mismatch the layer blob stays: it matched its own
	 * digest, other images may share it, and nothing records this image
	 * (prune removes the blob if no image needs it). */
	if (r == 0)
		r = spore_store_commit(s, tmp, dest, err);
	else
		unlink(tmp);
	return r;
}

/* Fetches what the cache lacks and merges the layers into dest, the two
 * overlapped. */
static int fetch_and_merge(struct spore_store *s, struct source *src, const struct spore_manifest *m,
			   const char (*diff_ids)[SPORE_DIGEST_LEN + 1], const struct spore_pull_opts *o,
			   const char *dest, struct spore_err *err)
{
	struct fetch_all f = {.s = s, .src = src, .m = m, .o = o, .lock = PTHREAD_MUTEX_INITIALIZER,
			      .changed = PTHREAD_COND_INITIALIZER};
	pthread_t t[FETCH_THREADS];
	size_t n = m->n_layers < FETCH_THREADS ? m->n_layers : FETCH_THREADS, started = 0;
	int r = 0;

	f.in = calloc(m->n_layers ? m->n_layers : 1, sizeof(*f.in));
	if (!f.in)
		return spore_err_set(err, ENOMEM, "pulling");
	if (!o->quiet && src->reg && m->n_layers && isatty(STDERR_FILENO))
		src->progress = spore_progress_new(STDERR_FILENO, m->layers, m->n_layers);
	if (!src->progress)
		step(o, "merging %zu layers into a squashfs", m->n_layers);
	/* One layer (or none): nothing to overlap, no thread. */
	if (n <= 1) {
		for (size_t i = 0; i < m->n_layers && r == 0; i++)
			r = fetch_layer(s, src, m, i, o, err);
		for (size_t i = 0; i < m->n_layers; i++)
			f.in[i] = r == 0;
		spore_progress_end(src->progress);
		src->progress = NULL;
		if (r == 0)
			r = merge_layers(s, &f, diff_ids, o->max_bytes, dest, err);
		goto out;
	}
	pthread_mutex_lock(&f.lock);
	for (; started < n; started++) {
		if (pthread_create(&t[started], NULL, fetch_worker, &f))
			break;
		f.running++;
	}
	pthread_mutex_unlock(&f.lock);
	if (started == 0) {
		spore_progress_end(src->progress);
		src->progress = NULL;
		r = spore_err_set(err, EAGAIN, "starting download threads");
		goto out;
	}
	r = merge_layers(s, &f, diff_ids, o->max_bytes, dest, err);
	pthread_mutex_lock(&f.lock);
	f.stop = r < 0;
	pthread_mutex_unlock(&f.lock);
	for (size_t i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	/* A fetch's own error says more than the merge's "not fetched". */
	if (f.r < 0 && r < 0) {
		*err = f.err;
		r = f.r;
	}
out:
	free(f.in);
	return r;
}

/* What the worker is handed (opened by the privileged side) and what it
 * gives back. */
struct pull_job {
	struct spore_ref ref;
	const struct spore_pull_opts *o;
	struct source src;
	int archive_fd; /* docker-archive: the file */
};

struct pull_result {
	char manifest[SPORE_DIGEST_LEN + 1];
	char config[SPORE_DIGEST_LEN + 1];
};

/* The pull itself, in the confined worker (image_worker.h): everything
 * that reads the source's bytes. */
static int pull_in_worker(struct spore_store *s, void *arg, void *out, struct spore_err *err)
{
	struct pull_job *job = arg;
	struct pull_result *res = out;
	const struct spore_pull_opts *o = job->o;
	struct source *src = &job->src;
	struct spore_manifest m = {0};
	char *mbody = NULL, *cbody = NULL, dest[PATH_MAX];
	char(*diff_ids)[SPORE_DIGEST_LEN + 1] = NULL;
	size_t mlen = 0, clen = 0;
	int r = 0;

	if (job->ref.kind == SPORE_REF_DOCKER_ARCHIVE) {
		if (spore_store_tmpname(s, "archive", src->tmpdir, sizeof(src->tmpdir)) < 0 ||
		    !mkdtemp(src->tmpdir)) {
			src->tmpdir[0] = '\0';
			r = spore_err_set(err, errno, "creating a temp dir in the image cache");
		} else {
			step(o, "unpacking %s", job->ref.path);
			r = spore_docker_archive_to_layout(job->archive_fd, job->ref.path, src->tmpdir, err);
		}
		if (r == 0)
			r = spore_oci_layout_open(&src->layout, src->tmpdir, err);
		if (r < 0)
			goto out;
	}
	r = resolve(src, job->ref.digest[0] ? job->ref.digest : job->ref.tag, o, &mbody, &mlen,
		    res->manifest, err);
	if (r < 0)
		goto out;
	r = spore_manifest_parse(mbody, mlen, &m, err);
	if (r < 0)
		goto out;
	strcpy(res->config, m.config.digest);
	if (spore_store_rootfs_path(s, res->manifest, dest, sizeof(dest)) < 0) {
		r = spore_err_setx(err, ENAMETOOLONG, "image cache path too long");
		goto out;
	}
	if (access(dest, F_OK) == 0 && spore_store_blob_ok(s, res->manifest, mlen) &&
	    spore_store_blob_ok(s, res->config, m.config.size)) {
		char name[sizeof(((struct spore_image_rec *)0)->ref)];
		spore_ref_str(&job->ref, name, sizeof(name));
		step(o, "%s: up to date (%.19s)", name, res->manifest);
		goto out;
	}

	/* The config is small: fetch it through a temp file, check it, and
	 * keep it only when the whole pull succeeds. */
	char ctmp[PATH_MAX];
	int cfd = spore_store_tmpfile(s, ctmp, sizeof(ctmp), err);
	if (cfd < 0) {
		r = cfd;
		goto out;
	}
	r = src_blob(src, &m.config, cfd, 0, err);
	if (r == 0) {
		cbody = malloc(m.config.size + 1);
		if (!cbody || pread(cfd, cbody, m.config.size, 0) != (ssize_t)m.config.size)
			r = spore_err_set(err, EIO, "reading back the image config");
		clen = m.config.size;
	}
	close(cfd);
	unlink(ctmp);
	if (r < 0) {
		spore_err_wrap(err, "image config");
		goto out;
	}
	diff_ids = calloc(m.n_layers ? m.n_layers : 1, sizeof(*diff_ids));
	r = diff_ids ? spore_image_config_check(cbody, clen, &m, o->os, o->arch, diff_ids, err)
		     : spore_err_set(err, ENOMEM, "checking the image config");
	if (r < 0)
		goto out;

	r = fetch_and_merge(s, src, &m, (const char(*)[SPORE_DIGEST_LEN + 1])diff_ids, o, dest, err);
	if (r < 0)
		goto out;
	r = spore_store_put_blob(s, res->config, cbody, clen, err);
	if (r == 0)
		r = spore_store_put_blob(s, res->manifest, mbody, mlen, err);
out:
	free(mbody);
	free(cbody);
	free(diff_ids);
	spore_manifest_free(&m);
	if (src->tmpdir[0])
		spore_state_rm_tree(src->tmpdir);
	return r;
}

int spore_image_pull(struct spore_store *s, const char *refstr, const struct spore_pull_opts *o,
		     struct spore_image_rec *rec, struct spore_err *err)
{
	struct spore_pull_opts defaults = {0};
	struct pull_job job = {.src.layout.dirfd = -1, .archive_fd = -1};
	struct pull_result res;
	struct spore_worker_opts wo = {.read_dirfd = -1, .keep_fd = -1, .out = &res, .out_len = sizeof(res)};

	memset(&res, 0, sizeof(res));
	int r;

	if (!o)
		o = &defaults;
	struct spore_pull_opts opts = *o;
	if (!opts.os)
		opts.os = "linux";
	if (!opts.arch)
		opts.arch = "amd64";
	job.o = &opts;
	/* tar2sqfs dying must surface as an error, not kill us. */
	signal(SIGPIPE, SIG_IGN);

	r = spore_ref_parse(refstr, &job.ref, err);
	if (r == 0)
		r = spore_ref_absolute(&job.ref, err);
	if (r < 0)
		return r;
	memset(rec, 0, sizeof(*rec));
	spore_ref_str(&job.ref, rec->ref, sizeof(rec->ref));
	step(&opts, "pulling %s", rec->ref);
	/* Opened here, with the caller's rights: what the user named, and
	 * the registry's credentials and CAs. */
	if (job.ref.kind == SPORE_REF_DOCKER_ARCHIVE) {
		job.archive_fd = open(job.ref.path, O_RDONLY | O_CLOEXEC);
		if (job.archive_fd < 0)
			r = spore_err_set(err, errno, "opening %s", job.ref.path);
		wo.keep_fd = job.archive_fd;
	} else if (job.ref.kind == SPORE_REF_OCI_DIR) {
		r = spore_oci_layout_open(&job.src.layout, job.ref.path, err);
		wo.read_dirfd = job.src.layout.dirfd;
	} else {
		r = spore_registry_open(&job.src.reg, &job.ref, &opts.registry, err);
	}
	if (r == 0)
		r = spore_image_worker_run(s, pull_in_worker, &job, &wo, err);
	if (r < 0)
		goto out;
	strcpy(rec->manifest, res.manifest);
	strcpy(rec->config, res.config);
	if (!spore_digest_valid(rec->manifest) || !spore_digest_valid(rec->config)) {
		r = spore_err_setx(err, EPROTO, "the image worker sent an invalid digest");
		goto out;
	}
	rec->pulled = time(NULL);
	r = spore_store_put_ref(s, rec, err);
	if (r == 0) {
		spore_store_get_ref(s, rec->ref, rec, NULL);
		step(&opts, "%s: %s", rec->ref, rec->manifest);
	}
out:
	if (r < 0 && !strstr(err->msg, rec->ref))
		spore_err_wrap(err, "pulling %s", rec->ref);
	spore_registry_close(job.src.reg);
	spore_oci_layout_close(&job.src.layout);
	if (job.archive_fd >= 0)
		close(job.archive_fd);
	return r;
}

int spore_image_open(struct spore_store *s, const char *refstr, bool pull_missing,
		     const struct spore_pull_opts *o, char *rootfs, size_t rootfs_len,
		     struct spore_image_config *cfg, struct spore_err *err)
{
	struct spore_ref ref;
	struct spore_image_rec rec;
	char name[sizeof(rec.ref)], *body = NULL;
	size_t len;
	int r = spore_ref_parse(refstr, &ref, err);
	if (r == 0)
		r = spore_ref_absolute(&ref, err);
	if (r < 0)
		return r;
	if (spore_ref_str(&ref, name, sizeof(name)) < 0)
		return spore_err_setx(err, ENAMETOOLONG, "reference too long: %s", refstr);
	r = spore_store_get_ref(s, name, &rec, err);
	if (r == -ENOENT && pull_missing)
		r = spore_image_pull(s, refstr, o, &rec, err);
	if (r < 0)
		return r;
	if (spore_store_rootfs_path(s, rec.manifest, rootfs, rootfs_len) < 0 || access(rootfs, R_OK) < 0)
		return spore_err_setx(err, ENOENT, "%s: its squashfs is missing from the cache; pull it again",
				      name);
	r = spore_store_read_blob(s, rec.config, SPORE_MANIFEST_MAX, &body, &len, err);
	if (r == 0)
		r = spore_image_config_parse(body, len, cfg, err);
	free(body);
	if (r < 0)
		spore_err_wrap(err, "%s", name);
	return r;
}

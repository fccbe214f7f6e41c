/* Top-down layer merge; see layer_merge.h for the rules.
 *
 * One table maps every path seen to what the layers above said about it: the
 * layer that emitted it (and whether as a directory), the highest layer in
 * which it is a parent of an emitted path, and the highest layers that
 * whited it out or made it opaque. A lower layer's entry survives only if no
 * layer above claimed its path or hid it or one of its parents. Whiteouts
 * hide lower layers only, never entries of their own layer, which falls out
 * of comparing layer numbers strictly. */
#include "layer_merge.h"
#include "gzip_read.h"
#include "oci_digest.h"
#include <spore/clock.h>
#include <spore/log.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WH_PREFIX  ".wh."
#define WH_OPAQUE  ".wh..wh..opq"
#define PATH_MAX_LEN 4096

struct node {
	char *path;
	int emitted;  /* layer that emitted this path, or -1 */
	bool dir;     /* ...as a directory */
	int implied;  /* highest layer with an emitted path below this one, or -1 */
	int whiteout; /* highest layer whiting it out, or -1 */
	int opaque;   /* highest layer making it opaque, or -1 */
	uint32_t children; /* entries emitted directly below it */
};

struct table {
	struct node *slots;
	size_t cap, used;
};

struct hardlink {
	char *path, *target;
	int layer;
};

struct merge {
	struct table t;
	struct hardlink *links;
	size_t n_links, cap_links;
	struct archive *out;
	const struct spore_merge_limits *lim;
	struct spore_merge_stats st;
	uint64_t bytes_in;    /* file data over all layers */
	uint64_t stream_in;   /* uncompressed tar bytes over all layers */
	uint64_t max_dir_entries;
};

/* A layer's uncompressed stream: ISA-L (gzip, gzip_read.c) or a libarchive
 * reader of format "raw" (zstd, xz, none) only decompresses, and the tar
 * reader reads from it through stream_read, so that every byte, including
 * what follows the tar's end marker, is counted against the size cap and
 * hashed for the config's diff_id. Decompressing and hashing, the larger half
 * of a layer's work, run in their own thread up to 1 MiB ahead of the tar
 * reader, so the two halves use two CPUs (with 4 blocks they took turns:
 * a one-layer pull went from ~1.05 to ~0.95 s on an idle 2-core host). */
#define STREAM_BLOCKS 16
#define STREAM_BLOCK  65536

struct stream {
	struct merge *m;
	struct archive *raw;  /* zstd, xz, uncompressed; or */
	struct gzip_read *gz; /* gzip, which ISA-L inflates faster */
	const char *gz_why;   /* why gz failed */
	struct spore_hasher h;
	bool hashing, eof;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Blocks head - tail are filled; the reader holds block tail while
	 * libarchive uses it (until its next read). */
	size_t head, tail;
	bool held, done, cancel;
	int failed; /* 0, or why the stream ended early: EIO (raw's error), EFBIG */
	la_ssize_t len[STREAM_BLOCKS];
	char (*blk)[STREAM_BLOCK];
};

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static struct node *slot_for(struct table *t, const char *p, size_t n)
{
	size_t i = hash(p, n) & (t->cap - 1);
	while (t->slots[i].path &&
	       (strncmp(t->slots[i].path, p, n) || t->slots[i].path[n] != '\0'))
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

static struct node *lookup(struct table *t, const char *p, size_t n)
{
	if (!t->cap)
		return NULL;
	struct node *s = slot_for(t, p, n);
	return s->path ? s : NULL;
}

static int grow(struct table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 1024;
	struct node *old = t->slots;
	size_t oldcap = t->cap;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots) {
		t->slots = old;
		return -ENOMEM;
	}
	t->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].path)
			*slot_for(t, old[i].path, strlen(old[i].path)) = old[i];
	free(old);
	return 0;
}

/* Finds or adds the node for the first n bytes of p. */
static struct node *get(struct table *t, const char *p, size_t n)
{
	if ((t->used + 1) * 10 > t->cap * 7 && grow(t) < 0)
		return NULL;
	struct node *s = slot_for(t, p, n);
	if (!s->path) {
		s->path = strndup(p, n);
		if (!s->path)
			return NULL;
		s->emitted = s->implied = s->whiteout = s->opaque = -1;
		s->dir = false;
		s->children = 0;
		t->used++;
	}
	return s;
}

int spore_merge_clean_path(const char *in, char *out, size_t n)
{
	size_t o = 0;
	if (in[0] == '/')
		return -EINVAL;
	const char *p = in;
	while (*p) {
		size_t len = strcspn(p, "/");
		/* Over NAME_MAX no Linux filesystem can hold it (squashfs
		 * caps names at 256 bytes): refused, not left to the guest. */
		if ((len == 2 && p[0] == '.' && p[1] == '.') || len > 255)
			return -EINVAL;
		if (len && !(len == 1 && p[0] == '.')) {
			if (o + (o ? 1 : 0) + len + 1 > n)
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

/* Whether a layer-k entry at p is hidden by the layers above; -EINVAL (with
 * err) if it sits under a non-directory of its own layer. */
static int hidden(struct merge *m, const char *p, int k, struct spore_err *err)
{
	for (const char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		struct node *q = lookup(&m->t, p, (size_t)(s - p));
		if (!q)
			continue;
		if (q->whiteout > k || q->opaque > k || (q->emitted > k && !q->dir))
			return 1;
		if (q->emitted == k && !q->dir)
			return spore_err_setx(err, EINVAL,
					      "'%s' lies under '%s', which is not a directory (a link escape?)",
					      p, q->path);
	}
	struct node *n = lookup(&m->t, p, strlen(p));
	return n && n->whiteout > k;
}

static int copy_data(struct merge *m, struct archive *in, int layer, const char *path,
		     struct spore_err *err)
{
	char buf[65536];
	for (;;) {
		la_ssize_t r = archive_read_data(in, buf, sizeof(buf));
		if (r == 0)
			return 0;
		if (r < 0)
			return spore_err_setx(err, EIO, "layer %d: reading '%s': %s", layer + 1, path,
					      archive_error_string(in));
		if (archive_write_data(m->out, buf, (size_t)r) != r)
			return spore_err_setx(err, EIO, "writing the merged tar: %s",
					      archive_error_string(m->out));
		m->st.bytes_out += (uint64_t)r;
	}
}

static int emit(struct merge *m, struct archive *in, struct archive_entry *e, const char *path,
		const char *link, int k, bool is_dir, struct spore_err *err)
{
	struct node *n = get(&m->t, path, strlen(path));
	if (!n)
		return spore_err_set(err, ENOMEM, "merging layers");
	bool fresh = n->emitted < 0;
	n->emitted = k;
	n->dir = is_dir;
	/* The parent counts its entries: tar2sqfs (squashfs-tools-ng 1.2)
	 * scans a directory's whole list for each entry added to it, so one
	 * huge directory would take it hours; refused past the limit. */
	const char *slash = strrchr(path, '/');
	struct node *parent = get(&m->t, path, slash ? (size_t)(slash - path) : 0);
	if (!parent)
		return spore_err_set(err, ENOMEM, "merging layers");
	if (fresh && ++parent->children > m->max_dir_entries)
		return spore_err_setx(err, EFBIG, "layer %d: directory '/%s' has more than %llu entries", k + 1,
				      parent->path, (unsigned long long)m->max_dir_entries);
	/* Parents nearest first: one already marked for layer k or above had
	 * its own parents marked then (layers come top first), so the walk
	 * stops there and a deep tree costs no more than a flat one. */
	for (const char *s = slash; s; s = s > path ? memrchr(path, '/', (size_t)(s - path)) : NULL) {
		struct node *q = get(&m->t, path, (size_t)(s - path));
		if (!q)
			return spore_err_set(err, ENOMEM, "merging layers");
		if (q->implied >= k)
			break;
		q->implied = k;
	}
	struct archive_entry *o = archive_entry_clone(e);
	if (!o)
		return spore_err_set(err, ENOMEM, "merging layers");
	archive_entry_set_pathname(o, path);
	/* Numeric owners only: names would be looked up on dom0. */
	archive_entry_set_uname(o, NULL);
	archive_entry_set_gname(o, NULL);
	/* A layer's device and inode numbers (pax SCHILY.dev/ino) mean
	 * nothing here, and libarchive refuses an entry whose pair happens to
	 * be the output file's as "the archive itself" (seen in the unit
	 * test, whose output is a memfd). */
	archive_entry_set_dev(o, 0);
	archive_entry_set_ino(o, 0);
	/* Only a regular file's data is copied; any other entry's size would
	 * be written as that much padding. */
	if (link || archive_entry_filetype(e) != AE_IFREG)
		archive_entry_set_size(o, 0);
	if (link)
		archive_entry_set_hardlink(o, link);
	int r = archive_write_header(m->out, o);
	archive_entry_free(o);
	if (r < ARCHIVE_WARN)
		return spore_err_setx(err, EIO, "writing the merged tar at '%s': %s", path,
				      archive_error_string(m->out));
	m->st.entries_out++;
	if (!link && archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0)
		return copy_data(m, in, k, path, err);
	return 0;
}

static int add_link(struct merge *m, const char *path, const char *target, int k)
{
	if (m->n_links == m->cap_links) {
		size_t cap = m->cap_links ? m->cap_links * 2 : 64;
		struct hardlink *l = realloc(m->links, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		m->links = l;
		m->cap_links = cap;
	}
	struct hardlink *l = &m->links[m->n_links];
	l->path = strdup(path);
	l->target = strdup(target);
	l->layer = k;
	if (!l->path || !l->target) {
		free(l->path);
		free(l->target);
		return -ENOMEM;
	}
	m->n_links++;
	return 0;
}

/* Handles one entry of layer k. */
static int entry(struct merge *m, struct archive *in, struct archive_entry *e, int k,
		 struct spore_err *err)
{
	char path[PATH_MAX_LEN], link[PATH_MAX_LEN];
	const char *raw = archive_entry_pathname(e);
	const char *rawlink = archive_entry_hardlink(e);
	int type = archive_entry_filetype(e);
	bool is_dir = type == AE_IFDIR;

	if (!raw)
		return spore_err_setx(err, EINVAL, "layer %d: an entry has no readable name", k + 1);
	if (spore_merge_clean_path(raw, path, sizeof(path)) < 0)
		return spore_err_setx(err, EINVAL,
				      "layer %d: refusing entry '%.80s%s': absolute path, '..', or a name or path too long",
				      k + 1, raw, strlen(raw) > 80 ? "..." : "");
	if (rawlink && spore_merge_clean_path(rawlink, link, sizeof(link)) < 0)
		return spore_err_setx(err, EINVAL,
				      "layer %d: refusing hard link '%s' to '%s': it points outside the image",
				      k + 1, raw, rawlink);
	if (rawlink && !link[0])
		return spore_err_setx(err, EINVAL, "layer %d: refusing hard link '%s' to the root", k + 1, raw);
	if (!path[0])
		return 0; /* the root: tar2sqfs gets its defaults */

	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t dirlen = base == path ? 0 : (size_t)(base - path - 1);
	if (!strncmp(base, WH_PREFIX, strlen(WH_PREFIX))) {
		const char *name = base + strlen(WH_PREFIX);
		struct node *n;
		if (!strcmp(base, WH_OPAQUE)) {
			n = get(&m->t, path, dirlen);
			if (n && n->opaque < 0)
				n->opaque = k;
		} else if (!strncmp(name, WH_PREFIX, strlen(WH_PREFIX))) {
			return 0; /* other AUFS metadata (.wh..wh.plnk...): ignored */
		} else if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
			return spore_err_setx(err, EINVAL, "layer %d: invalid whiteout '%s'", k + 1, raw);
		} else {
			char target[PATH_MAX_LEN];
			memcpy(target, path, base - path);
			strcpy(target + (base - path), name);
			n = get(&m->t, target, strlen(target));
			if (n && n->whiteout < 0)
				n->whiteout = k;
		}
		return n ? 0 : spore_err_set(err, ENOMEM, "merging layers");
	}
	if (type == AE_IFSOCK)
		return spore_err_setx(err, EINVAL, "layer %d: refusing socket '%s'", k + 1, path);
	if (!rawlink && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK &&
	    type != AE_IFCHR && type != AE_IFBLK && type != AE_IFIFO)
		return spore_err_setx(err, EINVAL, "layer %d: '%s' has an unknown file type", k + 1, path);

	int h = hidden(m, path, k, err);
	if (h < 0)
		return spore_err_wrap(err, "layer %d", k + 1);
	if (h)
		return 0;
	struct node *n = lookup(&m->t, path, strlen(path));
	if (n && n->emitted > k)
		return 0; /* an upper layer has this path */
	if (n && n->emitted == k) {
		if (is_dir && n->dir)
			return 0;
		return spore_err_setx(err, EINVAL, "layer %d: '%s' appears twice", k + 1, path);
	}
	if (n && !is_dir && n->implied > k)
		return 0; /* an upper layer has a directory here */
	if (n && !is_dir && n->implied == k)
		return spore_err_setx(err, EINVAL,
				      "layer %d: '%s' is both a directory and a non-directory", k + 1, path);
	if (rawlink) {
		struct node *t = lookup(&m->t, link, strlen(link));
		int th = hidden(m, link, k, err);
		if (th < 0)
			return spore_err_wrap(err, "layer %d", k + 1);
		/* The link's content is the target's as of this layer; an upper
		 * layer replacing or deleting the target would need a copy. */
		if (th || (t && t->emitted > k))
			return spore_err_setx(err, ENOTSUP,
					      "layer %d: hard link '%s' to '%s', which a later layer replaces or deletes, is not supported",
					      k + 1, path, link);
		if (add_link(m, path, link, k) < 0)
			return spore_err_set(err, ENOMEM, "merging layers");
	}
	return emit(m, in, e, path, rawlink ? link : NULL, k, is_dir, err);
}

static void *inflate_thread(void *arg)
{
	struct stream *s = arg;
	pthread_mutex_lock(&s->lock);
	while (!s->done) {
		while (s->head - s->tail == STREAM_BLOCKS && !s->cancel)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->cancel)
			break;
		size_t i = s->head % STREAM_BLOCKS;
		pthread_mutex_unlock(&s->lock);
		/* Only this thread touches raw, gz, the hasher and stream_in until done. */
		la_ssize_t n = s->gz ? gzip_read(s->gz, s->blk[i], STREAM_BLOCK, &s->gz_why)
				     : archive_read_data(s->raw, s->blk[i], STREAM_BLOCK);
		int failed = n < 0 ? EIO : 0;
		if (n > 0) {
			s->m->stream_in += (uint64_t)n;
			if (s->m->stream_in > s->m->lim->max_bytes)
				failed = EFBIG;
			else if (s->hashing)
				spore_hasher_update(&s->h, s->blk[i], (size_t)n);
		}
		pthread_mutex_lock(&s->lock);
		if (n > 0 && !failed) {
			s->len[i] = n;
			s->head++;
		} else {
			s->failed = failed;
			s->done = true;
		}
		pthread_cond_broadcast(&s->cond);
	}
	s->done = true;
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static int stream_start(struct stream *s)
{
	s->blk = malloc(sizeof(*s->blk) * STREAM_BLOCKS);
	if (!s->blk || pthread_create(&s->thread, NULL, inflate_thread, s))
		return -ENOMEM;
	s->started = true;
	return 0;
}

/* Stops the thread (if it still runs) and waits for it. */
static void stream_stop(struct stream *s)
{
	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->cancel = true;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
		s->started = false;
	}
	free(s->blk);
	s->blk = NULL;
}

static la_ssize_t stream_read(struct archive *a, void *arg, const void **buf)
{
	struct stream *s = arg;
	la_ssize_t n = 0;
	(void)a;
	if (s->eof)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (s->held) { /* libarchive is done with the block it had */
		s->tail++;
		s->held = false;
		pthread_cond_broadcast(&s->cond);
	}
	while (s->head == s->tail && !s->done)
		pthread_cond_wait(&s->cond, &s->lock);
	if (s->head != s->tail) {
		size_t i = s->tail % STREAM_BLOCKS;
		s->held = true;
		*buf = s->blk[i];
		n = s->len[i];
	} else {
		n = s->failed ? -1 : 0;
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Why layer k's stream stopped, as err (r: the tar reader's own failure). */
static int stream_error(struct stream *s, struct archive *in, int k, const char *what,
			struct spore_err *err)
{
	stream_stop(s); /* failed and raw's error are settled */
	if (s->failed == EFBIG)
		return spore_err_setx(err, EFBIG, "layer %d: the image unpacks to more than %llu bytes", k + 1,
				      (unsigned long long)s->m->lim->max_bytes);
	if (s->failed)
		return spore_err_setx(err, EINVAL, "layer %d: corrupt or truncated: %s", k + 1,
				      s->gz ? s->gz_why : archive_error_string(s->raw));
	return spore_err_setx(err, EINVAL, "layer %d: %s: %s", k + 1, what,
			      in ? archive_error_string(in) : "read error");
}

/* Reads what follows the tar's end marker, so the diff_id covers it all. */
static int stream_drain(struct stream *s, int k, struct spore_err *err)
{
	const void *p;
	la_ssize_t n;
	while ((n = stream_read(NULL, s, &p)) > 0)
		;
	return n < 0 ? stream_error(s, NULL, k, "", err) : 0;
}

static int merge_layer(struct merge *m, int fd, int k, const char *diff_id, struct spore_err *err)
{
	struct stream s = {.m = m, .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	struct archive *in = archive_read_new(), *raw = archive_read_new();
	struct archive_entry *e;
	int r = 0;
	s.raw = raw;
	if (!in || !raw) {
		r = spore_err_set(err, ENOMEM, "merging layers");
		goto out;
	}
	if (diff_id) {
		r = spore_hasher_init(&s.h, err);
		if (r < 0)
			goto out;
		s.hashing = true;
	}
	int ar = ARCHIVE_OK;
	if (gzip_read_applies(fd)) {
		s.gz = gzip_read_new(fd);
		if (!s.gz) {
			r = spore_err_set(err, ENOMEM, "merging layers");
			goto out;
		}
	} else {
		archive_read_support_format_raw(raw);
		archive_read_support_filter_gzip(raw);
		archive_read_support_filter_zstd(raw);
		archive_read_support_filter_xz(raw);
		ar = archive_read_open_fd(raw, fd, 65536);
		if (ar == ARCHIVE_OK)
			ar = archive_read_next_header(raw, &e);
		s.eof = ar == ARCHIVE_EOF; /* an empty blob */
	}
	if (ar != ARCHIVE_OK && !s.eof) {
		r = spore_err_setx(err, EINVAL, "layer %d: corrupt or truncated: %s", k + 1, archive_error_string(raw));
		goto out;
	}
	if (!s.eof && stream_start(&s) < 0) {
		r = spore_err_set(err, ENOMEM, "merging layers");
		goto out;
	}
	archive_read_support_format_tar(in);
	if (archive_read_open(in, &s, NULL, stream_read, NULL) != ARCHIVE_OK) {
		r = stream_error(&s, in, k, "not a tar archive", err);
		goto out;
	}
	for (;;) {
		ar = archive_read_next_header(in, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			r = stream_error(&s, in, k, "corrupt or truncated", err);
			goto out;
		}
		m->st.entries_in++;
		/* GNU headers carry a base-256 "realsize" that libarchive takes
		 * as the size of any entry type: a negative one would reach the
		 * writer as 2^64 bytes of padding. */
		if (archive_entry_size_is_set(e) && archive_entry_size(e) < 0) {
			r = spore_err_setx(err, EINVAL, "layer %d: corrupt or truncated: an entry has a negative size",
					   k + 1);
			goto out;
		}
		if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0)
			m->bytes_in += (uint64_t)archive_entry_size(e);
		if (m->st.entries_in > m->lim->max_entries) {
			r = spore_err_setx(err, EFBIG, "the image has more than %llu files",
					   (unsigned long long)m->lim->max_entries);
			goto out;
		}
		if (m->bytes_in > m->lim->max_bytes) {
			r = spore_err_setx(err, EFBIG, "layer %d: the image unpacks to more than %llu bytes",
					   k + 1, (unsigned long long)m->lim->max_bytes);
			goto out;
		}
		r = entry(m, in, e, k, err);
		if (r < 0) {
			stream_stop(&s);
			if (s.failed) /* reading the entry's data hit the stream's own error */
				r = stream_error(&s, in, k, "", err);
			goto out;
		}
	}
	r = stream_drain(&s, k, err);
	stream_stop(&s); /* the hasher is ours again */
	if (r == 0 && diff_id) {
		char got[SPORE_DIGEST_LEN + 1];
		spore_hasher_final(&s.h, got);
		s.hashing = false;
		if (strcmp(got, diff_id)) {
			m->st.bad_layer = (size_t)k + 1;
			r = spore_err_setx(err, EBADMSG,
					   "layer %d: its uncompressed content has digest %s, not the %s of the image config's rootfs.diff_ids (corrupt or tampered image)",
					   k + 1, got, diff_id);
		}
	}
out:
	stream_stop(&s);
	if (s.hashing)
		spore_hasher_free(&s.h);
	gzip_read_free(s.gz);
	if (in)
		archive_read_free(in);
	if (raw)
		archive_read_free(raw);
	return r;
}

static int check_links(struct merge *m, struct spore_err *err)
{
	for (size_t i = 0; i < m->n_links; i++) {
		struct hardlink *l = &m->links[i];
		struct node *t = lookup(&m->t, l->target, strlen(l->target));
		if (!t || t->emitted < 0 || t->emitted > l->layer)
			return spore_err_setx(err, EINVAL,
					      "layer %d: hard link '%s' points to '%s', which is not in the image",
					      l->layer + 1, l->path, l->target);
		if (t->dir)
			return spore_err_setx(err, EINVAL,
					      "layer %d: hard link '%s' points to the directory '%s'",
					      l->layer + 1, l->path, l->target);
	}
	return 0;
}

static int open_dup(void *arg, size_t i, struct spore_err *err)
{
	int fd = fcntl(((const int *)arg)[i], F_DUPFD_CLOEXEC, 0);
	return fd < 0 ? spore_err_set(err, errno, "merging layers") : fd;
}

int spore_layer_merge(const int *layer_fds, size_t n_layers,
		      const char (*diff_ids)[SPORE_DIGEST_LEN + 1], int out_fd,
		      const struct spore_merge_limits *lim, struct spore_merge_stats *st,
		      struct spore_err *err)
{
	return spore_layer_merge_from(open_dup, (void *)layer_fds, n_layers, diff_ids, out_fd, lim, st, err);
}

int spore_layer_merge_from(spore_layer_open_fn open_layer, void *arg, size_t n_layers,
			   const char (*diff_ids)[SPORE_DIGEST_LEN + 1], int out_fd,
			   const struct spore_merge_limits *lim, struct spore_merge_stats *st,
			   struct spore_err *err)
{
	static const struct spore_merge_limits defaults = {
		SPORE_MERGE_DEFAULT_MAX_BYTES, SPORE_MERGE_DEFAULT_MAX_ENTRIES, SPORE_MERGE_DEFAULT_MAX_DIR_ENTRIES};
	struct merge m = {.lim = lim ? lim : &defaults};
	int r = 0;

	m.max_dir_entries = m.lim->max_dir_entries ? m.lim->max_dir_entries : SPORE_MERGE_DEFAULT_MAX_DIR_ENTRIES;
	m.out = archive_write_new();
	if (!m.out)
		return spore_err_set(err, ENOMEM, "merging layers");
	archive_write_set_format_pax_restricted(m.out);
	/* One write(2) per 1 MiB, not libarchive's default 10 KiB block: the
	 * merged tar is the whole image, and each write wakes tar2sqfs. */
	archive_write_set_bytes_per_block(m.out, 1 << 20);
	archive_write_set_bytes_in_last_block(m.out, 1);
	if (archive_write_open_fd(m.out, out_fd) != ARCHIVE_OK) {
		r = spore_err_setx(err, EIO, "opening the merged tar: %s", archive_error_string(m.out));
		goto out;
	}
	for (size_t i = n_layers; i-- > 0;) {
		int fd = open_layer(arg, i, err);
		if (fd < 0) {
			r = fd;
			goto out;
		}
		int64_t t0 = spore_now_ms();
		r = merge_layer(&m, fd, (int)i, diff_ids ? diff_ids[i] : NULL, err);
		close(fd);
		log_debug("layer %zu merged in %lld ms", i + 1, (long long)(spore_now_ms() - t0));
		if (r < 0)
			goto out;
	}
	r = check_links(&m, err);
	if (r < 0)
		goto out;
	if (archive_write_close(m.out) != ARCHIVE_OK)
		r = spore_err_setx(err, EIO, "finishing the merged tar: %s", archive_error_string(m.out));
out:
	archive_write_free(m.out);
	for (size_t i = 0; i < m.t.cap; i++)
		free(m.t.slots[i].path);
	free(m.t.slots);
	for (size_t i = 0; i < m.n_links; i++) {
		free(m.links[i].path);
		free(m.links[i].target);
	}
	free(m.links);
	if (st)
		*st = m.st;
	log_debug("merged %zu layers: %llu entries in, %llu out, %llu bytes", n_layers,
		  (unsigned long long)m.st.entries_in, (unsigned long long)m.st.entries_out,
		  (unsigned long long)m.st.bytes_out);
	return r;
}

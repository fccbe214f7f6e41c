/* Cache of decompressed kernels, so repeat launches skip decompression
 * (xz takes ~0.9 s for Debian's kernel; re-measure: `time sporectl
 * kernel-info KERNEL`, which decompresses it without a cache).
 *
 * An entry is <dir>/<sha256 of the kernel file>.elf: a 128-byte header, then
 * the kernel's compact ELF (spore_elf_compact: headers, Xen notes, then only
 * the loaded bytes, zero pages left out; 30 of the cloud kernel's 53 MB).
 * The header repeats the key and records the ELF's length, the length of
 * its head (headers and notes) and a checksum of each part. A hit reads the
 * head and checks it; the loader then reads the segments straight into
 * guest memory (pread: no mapping of the entry, whose page-table updates
 * cost more than the copy in a PV dom0) and checks the data's sum there.
 * So a truncated, torn or bit-rotted entry is detected, removed and
 * rebuilt: at open if its head is bad, at load if its data is (the builder
 * then decompresses the kernel and loads it again). The checksum guards
 * against corruption, not tampering (whoever can write the cache directory
 * can pick the kernel), and every hit pays for it, so it is the cheapest sum
 * that still sees every byte: two 64-bit running sums over the ELF's 64-bit
 * words (a Fletcher sum), against 110 ms for CRC-32 and about a second for
 * sha256 over 53 MB in the TCG sandbox (the `kernel` time of the `load:`
 * line `SPORE_LOG=debug sporectl boot` logs). A change to any word changes the
 * first sum; the second, the sum of the first at every word, also sees
 * words moved or ranges swapped.
 *
 * The key itself, the kernel file's sha256, is remembered per file identity
 * in <dir>/src/<dev>-<ino>-<size>-<mtime>-<ctime>: a file whose identity is
 * unchanged is not read and hashed again. ctime cannot be set from user
 * space, so any change to the file gives it a new identity.
 *
 * Writes go to a temporary file that is flushed (fsync) and then renamed
 * into place, so readers see either no entry or a complete one, also after
 * a crash. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "kernel_image.h"
#include <spore/log.h>

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loader_priv.h"

/* "SPOREKC" and a version digit: entries of other versions are rebuilt. */
#define KC_MAGIC    "SPOREKC4"
#define KC_HDR_LEN  SPORE_KCACHE_HDR_LEN
#define KC_MAX_HEAD (1u << 20) /* headers and notes: a few KB in practice */

/* Header layout (little-endian): magic[8], compression u32, reserved u32,
 * elf_len u64, file_sha[32], data_sum u64[2] (ELF bytes [head_len,
 * elf_len)), head_len u64, head_sum u64[2] (ELF bytes [0, head_len)), zero
 * padding to 128. */
#define KC_OFF_COMP     8
#define KC_OFF_ELF_LEN  16
#define KC_OFF_FILE_SHA 24
#define KC_OFF_DATA_SUM 56
#define KC_OFF_HEAD_LEN 72
#define KC_OFF_HEAD_SUM 80
#define KC_OFF_PAD      96

void spore_kcache_sum(const uint8_t *p, size_t len, uint64_t sum[2])
{
	uint64_t a = 0, b = 0, w;
	size_t i = 0;

	/* Little-endian words (memcpy: no alignment assumed), the tail
	 * zero-padded; the length is checked on its own. */
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		a += le64toh(w);
		b += a;
	}
	if (i < len) {
		uint8_t t[8] = {0};
		memcpy(t, p + i, len - i);
		a += ld_le64(t);
		b += a;
	}
	sum[0] = a;
	sum[1] = b;
}

/* The same sum over bytes that arrive in pieces (segments read into guest
 * memory one by one): a word split between pieces is completed first. */
struct ksum {
	uint64_t a, b;
	uint8_t part[8];
	size_t npart;
};

static void ksum_add(struct ksum *k, const uint8_t *p, size_t len)
{
	uint64_t w;
	if (k->npart) {
		size_t n = 8 - k->npart < len ? 8 - k->npart : len;
		memcpy(k->part + k->npart, p, n);
		k->npart += n;
		p += n;
		len -= n;
		if (k->npart < 8)
			return;
		k->a += ld_le64(k->part);
		k->b += k->a;
		k->npart = 0;
	}
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		k->a += le64toh(w);
		k->b += k->a;
	}
	memcpy(k->part, p + i, len - i);
	k->npart = len - i;
}

static void ksum_end(struct ksum *k, uint64_t sum[2])
{
	if (k->npart) {
		memset(k->part + k->npart, 0, 8 - k->npart);
		k->a += ld_le64(k->part);
		k->b += k->a;
		k->npart = 0;
	}
	sum[0] = k->a;
	sum[1] = k->b;
}

static void st_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void spore_kcache_header(uint8_t h[SPORE_KCACHE_HDR_LEN], const uint8_t file_sha[32],
			 const uint8_t *elf, size_t elf_len, size_t head_len, enum spore_comp comp)
{
	uint64_t sum[2];

	memset(h, 0, SPORE_KCACHE_HDR_LEN);
	memcpy(h, KC_MAGIC, 8);
	for (int i = 0; i < 4; i++)
		h[KC_OFF_COMP + i] = (uint8_t)((uint32_t)comp >> (8 * i));
	st_le64(h + KC_OFF_ELF_LEN, elf_len);
	memcpy(h + KC_OFF_FILE_SHA, file_sha, 32);
	spore_kcache_sum(elf + head_len, elf_len - head_len, sum);
	st_le64(h + KC_OFF_DATA_SUM, sum[0]);
	st_le64(h + KC_OFF_DATA_SUM + 8, sum[1]);
	st_le64(h + KC_OFF_HEAD_LEN, head_len);
	spore_kcache_sum(elf, head_len, sum);
	st_le64(h + KC_OFF_HEAD_SUM, sum[0]);
	st_le64(h + KC_OFF_HEAD_SUM + 8, sum[1]);
}

/* The header's own checks and the head's sum (head: the ELF's first
 * head_len bytes, as long as the header says). */
static const char *check_header(const uint8_t *h, uint64_t file_len, const uint8_t file_sha[32])
{
	uint64_t el = ld_le64(h + KC_OFF_ELF_LEN), hl = ld_le64(h + KC_OFF_HEAD_LEN);
	uint32_t c = ld_le32(h + KC_OFF_COMP);

	if (memcmp(h, KC_MAGIC, 7))
		return "bad magic";
	if (h[7] != (uint8_t)KC_MAGIC[7])
		return "written by another version of spore";
	if (el != file_len - KC_HDR_LEN)
		return "length does not match its header (truncated?)";
	if (memcmp(h + KC_OFF_FILE_SHA, file_sha, 32))
		return "header names another kernel";
	if (c == SPORE_COMP_NONE || c > SPORE_COMP_LZO)
		return "bad compression field";
	if (hl > el || hl > KC_MAX_HEAD || hl < 64)
		return "bad head length";
	for (size_t i = KC_OFF_PAD; i < KC_HDR_LEN; i++)
		if (h[i])
			return "bad header padding";
	return NULL;
}

static const char *check_sum(const uint8_t *p, size_t len, const uint8_t *want)
{
	uint64_t sum[2];
	spore_kcache_sum(p, len, sum);
	return sum[0] != ld_le64(want) || sum[1] != ld_le64(want + 8) ? "checksum mismatch" : NULL;
}

const char *spore_kcache_check(const uint8_t *entry, size_t len, const uint8_t file_sha[32])
{
	if (len < KC_HDR_LEN)
		return "shorter than its header";
	const char *why = check_header(entry, len, file_sha);
	if (why)
		return why;
	size_t hl = (size_t)ld_le64(entry + KC_OFF_HEAD_LEN);
	const uint8_t *elf = entry + KC_HDR_LEN;
	if (check_sum(elf, hl, entry + KC_OFF_HEAD_SUM))
		return "head checksum mismatch";
	if (check_sum(elf + hl, len - KC_HDR_LEN - hl, entry + KC_OFF_DATA_SUM))
		return "data checksum mismatch";
	return NULL;
}

static int entry_path(char *buf, size_t n, const char *dir, const uint8_t sha[32])
{
	char hex[65];
	spore_sha256_hex(sha, hex);
	int w = snprintf(buf, n, "%s/%s.elf", dir, hex);
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

static void drop_entry(const char *path, const char *why)
{
	log_warn("kernel cache: %s is unusable (%s); removing it and decompressing again", path,
		 why);
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("kernel cache: removing %s: %s", path, strerror(errno));
}

static int pread_all(int fd, uint8_t *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ENODATA;
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

int spore_kcache_open(const char *dir, const uint8_t file_sha[32],
		      struct spore_kernel_image *img, struct spore_err *err)
{
	char path[PATH_MAX];
	uint8_t h[KC_HDR_LEN];
	struct stat st;
	struct spore_err perr = {0};
	const char *why = NULL;
	uint8_t *head = NULL;
	int r = 0;

	if (entry_path(path, sizeof(path), dir, file_sha) < 0)
		return spore_err_setx(err, ENAMETOOLONG, "kernel cache directory %s: path too long",
				      dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return spore_err_set(err, errno, "opening kernel cache entry %s", path);
	}
	if (fstat(fd, &st) < 0) {
		r = spore_err_set(err, errno, "stat of kernel cache entry %s", path);
		goto out;
	}
	/* The size first (fstat): a truncated entry is not even read. */
	if (!S_ISREG(st.st_mode) || st.st_size < KC_HDR_LEN + 64 ||
	    (uint64_t)st.st_size > KC_HDR_LEN + SPORE_KERNEL_MAX_ELF) {
		why = "bad size";
		goto out;
	}
	uint64_t len = (uint64_t)st.st_size, elf_len = len - KC_HDR_LEN;
	if (pread_all(fd, h, sizeof(h), 0) < 0 || (why = check_header(h, len, file_sha))) {
		why = why ? why : "unreadable header";
		goto out;
	}
	size_t hl = (size_t)ld_le64(h + KC_OFF_HEAD_LEN);
	if (!(head = malloc(hl))) {
		r = spore_err_set(err, ENOMEM, "reading kernel cache entry %s", path);
		goto out;
	}
	if (pread_all(fd, head, hl, KC_HDR_LEN) < 0 || (why = check_sum(head, hl, h + KC_OFF_HEAD_SUM))) {
		why = why ? "head checksum mismatch" : "unreadable head";
		goto out;
	}
	if (spore_elf_parse_head(head, hl, elf_len, img, &perr) < 0) {
		/* Only if the parser became stricter since the entry was written. */
		why = perr.msg;
		goto out;
	}
	/* The data is the segments back to back, in address order, as
	 * spore_elf_compact lays it out: anything else is not our entry. */
	uint64_t at = hl;
	for (unsigned i = 0; i < img->nsegs; i++) {
		if (img->segs[i].offset != at) {
			why = "segments do not tile the data";
			goto out;
		}
		at += img->segs[i].filesz;
	}
	if (at != elf_len) {
		why = "segments do not tile the data";
		goto out;
	}
	if (!(img->cache_path = strdup(path))) {
		r = spore_err_set(err, ENOMEM, "kernel cache entry %s", path);
		goto out;
	}
	img->own_mem = head;
	img->cache_fd = fd;
	img->cache_data_sum[0] = ld_le64(h + KC_OFF_DATA_SUM);
	img->cache_data_sum[1] = ld_le64(h + KC_OFF_DATA_SUM + 8);
	img->compression = (enum spore_comp)ld_le32(h + KC_OFF_COMP);
	img->from_cache = true;
	log_debug("kernel cache: hit (%" PRIu64 "-byte compact ELF, %u segments)", elf_len,
		  img->nsegs);
	return 1;
out:
	free(head);
	close(fd);
	if (why) {
		drop_entry(path, why);
		return 0;
	}
	return r;
}

struct kc_fill {
	const struct spore_kernel_image *img;
	struct ksum sum;
	bool shrunk;
};

/* Straight from the entry into guest memory, summed where it lands. */
static int fill_from_entry(void *ctx, uint8_t *dst, const struct spore_kseg *s,
			   struct spore_err *err)
{
	struct kc_fill *f = ctx;
	int r = pread_all(f->img->cache_fd, dst, s->filesz, KC_HDR_LEN + s->offset);
	if (r == -ENODATA) {
		f->shrunk = true; /* truncated under us: corrupt */
		return 0;
	}
	if (r < 0)
		return spore_err_set(err, -r, "reading kernel cache entry %s", f->img->cache_path);
	ksum_add(&f->sum, dst, s->filesz);
	return 0;
}

int spore_kcache_load(const struct spore_kernel_image *img, const struct spore_guest_view *view,
		      struct spore_err *err)
{
	struct kc_fill f = {.img = img};
	uint64_t sum[2];
	int r;

	if (!img->from_cache)
		return spore_err_setx(err, EINVAL, "loading kernel: not a cache entry");
	/* The entry's length is checked by its sum, not here. */
	if ((r = spore_kernel_place(img, view, UINT64_MAX, fill_from_entry, &f, err)) < 0)
		return r;
	ksum_end(&f.sum, sum);
	if (f.shrunk || sum[0] != img->cache_data_sum[0] || sum[1] != img->cache_data_sum[1]) {
		drop_entry(img->cache_path, f.shrunk ? "shorter than its header says" :
						       "data checksum mismatch");
		return spore_err_setx(err, EBADMSG, "kernel cache entry %s is corrupt",
				      img->cache_path);
	}
	return 0;
}

/* mkdir -p, mode 0755. */
static int make_dirs(const char *dir, struct spore_err *err)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(p))
		return spore_err_setx(err, ENAMETOOLONG, "kernel cache directory '%s' is invalid",
				      dir);
	memcpy(p, dir, n + 1);
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char save = *s;
			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return spore_err_set(err, errno, "creating kernel cache directory %s", p);
			*s = save;
			if (!save)
				break;
		}
	}
	return 0;
}

/* Removes temporary files that writers which died mid-write left behind;
 * an hour is far longer than any write takes. */
static void sweep_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t now = time(NULL);
	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		if (!strstr(e->d_name, ".elf.tmp.") ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || now - st.st_mtime < 3600)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			log_debug("kernel cache: removed stale %s/%s", dir, e->d_name);
	}
	closedir(d);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_entry(const char *dir, const uint8_t file_sha[32], const uint8_t *elf,
		       size_t elf_len, size_t head_len, enum spore_comp comp, struct spore_err *err)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	uint8_t h[KC_HDR_LEN] = {0};
	int r;

	if ((r = make_dirs(dir, err)) < 0)
		return r;
	sweep_temps(dir);
	if (entry_path(path, sizeof(path), dir, file_sha) < 0 ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return spore_err_setx(err, ENAMETOOLONG, "kernel cache directory %s: path too long",
				      dir);
	spore_kcache_header(h, file_sha, elf, elf_len, head_len, comp);

	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return spore_err_set(err, errno, "creating kernel cache file in %s", dir);
	/* Flushed before the rename: after a crash the name never points at
	 * data that did not reach the disk. Only a miss pays for it. */
	if ((r = write_all(fd, h, sizeof(h))) < 0 || (r = write_all(fd, elf, elf_len)) < 0 ||
	    (fchmod(fd, 0644) < 0 && (r = -errno)) || (fsync(fd) < 0 && (r = -errno))) {
		close(fd);
		unlink(tmp);
		return spore_err_set(err, -r, "writing kernel cache file %s", tmp);
	}
	if (close(fd) < 0) {
		r = -errno;
		unlink(tmp);
		return spore_err_set(err, -r, "writing kernel cache file %s", tmp);
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		return spore_err_set(err, -r, "renaming %s to %s", tmp, path);
	}
	log_debug("kernel cache: stored %zu-byte compact ELF as %s", elf_len, path);
	return 0;
}

int spore_kcache_put(const char *dir, const uint8_t file_sha[32], const uint8_t *full,
		     size_t full_len, enum spore_comp comp, struct spore_err *err)
{
	struct spore_kernel_image img;
	uint8_t *elf = NULL;
	size_t elf_len, head_len;
	int r;

	memset(&img, 0, sizeof(img));
	if ((r = spore_elf_parse(full, full_len, &img, err)) < 0 ||
	    (r = spore_elf_compact(&img, &elf, &elf_len, &head_len, err)) < 0)
		return spore_err_wrap(err, "kernel cache");
	r = write_entry(dir, file_sha, elf, elf_len, head_len, comp, err);
	free(elf);
	return r;
}

static int source_path(char *buf, size_t n, const char *dir, const struct stat *st)
{
	int w = snprintf(buf, n, "%s/src/%llx-%llx-%llx-%lld.%09ld-%lld.%09ld", dir,
			 (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
			 (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
			 st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

int spore_kcache_source_get(const char *dir, const struct stat *st, uint8_t sha[32])
{
	char path[PATH_MAX], hex[65];

	if (source_path(path, sizeof(path), dir, st) < 0)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, hex, sizeof(hex));
	close(fd);
	return n == 64 && spore_sha256_from_hex(hex, sha) == 0;
}

void spore_kcache_source_put(const char *dir, const struct stat *st, const uint8_t sha[32])
{
	char path[PATH_MAX], tmp[PATH_MAX + 16], sub[PATH_MAX], hex[65];
	struct spore_err e = {0};

	if (source_path(path, sizeof(path), dir, st) < 0 ||
	    snprintf(sub, sizeof(sub), "%s/src", dir) >= (int)sizeof(sub) || make_dirs(sub, &e) < 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	spore_sha256_hex(sha, hex);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return;
	int ok = write_all(fd, (const uint8_t *)hex, 64) == 0 && fchmod(fd, 0644) == 0;
	if (close(fd) < 0 || !ok || rename(tmp, path) < 0)
		unlink(tmp);
}

/* Cache of decompressed kernel ELFs, so repeat launches skip decompression
 * (xz takes ~0.9 s for Debian's kernel).
 *
 * An entry is <dir>/<sha256 of the kernel file>.elf: a 128-byte header, then
 * the ELF. The header repeats the key and records the ELF's length and a
 * checksum of it, which are checked on every hit, so a truncated, torn or
 * bit-rotted entry is detected, removed and rebuilt. The checksum guards
 * against corruption, not tampering (whoever can write the cache directory
 * can pick the kernel), and every hit pays for it, so it is the cheapest sum
 * that still sees every byte: two 64-bit running sums over the ELF's 64-bit
 * words (a Fletcher sum), 16 ms for Debian's 53 MB ELF in the TCG sandbox
 * against 110 ms for CRC-32 and about a second for sha256. A change to any
 * word changes the first sum; the second, the sum of the first at every
 * word, also sees words moved or ranges swapped.
 *
 * The key itself, the kernel file's sha256, is remembered per file identity
 * in <dir>/src/<dev>-<ino>-<size>-<mtime>-<ctime>: a file whose identity is
 * unchanged is not read and hashed again. ctime cannot be set from user
 * space, so any change to the file gives it a new identity.
 *
 * Writes go to a temporary file that is flushed (fsync) and then renamed
 * into place, so readers see either no entry or a complete one, also after
 * a crash; an entry is never truncated in place (only replaced or unlinked),
 * so mapping it is safe. */
#include <spore/kernel_image.h>
#include <spore/log.h>

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loader_priv.h"

/* "SPOREKC" and a version digit: entries of other versions are rebuilt. */
#define KC_MAGIC    "SPOREKC3"
#define KC_HDR_LEN  SPORE_KCACHE_HDR_LEN

/* Header layout (little-endian): magic[8], compression u32, reserved u32,
 * elf_len u64, file_sha[32], elf_sum u64[2], zero padding to 128. */
#define KC_OFF_COMP     8
#define KC_OFF_ELF_LEN  16
#define KC_OFF_FILE_SHA 24
#define KC_OFF_ELF_SUM  56
#define KC_OFF_PAD      72

int spore_sha256(const void *buf, size_t len, uint8_t out[32], struct spore_err *err)
{
	unsigned int n = 0;
	if (!EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) || n != 32)
		return spore_err_setx(err, EIO, "computing sha256: OpenSSL EVP_Digest failed");
	return 0;
}

void spore_sha256_hex(const uint8_t sha[32], char hex[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", sha[i]);
}

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

static void st_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void spore_kcache_header(uint8_t h[SPORE_KCACHE_HDR_LEN], const uint8_t file_sha[32],
			 const uint8_t *elf, size_t elf_len, enum spore_comp comp)
{
	uint64_t sum[2];

	memset(h, 0, SPORE_KCACHE_HDR_LEN);
	memcpy(h, KC_MAGIC, 8);
	for (int i = 0; i < 4; i++)
		h[KC_OFF_COMP + i] = (uint8_t)((uint32_t)comp >> (8 * i));
	st_le64(h + KC_OFF_ELF_LEN, elf_len);
	memcpy(h + KC_OFF_FILE_SHA, file_sha, 32);
	spore_kcache_sum(elf, elf_len, sum);
	st_le64(h + KC_OFF_ELF_SUM, sum[0]);
	st_le64(h + KC_OFF_ELF_SUM + 8, sum[1]);
}

const char *spore_kcache_check(const uint8_t *entry, size_t len, const uint8_t file_sha[32])
{
	uint64_t sum[2];

	if (len < KC_HDR_LEN)
		return "shorter than its header";
	if (memcmp(entry, KC_MAGIC, 7))
		return "bad magic";
	if (entry[7] != (uint8_t)KC_MAGIC[7])
		return "written by another version of spore";
	uint64_t el = ld_le64(entry + KC_OFF_ELF_LEN);
	uint32_t c = ld_le32(entry + KC_OFF_COMP);
	if (el != len - KC_HDR_LEN)
		return "length does not match its header (truncated?)";
	if (memcmp(entry + KC_OFF_FILE_SHA, file_sha, 32))
		return "header names another kernel";
	if (c == SPORE_COMP_NONE || c > SPORE_COMP_LZO)
		return "bad compression field";
	for (size_t i = KC_OFF_PAD; i < KC_HDR_LEN; i++)
		if (entry[i])
			return "bad header padding";
	spore_kcache_sum(entry + KC_HDR_LEN, (size_t)el, sum);
	if (sum[0] != ld_le64(entry + KC_OFF_ELF_SUM) ||
	    sum[1] != ld_le64(entry + KC_OFF_ELF_SUM + 8))
		return "ELF checksum mismatch";
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

int spore_kcache_get(const char *dir, const uint8_t file_sha[32], const uint8_t **elf,
		     size_t *elf_len, enum spore_comp *comp, void **map, size_t *map_len,
		     struct spore_err *err)
{
	char path[PATH_MAX];
	struct stat st;

	*map = NULL;
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
		int e = errno;
		close(fd);
		return spore_err_set(err, e, "stat of kernel cache entry %s", path);
	}
	/* The size first (fstat): a truncated entry is not even mapped. */
	if (!S_ISREG(st.st_mode) || st.st_size < KC_HDR_LEN ||
	    (uint64_t)st.st_size > KC_HDR_LEN + SPORE_KERNEL_MAX_ELF) {
		close(fd);
		drop_entry(path, "bad size");
		return 0;
	}
	size_t len = (size_t)st.st_size;
	void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return spore_err_set(err, errno, "mapping kernel cache entry %s", path);

	const uint8_t *h = m;
	const char *why = spore_kcache_check(h, len, file_sha);
	if (why) {
		munmap(m, len);
		drop_entry(path, why);
		return 0;
	}
	*elf = h + KC_HDR_LEN;
	*elf_len = len - KC_HDR_LEN;
	*comp = (enum spore_comp)ld_le32(h + KC_OFF_COMP);
	*map = m;
	*map_len = len;
	return 1;
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

int spore_kcache_put(const char *dir, const uint8_t file_sha[32], const uint8_t *elf,
		     size_t elf_len, enum spore_comp comp, struct spore_err *err)
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
	spore_kcache_header(h, file_sha, elf, elf_len, comp);

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
	log_debug("kernel cache: stored %zu-byte ELF as %s", elf_len, path);
	return 0;
}

static int source_path(char *buf, size_t n, const char *dir, const struct stat *st)
{
	int w = snprintf(buf, n, "%s/src/%llx-%llx-%llx-%lld.%09ld-%lld.%09ld", dir,
			 (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
			 (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
			 st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

static int hex_nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
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
	if (n != 64)
		return 0;
	for (int i = 0; i < 32; i++) {
		int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		sha[i] = (uint8_t)(hi << 4 | lo);
	}
	return 1;
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

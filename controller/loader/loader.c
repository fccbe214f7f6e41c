/* The kernel loader table and the front door: open a kernel file, find its
 * loader, use the decompressed-ELF cache for compressed kernels. */
#include "kernel_image.h"
#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Probe order matters: ELF and bzImage have strong magics; the compressed
 * loader's lzma magic is weak, so it goes last. */
const struct spore_loader *const spore_loaders[] = {
	&spore_loader_elf,
	&spore_loader_bzimage,
	&spore_loader_compressed,
};
const size_t spore_loader_count = sizeof(spore_loaders) / sizeof(spore_loaders[0]);

const struct spore_loader *spore_loader_find(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < spore_loader_count; i++)
		if (spore_loaders[i]->probe(buf, len) == 0)
			return spore_loaders[i];
	return NULL;
}

void spore_kernel_image_free(struct spore_kernel_image *img)
{
	if (!img)
		return;
	free(img->own_mem);
	if (img->from_cache) {
		close(img->cache_fd);
		free(img->cache_path);
	}
	memset(img, 0, sizeof(*img));
}

int spore_kernel_parse(const uint8_t *buf, size_t len, struct spore_kernel_image *img,
		       struct spore_err *err)
{
	memset(img, 0, sizeof(*img));
	const struct spore_loader *l = spore_loader_find(buf, len);
	if (!l) {
		uint8_t m[4] = {0};
		if (len)
			memcpy(m, buf, len < 4 ? len : 4);
		return spore_err_setx(err, ENOEXEC,
				      "not a kernel image: unrecognised format (starts with %02x %02x "
				      "%02x %02x; want an ELF vmlinux, a bzImage or a compressed "
				      "vmlinux)", m[0], m[1], m[2], m[3]);
	}
	img->loader = l;
	img->file_size = len;
	return l->parse(buf, len, img, err);
}

int spore_kernel_load(const struct spore_kernel_image *img, const struct spore_guest_view *view,
		      struct spore_err *err)
{
	if (!img->loader || !img->elf)
		return spore_err_setx(err, EINVAL, "loading kernel: image was not parsed");
	if (img->from_cache)
		return spore_kcache_load(img, view, err);
	return img->loader->load(img, view, err);
}

/* Fills img from the cache; returns 1 on a hit, 0 to fall back. */
static int from_cache(const char *dir, const uint8_t *file, size_t len,
		      struct spore_kernel_image *img)
{
	struct spore_err cerr = {0};
	uint8_t sha[32];
	uint64_t size = img->file_size;

	memcpy(sha, img->file_sha256, 32);
	int r = spore_kcache_open(dir, sha, img, &cerr);
	if (r < 0)
		log_warn("kernel cache: %s; decompressing instead", cerr.msg);
	if (r <= 0)
		return 0;
	/* The parse of the head reset what it does not know. */
	memcpy(img->file_sha256, sha, 32);
	img->file_size = size;
	img->loader = spore_loader_find(file, len);
	return 1;
}

int spore_kernel_open(const char *path, const char *cache_dir, struct spore_kernel_image *img,
		      struct spore_err *err)
{
	struct stat st;
	uint8_t sha[32] = {0};
	int r;

	memset(img, 0, sizeof(*img));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return spore_err_set(err, errno, "opening kernel %s", path);
	if (fstat(fd, &st) < 0) {
		r = spore_err_set(err, errno, "stat of kernel %s", path);
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (uint64_t)st.st_size > SPORE_KERNEL_MAX_FILE) {
		close(fd);
		return spore_err_setx(err, EINVAL,
				      "kernel %s: %s", path,
				      !S_ISREG(st.st_mode) ? "not a regular file" :
				      st.st_size == 0 ? "file is empty" :
				      "file is larger than 512 MiB");
	}
	size_t len = (size_t)st.st_size;
	/* A kernel file whose identity the cache knows: the probe needs only its
	 * head, and a cache hit then spares reading and hashing the rest. */
	bool known = cache_dir && spore_kcache_source_get(cache_dir, &st, sha);
	if (known) {
		uint8_t head[4096];
		ssize_t n = pread(fd, head, len < sizeof(head) ? len : sizeof(head), 0);
		const struct spore_loader *hl = n > 0 ? spore_loader_find(head, (size_t)n) : NULL;
		if (hl && hl != &spore_loader_elf) {
			memcpy(img->file_sha256, sha, 32);
			img->file_size = len;
			if (from_cache(cache_dir, head, (size_t)n, img)) {
				close(fd);
				return 0;
			}
			spore_kernel_image_free(img);
		}
	}
	/* Read, not mmap: a file truncated under a mapping raises SIGBUS later,
	 * possibly mid-build with a domain already created. */
	uint8_t *file = malloc(len);
	if (!file) {
		close(fd);
		return spore_err_set(err, ENOMEM, "kernel %s: allocating %zu bytes", path, len);
	}
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, file + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? spore_err_set(err, errno, "reading kernel %s", path)
				  : spore_err_setx(err, EIO, "reading kernel %s: file shrank while "
						   "being read", path);
			close(fd);
			free(file);
			return r;
		}
		got += (size_t)n;
	}
	close(fd);

	const struct spore_loader *l = spore_loader_find(file, len);
	bool cacheable = cache_dir && l && l != &spore_loader_elf;
	if (cacheable) {
		if (!known) {
			if (spore_sha256(file, len, sha, err) < 0) {
				free(file);
				return spore_err_wrap(err, "kernel %s", path);
			}
			spore_kcache_source_put(cache_dir, &st, sha);
		}
		memcpy(img->file_sha256, sha, 32);
		img->file_size = len;
		if (from_cache(cache_dir, file, len, img)) {
			free(file);
			return 0;
		}
		spore_kernel_image_free(img);
	}

	r = spore_kernel_parse(file, len, img, err);
	memcpy(img->file_sha256, sha, 32);
	if (r < 0) {
		free(file);
		return spore_err_wrap(err, "kernel %s", path);
	}
	if (img->elf == file) {
		/* Plain ELF: the file buffer is the image. */
		img->own_mem = file;
		return 0;
	}
	free(file);
	if (cacheable) {
		struct spore_err cerr = {0};
		if (spore_kcache_put(cache_dir, sha, img->elf, img->elf_len, img->compression,
				     &cerr) < 0)
			log_warn("kernel cache: %s (continuing without it)", cerr.msg);
	}
	return 0;
}

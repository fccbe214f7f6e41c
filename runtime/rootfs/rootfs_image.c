/* The container's root directory as a squashfs image (rootfs_image.h). */
#include "rootfs_image.h"

#include "child.h"
#include "sha256.h"
#include "statedir.h"
#include <spore/log.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Decodes mountinfo's octal escapes of one space-separated field. */
static int field(const char **p, char *out, size_t n)
{
	size_t k = 0;
	const char *s = *p;

	while (*s == ' ')
		s++;
	if (!*s || *s == '\n')
		return -EINVAL;
	for (; *s && *s != ' ' && *s != '\n'; s++) {
		char c = *s;
		if (c == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			c = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		}
		if (k + 1 >= n)
			return -EINVAL;
		out[k++] = c;
	}
	out[k] = 0;
	*p = s;
	return 0;
}

/* The value of key= in a comma-separated option list ("" when absent). */
static int option(const char *opts, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);

	*out = 0;
	for (const char *o = opts; o && *o; o = strchr(o, ',') ? strchr(o, ',') + 1 : NULL) {
		size_t len = strcspn(o, ",");
		if (len > kl && !strncmp(o, key, kl) && o[kl] == '=') {
			if (len - kl - 1 >= n)
				return -EINVAL;
			memcpy(out, o + kl + 1, len - kl - 1);
			out[len - kl - 1] = 0;
			return 0;
		}
	}
	return 0;
}

int runc_mountinfo_overlay(const char *line, const char *mnt, char *lower, size_t lower_n,
			   char *upper, size_t upper_n)
{
	/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
	static char f[4096], point[PATH_MAX], fstype[64], opts[16384];
	const char *p = line;

	for (int i = 0; i < 4; i++)
		if (field(&p, f, sizeof(f)) < 0)
			return -EINVAL;
	if (field(&p, point, sizeof(point)) < 0)
		return -EINVAL;
	do {
		if (field(&p, f, sizeof(f)) < 0)
			return -EINVAL;
	} while (strcmp(f, "-"));
	if (field(&p, fstype, sizeof(fstype)) < 0 || field(&p, f, sizeof(f)) < 0 ||
	    field(&p, opts, sizeof(opts)) < 0)
		return -EINVAL;
	if (strcmp(point, mnt) || strcmp(fstype, "overlay"))
		return 0;
	if (option(opts, "lowerdir", lower, lower_n) < 0 || option(opts, "upperdir", upper, upper_n) < 0)
		return -EINVAL;
	return *lower ? 1 : 0;
}

static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool empty = d != NULL;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	if (d)
		closedir(d);
	return empty;
}

/* The lowerdir list of the overlay mounted on rootfs if its upper layer is
 * empty: the identity of what the container sees. */
static bool shared_identity(const char *rootfs, char *lower, size_t n)
{
	static char upper[PATH_MAX];
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	/* The last mount on the path is the one the path shows. */
	while (f && getline(&line, &cap, f) > 0) {
		static char lo[16384];
		if (runc_mountinfo_overlay(line, rootfs, lo, sizeof(lo), upper, sizeof(upper)) == 1 &&
		    strlen(lo) < n) {
			strcpy(lower, lo);
			found = !*upper || dir_empty(upper);
		}
	}
	free(line);
	if (f)
		fclose(f);
	return found;
}

static int pack(const char *dir, const char *out, struct spore_err *err)
{
	char *const argv[] = {"gensquashfs", "--pack-dir", (char *)dir, "--compressor", "lz4",
			      "--keep-time", "--one-file-system", "--quiet", "--force",
			      (char *)out, NULL};
	struct spore_child c;
	int r;

	if ((r = spore_child_start(&c, argv, -1, NULL, "squashfs-tools-ng", err)) < 0)
		return r;
	return spore_child_wait(&c, false, err);
}

int runc_rootfs_image(const char *rootfs, const char *id, struct runc_rootfs_image *img,
		      struct spore_err *err)
{
	static char lower[16384];
	char real[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX], hex[SPORE_SHA256_HEX_LEN + 1];
	uint8_t sha[SPORE_SHA256_LEN];
	struct stat st;
	int r;

	memset(img, 0, sizeof(*img));
	if (!realpath(rootfs, real) || stat(real, &st) < 0)
		return spore_err_set(err, errno, "rootfs %s", rootfs);
	if (!S_ISDIR(st.st_mode))
		return spore_err_setx(err, ENOTDIR, "rootfs %s: not a directory", rootfs);
	if ((size_t)snprintf(dir, sizeof(dir), "%s/runc/images", spore_state_default_root()) >= sizeof(dir))
		return spore_err_setx(err, ENAMETOOLONG, "$SPORE_ROOT: too long");
	if ((r = spore_state_mkdir_p(dir, 0700)) < 0)
		return spore_err_set(err, -r, "%s", dir);
	img->shared = shared_identity(real, lower, sizeof(lower));
	if (img->shared) {
		if ((r = spore_sha256(lower, strlen(lower), sha, err)) < 0)
			return r;
		spore_sha256_hex(sha, hex);
		r = snprintf(img->path, sizeof(img->path), "%s/%s.sqfs", dir, hex);
	} else {
		r = snprintf(img->path, sizeof(img->path), "%s/ctr-%s.sqfs", dir, id);
	}
	if (r < 0 || (size_t)r >= sizeof(img->path))
		return spore_err_setx(err, ENAMETOOLONG, "%s: image path too long", dir);
	if (img->shared && access(img->path, R_OK) == 0) {
		img->cached = true;
		log_debug("rootfs %s: cached image %s", real, img->path);
		return 0;
	}
	/* Written under a process-named temp, renamed into place whole: a
	 * killed create leaves a temp the next sweep removes, never a torn
	 * image under the cache's name. */
	static const char *const kinds[] = {"runc", NULL};
	spore_state_sweep(dir, kinds, "rootfs image");
	if ((r = spore_state_tmpname(tmp, sizeof(tmp), dir, "runc")) < 0)
		return spore_err_set(err, -r, "%s", dir);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return spore_err_set(err, errno, "%s", dir);
	close(fd);
	if ((r = pack(real, tmp, err)) < 0) {
		unlink(tmp);
		return spore_err_wrap(err, "rootfs %s", rootfs);
	}
	if (rename(tmp, img->path) < 0) {
		r = spore_err_set(err, errno, "%s", img->path);
		unlink(tmp);
	}
	return r;
}

/* The volume store; layout in volume_store.h. */
#include "volume_store.h"
#include "volume_mkfs.h"
#include "size.h"
#include "statedir.h"
#include <spore/log.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DISK "disk.ext4"
#define META "meta.json"

/* Temp directories: .create-PID-XXXXXX and .rm-PID-NAME. */
static const char *const tmp_kinds[] = {".create", ".rm", NULL};

int spore_volume_store_open(struct spore_volume_store *s, const char *root, bool exclusive,
			    struct spore_err *err)
{
	char path[PATH_MAX], cwd[PATH_MAX] = "";
	int w;

	s->lock_fd = -1;
	if (!root)
		root = spore_state_default_root();
	/* Absolute, so that paths handed to mkfs.ext4 and shown as a volume's
	 * Mountpoint never start with '-' and mean the same from anywhere. */
	if (root[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return spore_err_set(err, errno, "volumes: finding the current directory");
	w = snprintf(s->dir, sizeof(s->dir), "%s%s%s/volumes", cwd, cwd[0] ? "/" : "", root);
	if (w < 0 || (size_t)w >= sizeof(s->dir))
		return spore_err_setx(err, ENAMETOOLONG, "volume store root '%s': path too long",
				      root);
	snprintf(path, sizeof(path), "%s", s->dir);
	if ((w = spore_state_mkdir_p(path, 0700)) < 0)
		return spore_err_set(err, -w, "creating the volume store %s", s->dir);
	snprintf(path, sizeof(path), "%s/.lock", s->dir);
	s->lock_fd = spore_state_lock(path, "volume store", exclusive, err);
	if (s->lock_fd < 0)
		return s->lock_fd;
	spore_state_sweep(s->dir, tmp_kinds, "volumes");
	return 0;
}

void spore_volume_store_close(struct spore_volume_store *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
}

void spore_volume_free(struct spore_volume *v)
{
	if (!v)
		return;
	json_decref(v->labels);
	v->labels = NULL;
}

void spore_volume_list_free(struct spore_volume *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		spore_volume_free(&v[i]);
	free(v);
}

static int write_meta(const char *dir, const char *name, int64_t created, json_t *labels,
		      struct spore_err *err)
{
	char path[PATH_MAX + 16];
	json_t *lab = labels ? json_incref(labels) : json_object();
	json_t *j = json_pack("{s:s, s:I, s:o}", "name", name, "created", (json_int_t)created,
			      "labels", lab);
	int r = 0;

	snprintf(path, sizeof(path), "%s/" META, dir);
	int fd = j ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
	if (fd < 0 || json_dumpfd(j, fd, JSON_COMPACT) < 0 || fsync(fd) < 0)
		r = spore_err_set(err, j ? errno : ENOMEM, "writing %s", path);
	if (fd >= 0 && close(fd) < 0 && !r)
		r = spore_err_set(err, errno, "writing %s", path);
	json_decref(j);
	return r;
}

/* Fills v from the directory of volume name; -ENOENT if it has none. A
 * damaged meta.json costs the creation time and labels only. */
static int load(const struct spore_volume_store *s, const char *name, struct spore_volume *v)
{
	char meta[PATH_MAX];
	struct stat st, mst;

	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	if (snprintf(v->path, sizeof(v->path), "%s/%s/" DISK, s->dir, name) >= (int)sizeof(v->path) ||
	    snprintf(meta, sizeof(meta), "%s/%s/" META, s->dir, name) >= (int)sizeof(meta))
		return -ENAMETOOLONG;
	if (stat(v->path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADMSG;
	v->size = (uint64_t)st.st_size;
	v->allocated = (uint64_t)st.st_blocks * 512;
	v->created = (int64_t)st.st_ctime;
	json_t *j = json_load_file(meta, JSON_REJECT_DUPLICATES, NULL);
	json_t *created = json_object_get(j, "created"), *labels = json_object_get(j, "labels");
	if (json_is_integer(created))
		v->created = (int64_t)json_integer_value(created);
	else
		log_warn("volume %s: %s is missing or damaged", name, meta);
	if (json_is_object(labels))
		v->labels = json_incref(labels);
	if (stat(meta, &mst) == 0)
		v->allocated += (uint64_t)mst.st_blocks * 512;
	json_decref(j);
	return 0;
}

int spore_volume_get(const struct spore_volume_store *s, const char *name, struct spore_volume *v,
		     struct spore_err *err)
{
	if (!spore_volume_name_valid(name))
		return spore_err_setx(err, EINVAL, "'%s': not a valid volume name", name);
	int r = load(s, name, v);
	if (r == -ENOENT)
		return spore_err_setx(err, ENOENT, "%s: no such volume", name);
	if (r < 0)
		return spore_err_set(err, -r, "%s: reading volume %s/%s", name, s->dir, name);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct spore_volume *)a)->name, ((const struct spore_volume *)b)->name);
}

int spore_volume_list(const struct spore_volume_store *s, struct spore_volume **out, size_t *n,
		      struct spore_err *err)
{
	struct spore_volume *v = NULL;
	struct dirent *de;
	size_t cap = 0, k = 0;
	DIR *d = opendir(s->dir);
	int r = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return spore_err_set(err, errno, "listing %s", s->dir);
	while ((de = readdir(d))) {
		if (!spore_volume_name_valid(de->d_name))
			continue;
		if (k == cap) {
			cap = cap ? cap * 2 : 16;
			struct spore_volume *nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				r = spore_err_set(err, ENOMEM, "listing volumes");
				break;
			}
			v = nv;
		}
		int l = load(s, de->d_name, &v[k]);
		if (l == 0)
			k++;
		else if (l != -ENOENT)
			log_warn("volume %s: %s", de->d_name, strerror(-l));
	}
	closedir(d);
	if (r < 0) {
		spore_volume_list_free(v, k);
		return r;
	}
	if (k)
		qsort(v, k, sizeof(*v), by_name);
	*out = v;
	*n = k;
	return 0;
}

/* Makes the directory's entry durable (the rename that published it). */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int spore_volume_create(const struct spore_volume_store *s, const char *name, uint64_t size,
			json_t *labels, struct spore_volume *out, struct spore_err *err)
{
	char tmp[PATH_MAX], disk[PATH_MAX + 16], dest[PATH_MAX], a[32], b[32];
	struct stat st;
	int r = 0, fd;

	if (!spore_volume_name_valid(name))
		return spore_err_setx(err, EINVAL,
				      "'%s': not a valid volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most %d characters)",
				      name, SPORE_VOLUME_NAME_MAX);
	if (size < SPORE_VOLUME_MIN_SIZE || size > SPORE_VOLUME_MAX_SIZE) {
		spore_size_format(SPORE_VOLUME_MIN_SIZE, a, sizeof(a));
		spore_size_format(SPORE_VOLUME_MAX_SIZE, b, sizeof(b));
		return spore_err_setx(err, EINVAL, "%s: size must be %s to %s", name, a, b);
	}
	size = (size + 4095) & ~4095ull;
	snprintf(dest, sizeof(dest), "%s/%s", s->dir, name);
	/* Early, to spare a needless mkfs; the rename below decides. */
	if (lstat(dest, &st) == 0)
		return spore_err_setx(err, EEXIST, "%s: a volume with that name already exists", name);
	if (spore_state_tmpname(tmp, sizeof(tmp), s->dir, ".create") < 0)
		return spore_err_setx(err, ENAMETOOLONG, "%s: volume store path too long", name);
	if (!mkdtemp(tmp))
		return spore_err_set(err, errno, "%s: creating a temp directory in %s", name, s->dir);
	snprintf(disk, sizeof(disk), "%s/" DISK, tmp);
	/* Sparse: only what mkfs and the guest write takes space. */
	if ((fd = open(disk, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    ftruncate(fd, (off_t)size) < 0) {
		spore_size_format(size, a, sizeof(a));
		r = spore_err_set(err, errno, "%s: making a %s file in %s", name, a, s->dir);
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	close(fd);
	if ((r = spore_volume_mkfs(disk, name, err)) < 0) {
		spore_err_wrap(err, "%s", name);
		goto fail;
	}
	if ((r = write_meta(tmp, name, (int64_t)time(NULL), labels, err)) < 0) {
		spore_err_wrap(err, "%s", name);
		goto fail;
	}
	/* Publish: whole, and never over an existing volume. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE) < 0) {
		int e = errno;
		/* Filesystems without the flag (9p): a plain rename of a
		 * directory fails over a non-empty one, which every volume is. */
		if (e == EINVAL && rename(tmp, dest) == 0)
			e = 0;
		else if (e == EINVAL)
			e = errno;
		if (e == EEXIST || e == ENOTEMPTY) {
			r = spore_err_setx(err, EEXIST, "%s: a volume with that name already exists", name);
			goto fail;
		}
		if (e) {
			r = spore_err_set(err, e, "%s: storing the volume in %s", name, s->dir);
			goto fail;
		}
	}
	sync_dir(s->dir);
	if (out && (r = spore_volume_get(s, name, out, err)) < 0)
		return r;
	return 0;
fail:
	spore_state_rm_tree(tmp);
	return r;
}

int spore_volume_remove(const struct spore_volume_store *s, const char *name, uint64_t *freed,
			struct spore_err *err)
{
	struct spore_volume v;
	char dest[PATH_MAX], gone[PATH_MAX + 32];
	int r = spore_volume_get(s, name, &v, err);

	if (r < 0)
		return r;
	spore_volume_free(&v);
	/* Out of sight in one step; the delete can then take its time, and a
	 * crash during it leaves a .rm directory the next open removes. */
	snprintf(dest, sizeof(dest), "%s/%s", s->dir, name);
	snprintf(gone, sizeof(gone), "%s/.rm-%d-%s", s->dir, (int)getpid(), name);
	if (rename(dest, gone) < 0)
		return spore_err_set(err, errno, "%s: removing %s", name, dest);
	spore_state_rm_tree(gone);
	if (freed)
		*freed = v.allocated;
	return 0;
}

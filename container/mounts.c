/* Filesystems: the early API mounts, waiting for devices, the overlay root
 * over the image (upper layer on tmpfs or a disk), the switch away from the
 * initramfs, volumes, host files, tmpfs mounts, and a read-only root. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void must_mount(const char *src, const char *dst, const char *type, unsigned long flags,
		       const char *data)
{
	if (mkdir(dst, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", dst, strerror(errno));
	if (mount(src, dst, type, flags, data) < 0)
		die("mount %s on %s (%s): %s", src, dst, type, strerror(errno));
}

void early_mounts(void)
{
	int fd;

	/* devtmpfs first: until then there is no console to complain on. */
	mkdir("/dev", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755") < 0 &&
	    errno != EBUSY)
		power_off();
	fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		for (int i = 0; i < 3; i++)
			dup2(fd, i);
		if (fd > 2)
			close(fd);
	}
	must_mount("proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
	must_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
	must_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		   "newinstance,ptmxmode=0666,mode=0620,gid=5");
	must_mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	symlink("pts/ptmx", "/dev/ptmx");
	symlink("/proc/self/fd", "/dev/fd");
	symlink("/proc/self/fd/0", "/dev/stdin");
	symlink("/proc/self/fd/1", "/dev/stdout");
	symlink("/proc/self/fd/2", "/dev/stderr");
}

/* Deletes the initramfs contents below dirfd (switch_root's job: its pages
 * are RAM that nothing else frees). Stays on rootfs; never follows links. */
static void free_tree(int dirfd, dev_t rootdev, int depth)
{
	char buf[4096] __attribute__((aligned(8)));
	long n;

	if (depth > 32)
		return;
	while ((n = syscall(SYS_getdents64, dirfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct {
				unsigned long long ino;
				long long off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (void *)(buf + off);
			struct stat st;

			off += d->reclen;
			if (!strcmp(d->name, ".") || !strcmp(d->name, ".."))
				continue;
			if (fstatat(dirfd, d->name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != rootdev)
				continue;
			if (S_ISDIR(st.st_mode)) {
				int sub = openat(dirfd, d->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
				if (sub >= 0) {
					free_tree(sub, rootdev, depth + 1);
					close(sub);
				}
				unlinkat(dirfd, d->name, AT_REMOVEDIR); /* EBUSY for mount points */
			} else {
				unlinkat(dirfd, d->name, 0);
			}
		}
	}
}

/* A real directory at path (an image may have a file or link there). */
static void ensure_dir(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return;
	unlink(path);
	if (mkdir(path, 0755) < 0)
		die("mkdir %s: %s", path, strerror(errno));
}

void switch_to_image(const struct spore_bundle *b)
{
	char dev[64], opts[96];
	static const char *const moves[] = {"/dev", "/proc", "/sys"};
	struct stat st;
	int root;

	snprintf(dev, sizeof(dev), "/dev/%s", b->image_dev);
	if (wait_for_disk(dev, DEV_TIMEOUT_MS) < 0)
		die("image device %s did not appear", dev);
	trace("%s present", dev);
	must_mount(dev, "/lower", "squashfs", MS_RDONLY | MS_NODEV, NULL);
	trace("image mounted");
	if (b->upper_dev) {
		/* A disk the controller made empty: the root's writes go there,
		 * not to RAM. */
		snprintf(dev, sizeof(dev), "/dev/%s", b->upper_dev);
		if (wait_for_disk(dev, DEV_TIMEOUT_MS) < 0)
			die("root disk %s did not appear", dev);
		/* noinit_itable: the file's holes read as zeros, so zeroing
		 * the inode tables in the background would only fill dom0's
		 * disk. */
		must_mount(dev, "/rw", "ext4", MS_NODEV, "noinit_itable");
	} else {
		if (b->overlay_size)
			snprintf(opts, sizeof(opts), "mode=0755,size=%llu",
				 (unsigned long long)b->overlay_size);
		else
			snprintf(opts, sizeof(opts), "mode=0755");
		must_mount("tmpfs", "/rw", "tmpfs", MS_NODEV, opts);
	}
	if ((mkdir("/rw/upper", 0755) < 0 && errno != EEXIST) ||
	    (mkdir("/rw/work", 0755) < 0 && errno != EEXIST))
		die("mkdir in the overlay's upper layer: %s", strerror(errno));
	must_mount("overlay", "/newroot", "overlay", 0,
		   "lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work");

	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
		char to[32];
		snprintf(to, sizeof(to), "/newroot%s", moves[i]);
		ensure_dir(to);
		if (mount(moves[i], to, NULL, MS_MOVE, NULL) < 0)
			die("move %s to the new root: %s", moves[i], strerror(errno));
	}

	if (chdir("/newroot") < 0 || stat("/", &st) < 0)
		die("enter the new root: %s", strerror(errno));
	root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root >= 0) {
		free_tree(root, st.st_dev, 0);
		close(root);
	}
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
		die("switch to the new root: %s", strerror(errno));
	/* The image may lack these; tools expect them. */
	ensure_dir("/tmp");
	chmod("/tmp", 01777);
	mkdir("/run", 0755);
}

static void mkdir_p(const char *path)
{
	char p[4096];
	size_t n = strlen(path);

	if (n >= sizeof(p))
		die("path too long: %.64s...", path);
	memcpy(p, path, n + 1);
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			die("mkdir %s: %s", p, strerror(errno));
		*c = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", p, strerror(errno));
}

/* Volumes and tmpfs mounts, in the order they are mounted: a parent's
 * target is shorter than its child's, so by length puts parents first
 * (-v data:/srv with --tmpfs /srv/cache). Unmounted in reverse. */
struct mnt {
	const char *target;
	const struct spore_bundle_volume *vol; /* else tmpfs */
	const struct spore_bundle_tmpfs *tmpfs;
};
static struct mnt order[SPORE_BUNDLE_MAX_VOLUMES + SPORE_BUNDLE_MAX_TMPFS];
static unsigned norder;

static void plan_mounts(const struct spore_bundle *b)
{
	norder = 0;
	for (unsigned i = 0; i < b->nvolumes; i++)
		order[norder++] = (struct mnt){.target = b->volumes[i].target, .vol = &b->volumes[i]};
	for (unsigned i = 0; i < b->ntmpfs; i++)
		order[norder++] = (struct mnt){.target = b->tmpfs[i].target, .tmpfs = &b->tmpfs[i]};
	for (unsigned i = 1; i < norder; i++) { /* insertion sort: stable, few entries */
		struct mnt m = order[i];
		unsigned j = i;
		for (; j > 0 && strlen(order[j - 1].target) > strlen(m.target); j--)
			order[j] = order[j - 1];
		order[j] = m;
	}
}

/* A host file (-v /host/file:/path:ro): its filesystem holds only that
 * file; it is mounted aside, the file bound on target (created empty as the
 * mount point), and the aside mount detached: the bind keeps the
 * filesystem, and nothing else of it is visible. */
static void mount_file_volume(const char *dev, const struct spore_bundle_volume *v)
{
	static const char aside[] = "/dev/.spore-file";
	char src[64], dir[4096];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", v->target);
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		mkdir_p(dir);
	}
	fd = open(v->target, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		die("volume file target %s: %s", v->target, strerror(errno));
	close(fd);
	if (mkdir(aside, 0700) < 0 && errno != EEXIST)
		die("mkdir %s: %s", aside, strerror(errno));
	if (mount(dev, aside, v->fstype, MS_RDONLY | MS_NODEV | MS_NOSUID, NULL) < 0)
		die("mount volume %s (%s): %s", dev, v->fstype, strerror(errno));
	snprintf(src, sizeof(src), "%s/" SPORE_VOLUME_FILE_NAME, aside);
	if (mount(src, v->target, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, v->target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NODEV | MS_NOSUID,
		  NULL) < 0)
		die("bind volume file on %s: %s", v->target, strerror(errno));
	if (umount2(aside, MNT_DETACH) < 0 || rmdir(aside) < 0)
		warn("detach %s: %s", aside, strerror(errno));
}

static void mount_volume(const struct spore_bundle_volume *v)
{
	char dev[64];

	snprintf(dev, sizeof(dev), "/dev/%s", v->device);
	if (wait_for_disk(dev, DEV_TIMEOUT_MS) < 0)
		die("volume device %s did not appear", dev);
	if (v->file) {
		mount_file_volume(dev, v);
		return;
	}
	mkdir_p(v->target);
	if (mount(dev, v->target, v->fstype, MS_NODEV | (v->ro ? MS_RDONLY : 0), NULL) < 0)
		die("mount volume %s on %s (%s): %s", dev, v->target, v->fstype, strerror(errno));
}

static void mount_tmpfs(const struct spore_bundle_tmpfs *t)
{
	unsigned long flags = (t->flags & SPORE_TMPFS_RO ? MS_RDONLY : 0) |
			      (t->flags & SPORE_TMPFS_NOEXEC ? MS_NOEXEC : 0) |
			      (t->flags & SPORE_TMPFS_NOSUID ? MS_NOSUID : 0) |
			      (t->flags & SPORE_TMPFS_NODEV ? MS_NODEV : 0);
	char opts[64];

	if (t->size)
		snprintf(opts, sizeof(opts), "mode=%04o,size=%llu", (unsigned)t->mode,
			 (unsigned long long)t->size);
	else
		snprintf(opts, sizeof(opts), "mode=%04o", (unsigned)t->mode);
	mkdir_p(t->target);
	if (mount("tmpfs", t->target, "tmpfs", flags, opts) < 0)
		die("mount tmpfs on %s (%s): %s", t->target, opts, strerror(errno));
}

/* After the switch, so that links in the image resolve inside it. */
void mount_volumes(const struct spore_bundle *b)
{
	plan_mounts(b);
	for (unsigned i = 0; i < norder; i++) {
		if (order[i].vol)
			mount_volume(order[i].vol);
		else
			mount_tmpfs(order[i].tmpfs);
	}
}

/* --read-only: the root's mount, not its filesystem, becomes read-only, once
 * sporeinit has written what it writes there (hosts, resolv.conf, mount
 * points, the working directory); the mounts on it stay as they are. */
void seal_root(const struct spore_bundle *b)
{
	if (b->read_only && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		die("make the root read-only: %s", strerror(errno));
}

/* Once the container's processes are gone: a volume unmounted clean needs
 * no journal replay, which a later read-only attachment (a read-only
 * device) could not do. Failing that, read-only at least flushes it and
 * marks it clean; power_off's sync is the last resort. Children first. */
void unmount_volumes(const struct spore_bundle *b)
{
	(void)b;
	for (unsigned i = norder; i-- > 0;) {
		const char *t = order[i].target;
		if (umount2(t, 0) < 0 && mount(NULL, t, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0 &&
		    order[i].vol)
			warn("unmount volume %s: %s", t, strerror(errno));
	}
}

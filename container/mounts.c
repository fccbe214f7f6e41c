/* Filesystems: the early API mounts, waiting for devices, the overlay root
 * over the image, the switch away from the initramfs, and volumes. */
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
	if (wait_for(dev, DEV_TIMEOUT_MS) < 0)
		die("image device %s did not appear", dev);
	trace("%s present", dev);
	must_mount(dev, "/lower", "squashfs", MS_RDONLY | MS_NODEV, NULL);
	trace("image mounted");
	if (b->overlay_size)
		snprintf(opts, sizeof(opts), "mode=0755,size=%llu",
			 (unsigned long long)b->overlay_size);
	else
		snprintf(opts, sizeof(opts), "mode=0755");
	must_mount("tmpfs", "/rw", "tmpfs", MS_NODEV, opts);
	if (mkdir("/rw/upper", 0755) < 0 || mkdir("/rw/work", 0755) < 0)
		die("mkdir in the overlay's tmpfs: %s", strerror(errno));
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

/* After the switch, so that links in the image resolve inside it. */
void mount_volumes(const struct spore_bundle *b)
{
	for (unsigned i = 0; i < b->nvolumes; i++) {
		const struct spore_bundle_volume *v = &b->volumes[i];
		char dev[64];

		snprintf(dev, sizeof(dev), "/dev/%s", v->device);
		if (wait_for(dev, DEV_TIMEOUT_MS) < 0)
			die("volume device %s did not appear", dev);
		mkdir_p(v->target);
		if (mount(dev, v->target, v->fstype, MS_NODEV | (v->ro ? MS_RDONLY : 0), NULL) < 0)
			die("mount volume %s on %s (%s): %s", dev, v->target, v->fstype,
			    strerror(errno));
	}
}

/* Once the container's processes are gone: a volume unmounted clean needs
 * no journal replay, which a later read-only attachment (a read-only
 * device) could not do. Failing that, read-only at least flushes it and
 * marks it clean; power_off's sync is the last resort. */
void unmount_volumes(const struct spore_bundle *b)
{
	for (unsigned i = b->nvolumes; i-- > 0;) {
		const char *t = b->volumes[i].target;
		if (umount2(t, 0) < 0 && mount(NULL, t, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
			warn("unmount volume %s: %s", t, strerror(errno));
	}
}

/* Loop devices; see loopdev.h. */
#include "loopdev.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static int attach_fd(int ffd, const char *file, const char *tag, bool writable,
		     struct spore_loop *out, struct spore_err *err);

static int attach_file(const char *file, const char *tag, bool writable, struct spore_loop *out,
		       struct spore_err *err)
{
	int ffd = open(file, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (ffd < 0)
		return spore_err_set(err, errno, "open %s", file);
	int r = attach_fd(ffd, file, tag, writable, out, err);
	close(ffd);
	return r;
}

int spore_loop_attach(const char *file, const char *tag, struct spore_loop *out,
		      struct spore_err *err)
{
	return attach_file(file, tag, false, out, err);
}

int spore_loop_attach_rw(const char *file, const char *tag, struct spore_loop *out,
			 struct spore_err *err)
{
	return attach_file(file, tag, true, out, err);
}

int spore_loop_attach_fd(int ffd, const char *file, const char *tag, struct spore_loop *out,
			 struct spore_err *err)
{
	return attach_fd(ffd, file, tag, false, out, err);
}

static int attach_fd(int ffd, const char *file, const char *tag, bool writable,
		     struct spore_loop *out, struct spore_err *err)
{
	int r = 0, ctl = -1, lfd = -1;
	struct stat st;

	if ((ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC)) < 0) {
		r = spore_err_set(err, errno, "open /dev/loop-control (is the loop module loaded?)");
		goto out;
	}
	/* Another process may take the free device between GET_FREE and
	 * CONFIGURE: then ask again. */
	for (int tries = 0; tries < 16; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			r = spore_err_set(err, errno, "no free loop device for %s", file);
			goto out;
		}
		snprintf(out->path, sizeof(out->path), "/dev/loop%d", n);
		/* The kernel makes the device read-only unless both the file
		 * and the device are open for writing. */
		lfd = open(out->path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		if (lfd < 0) {
			r = spore_err_set(err, errno, "open %s", out->path);
			goto out;
		}
		struct loop_config cfg = {.fd = (uint32_t)ffd};
		cfg.info.lo_flags = writable ? 0 : LO_FLAGS_READ_ONLY;
		/* The tag, not the path: sysfs shows the real backing file anyway,
		 * and the tag is how a teardown finds devices no record lists. */
		snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "%s", tag);
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0)
			break;
		r = -errno;
		close(lfd);
		lfd = -1;
		if (r != -EBUSY) {
			r = spore_err_set(err, -r, "binding %s to %s", file, out->path);
			goto out;
		}
	}
	if (lfd < 0) {
		r = spore_err_setx(err, EBUSY, "binding %s: loop devices keep being taken", file);
		goto out;
	}
	if (fstat(lfd, &st) < 0) {
		r = spore_err_set(err, errno, "stat %s", out->path);
		spore_loop_detach(out->path, NULL);
		goto out;
	}
	out->rdev = st.st_rdev;
	r = 0;
out:
	if (lfd >= 0)
		close(lfd);
	if (ctl >= 0)
		close(ctl);
	return r;
}

int spore_loop_detach(const char *path, struct spore_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : spore_err_set(err, errno, "open %s", path);
	int r = ioctl(fd, LOOP_CLR_FD) < 0 && errno != ENXIO ? -errno : 0;
	close(fd);
	return r < 0 ? spore_err_set(err, -r, "detaching %s", path) : 0;
}

int spore_loop_detach_tagged(const char *tag, struct spore_err *err)
{
	DIR *d = opendir("/sys/block");
	struct dirent *de;
	int r = 0;

	if (!d)
		return spore_err_set(err, errno, "open /sys/block");
	while ((de = readdir(d))) {
		char path[64];
		int n;
		/* Only loop devices with something bound have a loop/ directory. */
		if (sscanf(de->d_name, "loop%d", &n) != 1 || n < 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/loop%d/loop", n);
		if (access(path, F_OK) < 0)
			continue;
		snprintf(path, sizeof(path), "/dev/loop%d", n);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct loop_info64 info;
		bool ours = ioctl(fd, LOOP_GET_STATUS64, &info) == 0 &&
			    !strncmp((const char *)info.lo_file_name, tag, sizeof(info.lo_file_name));
		/* A busy device (blkback still has it) unbinds itself on last
		 * close: LOOP_CLR_FD marks it so. */
		if (ours && ioctl(fd, LOOP_CLR_FD) < 0 && errno != ENXIO && r == 0)
			r = spore_err_set(err, errno, "detaching %s", path);
		close(fd);
	}
	closedir(d);
	return r;
}

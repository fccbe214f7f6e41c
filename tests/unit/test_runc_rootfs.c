/* spore-runc's root directory to image step (runtime/rootfs/): the
 * mountinfo parsing that finds the overlay's layers (pure), and one image
 * packed for real when gensquashfs is installed. */
#include "rootfs_image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

static void mountinfo(void)
{
	char lo[256], up[256];
	const char *ctrd =
		"1234 29 0:88 / /run/containerd/io.containerd.runtime.v2.task/default/t/rootfs rw,relatime "
		"shared:500 - overlay overlay rw,lowerdir=/var/lib/c/snapshots/2/fs:/var/lib/c/snapshots/1/fs,"
		"upperdir=/var/lib/c/snapshots/3/fs,workdir=/var/lib/c/snapshots/3/work\n";

	is_int(runc_mountinfo_overlay(ctrd, "/run/containerd/io.containerd.runtime.v2.task/default/t/rootfs",
				      lo, sizeof(lo), up, sizeof(up)), 1, "containerd's overlay found");
	is_str(lo, "/var/lib/c/snapshots/2/fs:/var/lib/c/snapshots/1/fs", "its lowerdir list");
	is_str(up, "/var/lib/c/snapshots/3/fs", "its upperdir");
	is_int(runc_mountinfo_overlay(ctrd, "/other", lo, sizeof(lo), up, sizeof(up)), 0,
	       "another mount point: no match");
	is_int(runc_mountinfo_overlay("25 1 8:1 / /srv rw - ext4 /dev/sda1 rw\n", "/srv", lo, sizeof(lo),
				      up, sizeof(up)), 0, "not an overlay: no match");
	is_int(runc_mountinfo_overlay("26 1 0:9 / /a\\040b rw - overlay overlay rw,lowerdir=/l\\040x\n",
				      "/a b", lo, sizeof(lo), up, sizeof(up)), 1,
	       "octal escapes decoded in the mount point");
	is_str(lo, "/l x", "and in the options");
	is_str(up, "", "no upperdir: empty");
	is_int(runc_mountinfo_overlay("26 1 0:9 / /a rw\n", "/a", lo, sizeof(lo), up, sizeof(up)),
	       -EINVAL, "no separator: malformed");
	is_int(runc_mountinfo_overlay("", "/a", lo, sizeof(lo), up, sizeof(up)), -EINVAL, "empty line");
	char big[600];
	snprintf(big, sizeof(big), "1 1 0:1 / /a rw - overlay o lowerdir=/%0300d\n", 0);
	is_int(runc_mountinfo_overlay(big, "/a", lo, sizeof(lo), up, sizeof(up)), -EINVAL,
	       "a lowerdir longer than the buffer: refused, not cut");
}

static void pack(void)
{
	char dir[] = "/tmp/spore-runc-rootfs.XXXXXX", path[256], magic[4] = {0};
	struct runc_rootfs_image img;
	struct spore_err e = {0};
	int fd;

	if (access("/usr/bin/gensquashfs", X_OK) < 0) {
		printf("ok %d # SKIP gensquashfs not installed\n", ++tap_n);
		return;
	}
	if (!mkdtemp(dir))
		return;
	setenv("SPORE_ROOT", dir, 1);
	snprintf(path, sizeof(path), "%s/r", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/r/hello", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ok(fd >= 0 && write(fd, "hi\n", 3) == 3, "a root directory with one file");
	close(fd);
	snprintf(path, sizeof(path), "%s/r", dir);
	is_int(runc_rootfs_image(path, "c1", &img, &e), 0, "packed (%s)", e.msg);
	ok(!img.shared && !img.cached, "a plain directory: the container's own image");
	ok(strstr(img.path, "/runc/images/ctr-c1.sqfs") != NULL, "named by the id (%s)", img.path);
	fd = open(img.path, O_RDONLY);
	ok(fd >= 0 && read(fd, magic, 4) == 4 && !memcmp(magic, "hsqs", 4), "a squashfs image");
	close(fd);
	unlink(img.path);
	snprintf(path, sizeof(path), "%s/runc/images", dir);
	ok(rmdir(path) == 0, "no temp left beside it");
	snprintf(path, sizeof(path), "%s/nosuch", dir);
	ok(runc_rootfs_image(path, "c2", &img, &e) == -ENOENT, "a missing root: ENOENT");
	snprintf(path, sizeof(path), "%s/r/hello", dir);
	ok(runc_rootfs_image(path, "c2", &img, &e) == -ENOTDIR, "a file: ENOTDIR");
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ok(system(path) == 0, "cleaned up");
}

int main(void)
{
	mountinfo();
	pack();
	return tap_done();
}

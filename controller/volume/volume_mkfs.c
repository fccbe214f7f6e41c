/* mkfs.ext4 in a child process; see volume_mkfs.h. */
#include "volume_mkfs.h"
#include "child.h"

#include <stdio.h>

int spore_volume_mkfs(const char *path, const char *label, struct spore_err *err)
{
	static const char *const fallback[] = {"/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4", NULL};
	struct spore_child c;
	char lab[17];
	/* -F: the target is a regular file, not a device; -m 0: the 5% kept
	 * for root serves a system disk's daemons, a volume is one container's
	 * data and its size is what the user asked for. Lazy init and
	 * nodiscard: the file is fresh and all holes, so nothing needs zeroing
	 * or discarding; the guest's kernel is told the inode tables are
	 * uninitialised (ext4's uninit_bg via metadata_csum) and reads holes as
	 * zeros. The journal stays: it is what makes a hard kill safe. */
	snprintf(lab, sizeof(lab), "%s", label);
	char *const argv[] = {"mkfs.ext4", "-q", "-F", "-m", "0", "-L", lab, "-E",
			      "root_owner=0:0,lazy_itable_init=1,lazy_journal_init=1,nodiscard",
			      (char *)path, NULL};
	int r = spore_child_start(&c, argv, -1, fallback, "install e2fsprogs", err);

	return r < 0 ? r : spore_child_wait(&c, false, err);
}

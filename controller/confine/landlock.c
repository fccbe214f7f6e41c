/* Landlock rulesets by hand (glibc has no wrappers); see confine.h. */
#include "confine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_WRITE_ABI1                                                                        \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                      \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |                      \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |                          \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |                        \
	 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)
#define FILE_ONLY                                                                            \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                         \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)

/* What the running kernel's ABI knows of the rights this file uses: a
 * right it does not handle cannot be asked for in a rule. */
static uint64_t handled(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	uint64_t h = LANDLOCK_ACCESS_FS_EXECUTE | FS_READ | FS_WRITE_ABI1;
	if (abi >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		h |= LANDLOCK_ACCESS_FS_TRUNCATE;
	return abi >= 1 ? h : 0;
}

int spore_landlock_new(struct spore_err *err)
{
	struct landlock_ruleset_attr attr = {.handled_access_fs = handled()};
	if (!attr.handled_access_fs)
		return -EOPNOTSUPP;
	int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0 && (errno == ENOSYS || errno == EOPNOTSUPP))
		return -EOPNOTSUPP;
	if (fd < 0)
		return spore_err_set(err, errno, "creating a Landlock ruleset");
	return fd;
}

int spore_landlock_allow_fd(int ruleset, int fd, unsigned what, struct spore_err *err)
{
	struct landlock_path_beneath_attr pb = {.parent_fd = fd};
	uint64_t h = handled();
	struct stat st;

	if (what & SPORE_LL_READ)
		pb.allowed_access |= FS_READ;
	if (what & SPORE_LL_WRITE)
		pb.allowed_access |= FS_WRITE_ABI1 | LANDLOCK_ACCESS_FS_REFER |
				     LANDLOCK_ACCESS_FS_TRUNCATE | FS_READ;
	if (what & SPORE_LL_EXEC)
		pb.allowed_access |= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE;
	if (fstat(fd, &st) < 0)
		return spore_err_set(err, errno, "adding a Landlock rule");
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= FILE_ONLY;
	pb.allowed_access &= h;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		return spore_err_set(err, errno, "adding a Landlock rule");
	return 0;
}

int spore_landlock_allow(int ruleset, const char *path, unsigned what, struct spore_err *err)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : spore_err_set(err, errno, "opening %s for a Landlock rule", path);
	int r = spore_landlock_allow_fd(ruleset, fd, what, err);
	close(fd);
	if (r < 0)
		spore_err_wrap(err, "%s", path);
	return r;
}

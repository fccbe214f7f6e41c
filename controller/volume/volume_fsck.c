/* Checking a dirty volume; see volume_fsck.h. */
#include "volume_fsck.h"

#include "child.h"
#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXT4_MAGIC 0xEF53
#define EXT4_VALID_FS 0x0001          /* s_state: unmounted cleanly */
#define EXT4_ERROR_FS 0x0002          /* s_state: errors detected */
#define EXT4_INCOMPAT_RECOVER 0x0004u /* s_feature_incompat: journal to replay */

static unsigned le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int spore_ext4_needs_check(const unsigned char *sb, size_t len, bool *needs)
{
	if (len < 0x64 || le16(sb + 0x38) != EXT4_MAGIC)
		return -EINVAL;
	unsigned state = le16(sb + 0x3A);
	*needs = !(state & EXT4_VALID_FS) || (state & EXT4_ERROR_FS) ||
		 (le32(sb + 0x60) & EXT4_INCOMPAT_RECOVER);
	return 0;
}

/* e2fsck's exit status, as its manual gives it. */
static const char *fsck_said(int code)
{
	return code == 0 ? "clean" : code == 1 || code == 2 ? "repaired (journal replayed, errors fixed)"
	       : code & 4 ? "errors left that need e2fsck by hand" : code & 8 ? "an operational error"
								: "an unexpected status";
}

int spore_volume_fsck(const char *path, char *outcome, size_t n, struct spore_err *err)
{
	unsigned char sb[1024];
	bool needs = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r, out_fd = -1, status = 0;
	ssize_t got = fd < 0 ? -1 : pread(fd, sb, sizeof(sb), 1024);
	pid_t pid, parent = getpid();

	outcome[0] = '\0';
	if (fd >= 0)
		close(fd);
	if (got < 0)
		return spore_err_set(err, errno, "reading its superblock");
	if (spore_ext4_needs_check(sb, (size_t)got, &needs) < 0)
		return spore_err_setx(err, EINVAL, "not an ext4 filesystem");
	if (!needs)
		return 0;
	/* -p: replay the journal, fix what is safe without a person. */
	char *const argv[] = {"e2fsck", "-p", (char *)path, NULL};
	if ((out_fd = memfd_create("e2fsck-output", MFD_CLOEXEC)) < 0 || (pid = fork()) < 0) {
		r = spore_err_set(err, errno, "starting e2fsck");
		goto out;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent || null < 0 ||
		    dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
			_exit(8);
		execvp(argv[0], argv);
		execv("/usr/sbin/e2fsck", argv); /* often not in a user's PATH */
		execv("/sbin/e2fsck", argv);
		_exit(8);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 8;
	char line[256];
	spore_child_last_line(out_fd, line, sizeof(line));
	log_info("volume: e2fsck -p %s: exit %d", path, code);
	if (code >= 4) {
		r = spore_err_setx(err, EIO, "e2fsck -p: %s (exit %d)%s%s", fsck_said(code), code,
				   line[0] ? ": " : "", line);
		goto out;
	}
	snprintf(outcome, n, "e2fsck -p: %s (exit %d)", fsck_said(code), code);
	r = 1;
out:
	if (out_fd >= 0)
		close(out_fd);
	return r;
}

/* Running a helper program (tar2sqfs, mkfs.ext4) as a child with a fixed
 * argv: no shell, stdin from a descriptor or /dev/null, stdout and stderr
 * kept in memory for the error message, and tied to the caller's life
 * (PR_SET_PDEATHSIG): a killed sporectl leaves no helper writing a file
 * nobody will keep. An exec failure comes back as its errno, not as a
 * mysterious exit status 127. */
#ifndef SPORE_CHILD_H
#define SPORE_CHILD_H

#include <spore/err.h>

#include <stdbool.h>
#include <sys/types.h>

struct spore_child {
	pid_t pid;
	int out_fd; /* the child's stdout and stderr (a memfd) */
	char name[32];
};

/* Starts argv[0], looked up in PATH and then at each of the NULL-terminated
 * paths in fallback (may be NULL: Debian puts some tools in /usr/sbin, which
 * a user's PATH often lacks). stdin is in_fd, or /dev/null if it is -1.
 * On an exec failure err says "running NAME (hint)". */
int spore_child_start(struct spore_child *c, char *const argv[], int in_fd,
		      const char *const fallback[], const char *hint, struct spore_err *err);

/* Waits for the child, killing it first if abandon is set (then nothing is
 * reported; where kill is not allowed, the image worker, the child is
 * expected to stop at the end of its input). A failure fills err with "NAME failed (exit N): its last
 * output line" and returns -EIO. */
int spore_child_wait(struct spore_child *c, bool abandon, struct spore_err *err);

#endif

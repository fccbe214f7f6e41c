/* Confining a worker process that parses untrusted bytes (the image
 * pipeline's worker, image_worker.h): what a bug in libarchive, a
 * decompressor or the registry client can reach once it runs there.
 *
 * The parent, still privileged, builds a Landlock ruleset naming the only
 * files and directories the worker may open (spore_landlock_*), then forks;
 * the child calls spore_confine_enter, which drops every capability from the
 * bounding set and all supplementary groups, switches to an unprivileged
 * user (when it runs as root), asks for SIGKILL when the parent dies, sets
 * no_new_privs and non-dumpable, restricts itself to the ruleset and
 * installs a seccomp allowlist (spore_confine_seccomp). It fails rather than
 * go on half-confined, except that a kernel without Landlock (not built in
 * or not in the boot's lsm= list) costs only the path rules, with a warning:
 * the user switch and seccomp still hold. */
#ifndef SPORE_CONFINE_H
#define SPORE_CONFINE_H

#include <spore/err.h>

#include <stdbool.h>
#include <sys/types.h>

enum {
	SPORE_LL_READ = 1,  /* open files and directories read-only */
	SPORE_LL_WRITE = 2, /* create, write, rename and remove beneath */
	SPORE_LL_EXEC = 4,  /* execute (a file: the one helper the worker runs) */
};

/* A new ruleset, or -EOPNOTSUPP when the kernel has no Landlock (err
 * untouched then), or another -errno with err set. */
int spore_landlock_new(struct spore_err *err);
/* Allows `what` (SPORE_LL_*) on path and, for a directory, beneath it. A
 * missing path is -ENOENT without a message (callers skip optional ones). */
int spore_landlock_allow(int ruleset, const char *path, unsigned what, struct spore_err *err);
/* The same for an open descriptor (O_PATH is enough). */
int spore_landlock_allow_fd(int ruleset, int fd, unsigned what, struct spore_err *err);

struct spore_confine {
	uid_t uid;   /* switched to when running as root; never 0 then */
	gid_t gid;
	int ruleset; /* from spore_landlock_new, or -1 (no Landlock) */
	pid_t parent;
};

/* The user a worker runs as: `name` if it exists, else nobody. */
int spore_confine_user(const char *name, uid_t *uid, gid_t *gid, struct spore_err *err);

/* In the forked child: enters the confinement described above. */
int spore_confine_enter(const struct spore_confine *c, struct spore_err *err);

/* The seccomp allowlist alone (spore_confine_enter installs it): reading
 * and writing descriptors, files opened through Landlock's rules, memory,
 * threads and one child (clone without namespace flags, execve: Landlock
 * says of which file), sockets AF_INET/AF_INET6/AF_NETLINK (AF_UNIX fails
 * softly: glibc's nscd client falls back), terminal ioctls that only read.
 * Anything else fails with EPERM: no signals but SIGABRT to itself, no
 * mount, ptrace, namespaces, setuid, chmod/chown, bpf, keyrings, io_uring, ioctls that write to a terminal.
 * Needs no_new_privs (set by the caller) or CAP_SYS_ADMIN. */
int spore_confine_seccomp(struct spore_err *err);

#endif

/* The sandbox of a sporenet worker: what is left once it has its sockets.
 *
 * net_sandbox_enter() drops every capability from the bounding set, all
 * supplementary groups, then switches real/effective/saved uid and gid to
 * the given unprivileged ids (which clears the remaining capabilities), sets
 * NO_NEW_PRIVS, makes the process non-dumpable, asks for SIGKILL when the
 * parent dies, and installs a seccomp allowlist (net_seccomp_install). It
 * fails rather than continue half-sandboxed. */
#ifndef SPORE_NET_SANDBOX_H
#define SPORE_NET_SANDBOX_H

#include <spore/err.h>

#include <sys/types.h>

int net_sandbox_enter(uid_t uid, gid_t gid, pid_t parent, struct spore_err *err);

/* Installs the worker's seccomp filter: the system calls libslirp, glib and
 * the worker loop need, sockets limited to AF_INET/AF_INET6, files only
 * opened read-only (libslirp reads /etc/resolv.conf), no executable
 * mappings. Anything else raises SIGSYS, reported on stderr and fatal. */
int net_seccomp_install(struct spore_err *err);

#endif

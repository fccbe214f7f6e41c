/* The image worker: the process in which everything that touches untrusted
 * image data runs (registry replies, manifests, docker archives and OCI
 * layouts, gzip/zstd streams, tar layers through libarchive, tar2sqfs).
 *
 * sporectl (the privileged side) opens what the worker needs (the store and
 * its lock, the registry handle with the user's credentials and CAs, an
 * archive or layout the user named), builds the worker's Landlock rules,
 * and forks. The worker confines itself (confine.h: the spore-image user,
 * else nobody, when sporectl is root; no capabilities, no_new_privs, the
 * rules, seccomp) in the cache's images/ directory, which it may read and
 * whose tmp/ it owns and may write; nothing else of the filesystem but the
 * libraries, resolver and CA files it needs, and tar2sqfs, the one program
 * it may execute. It does the pull and asks, over a socket, that each
 * finished temp file be renamed into place: the privileged side checks the
 * names (tmp/NAME to blobs/sha256/HEX or rootfs/HEX.sqfs only), takes the
 * file (root's, 0444) and renames it. The worker's result comes back in the
 * same way, and sporectl writes the reference record itself. */
#ifndef SPORE_IMAGE_WORKER_H
#define SPORE_IMAGE_WORKER_H

#include "image_store.h"
#include <spore/err.h>

#include <stddef.h>

/* Runs in the worker; ws is the worker's view of the store. What it leaves
 * in out (out_len bytes) comes back to the caller. */
typedef int (*spore_worker_fn)(struct spore_store *ws, void *arg, void *out,
			       struct spore_err *err);

struct spore_worker_opts {
	int read_dirfd; /* a directory the worker may also read (an OCI layout), or -1 */
	int keep_fd;    /* a descriptor fn reads (a docker archive), or -1; every
			 * other inherited one but stdin, stdout and stderr is
			 * closed in the worker (a xenstore connection or privcmd
			 * of the caller's must not reach it) */
	void *out;      /* at most SPORE_WORKER_OUT_MAX bytes */
	size_t out_len;
};

#define SPORE_WORKER_OUT_MAX 2048

/* Runs fn(ws, arg) in a confined worker and waits for it: fn's return and
 * err come back as its own. A worker that dies (a crash, a seccomp kill) is
 * an error that says so. */
int spore_image_worker_run(struct spore_store *s, spore_worker_fn fn, void *arg,
			   const struct spore_worker_opts *o, struct spore_err *err);

#endif

/* A xenstore client speaking the wire protocol itself (no libxenstore).
 *
 * It connects to xenstored's Unix socket ($XENSTORED_PATH, else
 * /run/xenstored/socket or /var/run/xenstored/socket) and falls back to
 * /dev/xen/xenbus. Works with both
 * C xenstored and oxenstored. A handle is not thread-safe; requests are
 * synchronous and answered in order. Watch events that arrive while a reply
 * is awaited are queued; spore_xs_watch_fd() is readable whenever an event
 * is queued or may be waiting on the connection.
 *
 * tx is a transaction id (spore_xs_transact hands one to its function), or
 * 0 (none).
 * Every function returns a negative errno with err filled on failure;
 * xenstore's own errors map to their errno (ENOENT, EACCES, EAGAIN...). */
#ifndef SPORE_XENSTORE_H
#define SPORE_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <spore/err.h>
#include <spore/xs_wire.h>

#define SPORE_XS_SOCKET "/run/xenstored/socket"
#define SPORE_XS_XENBUS "/dev/xen/xenbus"

struct spore_xs;

int spore_xs_open(struct spore_xs **xsp, struct spore_err *err);
/* Connects to a given socket or xenbus device path. */
int spore_xs_open_path(struct spore_xs **xsp, const char *path, struct spore_err *err);
void spore_xs_close(struct spore_xs *xs);

/* Reads a value into a malloc'd, NUL-terminated buffer (len excludes the
 * NUL; values may contain NULs). */
int spore_xs_read(struct spore_xs *xs, uint32_t tx, const char *path, char **val, size_t *len,
		  struct spore_err *err);
int spore_xs_write_str(struct spore_xs *xs, uint32_t tx, const char *path, const char *val,
		       struct spore_err *err);
int spore_xs_mkdir(struct spore_xs *xs, uint32_t tx, const char *path, struct spore_err *err);
/* Removes path and everything below it. */
int spore_xs_rm(struct spore_xs *xs, uint32_t tx, const char *path, struct spore_err *err);
/* Lists the children of path into *names, one malloc'd block (free(*names)
 * frees all). Listings over the payload limit are fetched with
 * DIRECTORY_PART where the daemon supports it. */
int spore_xs_directory(struct spore_xs *xs, uint32_t tx, const char *path, char ***names,
		       size_t *n, struct spore_err *err);
int spore_xs_get_perms(struct spore_xs *xs, uint32_t tx, const char *path,
		       struct spore_xs_perm **perms, size_t *n, struct spore_err *err);
int spore_xs_set_perms(struct spore_xs *xs, uint32_t tx, const char *path,
		       const struct spore_xs_perm *perms, size_t n, struct spore_err *err);

/* Runs fn inside a transaction and commits, redoing both on -EAGAIN (from
 * fn or the commit) up to a limit. A negative return from fn aborts. */
typedef int (*spore_xs_tx_fn)(struct spore_xs *xs, uint32_t tx, void *arg,
			      struct spore_err *err);
int spore_xs_transact(struct spore_xs *xs, spore_xs_tx_fn fn, void *arg, struct spore_err *err);

/* Pipelined requests: all of ops are sent before any reply is awaited, so a
 * batch costs about one round trip instead of one per request (each ~1.2 ms
 * from dom0 in the quiet TCG sandbox, tests/bench/xenstore-ops.sh). Types:
 * XS_READ, XS_WRITE, XS_MKDIR, XS_RM, XS_SET_PERMS. Every op gets its
 * result (0 or -errno) and, for reads, its value in out (malloc'd,
 * NUL-terminated; spore_xs_batch_free). Returns 0,
 * or the first failure of an op without may_fail (err names it), or a
 * connection error. Ops are applied in order, as if sent one by one. */
#define SPORE_XS_OP_MAX_PERMS 8
#define SPORE_XS_BATCH_MAX 64
struct spore_xs_op {
	uint32_t type;
	const char *path;
	const void *val; /* XS_WRITE */
	size_t len;
	const struct spore_xs_perm *perms; /* XS_SET_PERMS */
	size_t nperms;
	bool may_fail; /* e.g. a read of a key that may be absent */
	/* results */
	int result;
	char *out;
	size_t out_len;
};
int spore_xs_batch(struct spore_xs *xs, uint32_t tx, struct spore_xs_op *ops, size_t n,
		   struct spore_err *err);
void spore_xs_batch_free(struct spore_xs_op *ops, size_t n);

/* A list of nodes to write, each with its value and permissions: built by
 * code without I/O (so its contents are unit tested), then written by
 * spore_xs_write_nodes. The first failed append is kept in err and makes
 * later ones do nothing, so a builder checks once, at its end. */
struct xs_node {
	char *path;
	char *value; /* "" for a directory-like node */
	struct spore_xs_perm perms[2];
	int nperms;
};
struct xs_node_list {
	struct xs_node *v;
	size_t n, cap;
	int err; /* 0 or -errno */
};
/* Appends one node (value NULL for ""); returns l->err. */
int xs_node_add(struct xs_node_list *l, const char *value, int nperms,
		const struct spore_xs_perm *perms, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
const struct xs_node *xs_node_find(const struct xs_node_list *l, const char *path);
void xs_node_list_free(struct xs_node_list *l);
/* Writes the nodes in one spore_xs_batch, in transaction tx or none (0),
 * setting permissions only where they differ from the parent's (a new node
 * inherits its parent's). */
int spore_xs_write_nodes(struct spore_xs *xs, uint32_t tx, const struct xs_node_list *l,
			 struct spore_err *err);

/* Watches fire once right after registration, then on every change at or
 * below path. */
int spore_xs_watch(struct spore_xs *xs, const char *path, const char *token,
		   struct spore_err *err);
int spore_xs_unwatch(struct spore_xs *xs, const char *path, const char *token,
		     struct spore_err *err);
int spore_xs_watch_fd(const struct spore_xs *xs);

/* How long a request waits for its reply (default 15 s; <= 0: the
 * default): -ETIMEDOUT after that. The connection stays usable: the late
 * reply is dropped when it comes (a transaction it started, aborted). */
void spore_xs_set_reply_timeout(struct spore_xs *xs, int ms);

struct spore_xs_event {
	char *path;
	char *token;
	/* both point into the same allocation: free(event) frees all */
};
/* Takes the next watch event, waiting up to timeout_ms (-1: forever, 0: not
 * at all). -EAGAIN if none came in time. */
int spore_xs_read_watch(struct spore_xs *xs, struct spore_xs_event **ev, int timeout_ms,
			struct spore_err *err);

/* Waiting for xenstore to say something, without polling: each path is
 * watched, and its look runs at once and again after every watch event
 * (of any watch on xs: they are all consumed), until it says done or its
 * timeout passes. A look returns > 0 when done, 0 not yet, or a negative
 * errno with err filled. */
typedef int (*spore_xs_look_fn)(struct spore_xs *xs, void *arg, struct spore_err *err);
struct spore_xs_wait {
	const char *path; /* the node whose changes may make look say done */
	int timeout_ms;   /* from the start of the wait */
	spore_xs_look_fn look;
	void *arg;
	/* results */
	bool done, timed_out;
};
/* Waits until every look of w[0..n) said done (0), or one's timeout passed
 * (-ETIMEDOUT, that one's timed_out set, err naming its path: a caller
 * with better words replaces it), or a look or the connection failed. The
 * watches are gone again on every return. */
int spore_xs_wait_all(struct spore_xs *xs, struct spore_xs_wait *w, size_t n,
		      struct spore_err *err);
/* The same for one path. */
int spore_xs_wait(struct spore_xs *xs, const char *path, int timeout_ms, spore_xs_look_fn look,
		  void *arg, struct spore_err *err);

int spore_xs_introduce(struct spore_xs *xs, uint32_t domid, uint64_t mfn, uint32_t port,
		       struct spore_err *err);

#endif

/* The xenstore wire protocol as pure functions: framing, encoding and
 * decoding of messages, no I/O. The client in xenstore.c drives these; unit
 * tests and the fuzz target call them directly.
 *
 * A message is a 16-byte header {type, req_id, tx_id, len} in host byte
 * order followed by len payload bytes. Requests may carry at most
 * XENSTORE_PAYLOAD_MAX (4096) bytes: xenstored drops a connection that sends
 * more. Replies are also capped at 4096 by C xenstored, but oxenstored caps
 * them only on shared rings, not on its Unix socket, so readers accept up to
 * SPORE_XS_REPLY_MAX. */
#ifndef SPORE_XS_WIRE_H
#define SPORE_XS_WIRE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xs_wire.h>

#include <spore/err.h>

#define SPORE_XS_HDR_LEN 16u
#define SPORE_XS_REPLY_MAX (1u << 20)
/* Upper bound for a directory assembled from DIRECTORY_PART replies. */
#define SPORE_XS_DIR_MAX (16u << 20)

struct spore_xs_msg {
	uint32_t type;
	uint32_t req_id;
	uint32_t tx_id;
	uint32_t len;
	const char *body; /* len bytes inside the parsed buffer; not NUL-terminated */
};

/* "READ", "WATCH_EVENT", ...; "UNKNOWN" for anything else. */
const char *spore_xs_type_name(uint32_t type);

/* Checks a path against the protocol's rules before it goes on the wire:
 * absolute paths ≤ XENSTORE_ABS_PATH_MAX, relative ≤ XENSTORE_REL_PATH_MAX,
 * characters [A-Za-z0-9/_@-], no empty components; "@..." names the special
 * watch paths. -EINVAL or -ENAMETOOLONG with a message. */
int spore_xs_check_path(const char *path, struct spore_err *err);

/* Encodes one request into buf: each of strs[] followed by a NUL, then rawlen
 * raw bytes (a WRITE value, which is not NUL-terminated). Returns the message
 * length, -E2BIG if the payload exceeds XENSTORE_PAYLOAD_MAX, -ENOBUFS if buf
 * is too small. */
int spore_xs_encode(void *buf, size_t cap, uint32_t type, uint32_t req_id, uint32_t tx_id,
		    const char *const *strs, size_t nstrs, const void *raw, size_t rawlen,
		    struct spore_err *err);

/* Frames one message at the start of a received byte stream. Returns the
 * number of bytes it occupies (> 0) and fills msg when len holds all of it,
 * 0 when more bytes are needed, or -EPROTO/-EMSGSIZE for a corrupt header
 * (unknown type, or payload over max_payload). */
int spore_xs_parse(const void *buf, size_t len, size_t max_payload, struct spore_xs_msg *msg,
		   struct spore_err *err);

/* Maps an XS_ERROR body ("ENOENT\0") to -ENOENT; unknown strings give -EIO. */
int spore_xs_error_code(const char *body, size_t len);

/* Checks that msg answers a request of the given type: an XS_ERROR reply
 * gives its negative errno, another type gives -EPROTO. */
int spore_xs_reply_check(const struct spore_xs_msg *msg, uint32_t type, struct spore_err *err);

/* Splits a body of NUL-terminated strings (DIRECTORY, GET_PERMS replies).
 * Empty strings are skipped: names are never empty and the daemons differ in
 * trailing NULs. Stores up to n pointers into body and returns the count
 * found (possibly > n); -EPROTO if the last string lacks its NUL. */
int spore_xs_split(const char *body, size_t len, const char **out, size_t n);

/* Parses an unsigned decimal reply such as TRANSACTION_START's "17\0". */
int spore_xs_parse_u32(const char *body, size_t len, uint32_t *out);

/* Parses a WATCH_EVENT body "path\0token\0"; the pointers point into the
 * body. -EPROTO if malformed. */
int spore_xs_parse_watch_event(const struct spore_xs_msg *msg, const char **path,
			       const char **token, struct spore_err *err);

/* Assembles a large directory from DIRECTORY_PART replies. Each reply is
 * "generation\0" then whole names, each NUL-terminated; the final reply ends
 * with an extra empty name. If the generation changes between replies the
 * directory changed under us and assembly restarts at offset 0. */
struct spore_xs_dirpart {
	char gen[24];
	char *names;   /* NUL-separated names, malloc'd */
	size_t len;    /* bytes in names: the offset to request next */
	unsigned restarts;
	int done;
};

void spore_xs_dirpart_init(struct spore_xs_dirpart *dp);
void spore_xs_dirpart_free(struct spore_xs_dirpart *dp);
/* Feeds one reply body. Returns 1 when the listing is complete (names and
 * len hold it, without the end marker), 0 when the next request should ask
 * for offset dp->len, negative on a malformed reply, too many restarts
 * (-EAGAIN) or a listing over SPORE_XS_DIR_MAX (-E2BIG). */
int spore_xs_dirpart_feed(struct spore_xs_dirpart *dp, const char *body, size_t len,
			  struct spore_err *err);

/* A permission entry: the first of a node's list names its owner and the
 * access everyone else gets. perm is 'n' (none), 'r', 'w' or 'b' (both). */
struct spore_xs_perm {
	uint32_t domid;
	char perm;
};

/* Parses "r5"; -EINVAL if malformed. */
int spore_xs_perm_parse(const char *s, struct spore_xs_perm *p);
/* Formats into buf ("b0"); returns the length or -ENOBUFS/-EINVAL. */
int spore_xs_perm_format(const struct spore_xs_perm *p, char *buf, size_t n);

#endif

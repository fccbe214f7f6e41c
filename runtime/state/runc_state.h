/* spore-runc's state directory: ROOT/ID/state.json per container (ROOT is
 * --root, default /run/spore-runc; containerd passes
 * /run/containerd/runc/<namespace>). The file holds the OCI state's fields
 * plus spore's own (the guest's UUID, the host process's start time, so a
 * recycled pid is not taken for the container's). Writes are atomic
 * (temp file + rename in the same directory); the directory's mkdir is what
 * claims an ID. Parsing and the OCI state JSON are pure. */
#ifndef SPORE_RUNC_STATE_H
#define SPORE_RUNC_STATE_H

#include <spore/err.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SPORE_RUNC_DEF_ROOT "/run/spore-runc"
#define SPORE_RUNC_ID_MAX 128
#define SPORE_RUNC_OCI_VERSION "1.0.2"

enum spore_runc_status {
	SPORE_RUNC_CREATING = 0, /* create has not finished: not a status callers see */
	SPORE_RUNC_CREATED,
	SPORE_RUNC_RUNNING,
	SPORE_RUNC_PAUSED,
	SPORE_RUNC_STOPPED,
};

struct spore_runc_state {
	char id[SPORE_RUNC_ID_MAX + 1];
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	char created[40];       /* RFC 3339, UTC, nanoseconds */
	char uuid[37];          /* the guest's; "" until it exists */
	char image[PATH_MAX];   /* its root image; "" before */
	bool image_shared;      /* a cache entry, else the container's own (delete removes it) */
	bool no_guest;          /* CRI's sandbox (pause) container: a host process only */
	pid_t pid;              /* the per-container host process; 0 before */
	uint64_t pid_start;     /* its start time (/proc/PID/stat field 22) */
	enum spore_runc_status status; /* as recorded */
	char *annotations;      /* JSON object text, malloc'd; NULL: {} */
};

/* IDs as runc takes them: [A-Za-z0-9_+.-], 1..SPORE_RUNC_ID_MAX, not "."
 * or "..". */
bool spore_runc_id_ok(const char *id);
const char *spore_runc_status_name(enum spore_runc_status s);

/* The status a caller sees: a recorded created/running/paused container
 * whose host process is gone is stopped; creating shows as created. */
enum spore_runc_status spore_runc_status_live(enum spore_runc_status recorded, bool pid_alive);

/* The private file's text and back (pure). encode: 0 or -ENOMEM, *out
 * malloc'd. parse: 0 or -EINVAL with err; free st->annotations after. */
int spore_runc_state_encode(const struct spore_runc_state *st, char **out);
int spore_runc_state_parse(const char *buf, size_t len, struct spore_runc_state *st,
			   struct spore_err *err);
/* The OCI state JSON `state` prints (pure), with status as given. */
int spore_runc_state_oci(const struct spore_runc_state *st, enum spore_runc_status status,
			 char **out);

/* ROOT/ID. 0, or -ENAMETOOLONG. */
int spore_runc_state_path(const char *root, const char *id, const char *file, char *out,
			  size_t n);
/* Claims ID: mkdir -p ROOT, mkdir ROOT/ID (0700). -EEXIST: "already exists". */
int spore_runc_state_claim(const char *root, const char *id, struct spore_err *err);
int spore_runc_state_write(const char *root, const struct spore_runc_state *st,
			   struct spore_err *err);
/* -ENOENT with err "container ID does not exist" when there is none. */
int spore_runc_state_read(const char *root, const char *id, struct spore_runc_state *st,
			  struct spore_err *err);
/* Removes ROOT/ID and what it holds; 0 if it was not there. */
int spore_runc_state_remove(const char *root, const char *id, struct spore_err *err);
void spore_runc_state_free(struct spore_runc_state *st);

/* Writes PATH atomically with the decimal pid and no newline (containerd
 * reads it with strconv.Atoi). */
int spore_runc_pidfile_write(const char *path, pid_t pid, struct spore_err *err);

/* A process's start time (/proc/PID/stat); 0 when it is gone. */
uint64_t spore_runc_pid_start(pid_t pid);
/* pid runs and is the process started at start. */
bool spore_runc_pid_alive(pid_t pid, uint64_t start);
/* The time now as RFC 3339 with nanoseconds ("2026-12-07T13:00:00.123456789Z"). */
void spore_runc_now(char *out, size_t n);

#endif

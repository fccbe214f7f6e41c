/* The volume store, under $SPORE_ROOT or /var/lib/spore (or --root):
 *
 *   volumes/.lock                 flock: create, ls, inspect and launch share
 *                                 it; rm and prune own it, so a volume is
 *                                 never removed between launch's in-use
 *                                 check and its record listing the volume
 *   volumes/NAME/disk.ext4        the volume: a sparse file holding ext4
 *   volumes/NAME/meta.json        {"name", "created", "labels"}
 *   volumes/.create-PID-XXXXXX/   a volume being made by process PID
 *   volumes/.rm-PID-NAME/         a volume being deleted by process PID
 *
 * A volume appears whole or not at all: it is built in a .create directory
 * and renamed into place, refusing an existing name (renameat2
 * RENAME_NOREPLACE). Temp directories carry their process's pid, as the
 * image cache's do: the next open removes those whose process is gone, so
 * a crash mid-create (or mid-rm) leaves nothing after the next command.
 * Names never start with '.', so they cannot clash with the store's own. */
#ifndef SPORE_VOLUME_STORE_H
#define SPORE_VOLUME_STORE_H

#include "volume_rules.h"
#include <spore/err.h>

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

struct spore_volume_store {
	char dir[PATH_MAX - 128]; /* absolute: <root>/volumes */
	int lock_fd;
};

struct spore_volume {
	char name[SPORE_VOLUME_NAME_MAX + 1];
	char path[PATH_MAX]; /* the filesystem image: what a guest's disk is */
	int64_t created;     /* unix seconds */
	uint64_t size;       /* capacity: the file's length */
	uint64_t allocated;  /* what it takes of dom0's disk */
	json_t *labels;      /* an object of strings; spore_volume_free */
};

/* Creates volumes/ if needed, takes the lock (shared, or exclusive for rm
 * and prune) and removes what dead processes left. root NULL: $SPORE_ROOT,
 * else /var/lib/spore. */
int spore_volume_store_open(struct spore_volume_store *s, const char *root, bool exclusive,
			    struct spore_err *err);
void spore_volume_store_close(struct spore_volume_store *s);

/* Makes volume name of size bytes (rounded up to 4 KiB; within
 * SPORE_VOLUME_MIN_SIZE..MAX_SIZE) with labels (NULL or an object of
 * strings; not stolen). -EEXIST if the name is taken, -EINVAL for a bad
 * name or size; messages name the volume. out may be NULL. */
int spore_volume_create(const struct spore_volume_store *s, const char *name, uint64_t size,
			json_t *labels, struct spore_volume *out, struct spore_err *err);
/* -ENOENT ("NAME: no such volume") if there is none. */
int spore_volume_get(const struct spore_volume_store *s, const char *name, struct spore_volume *v,
		     struct spore_err *err);
/* Every volume, sorted by name; free with spore_volume_list_free. */
int spore_volume_list(const struct spore_volume_store *s, struct spore_volume **v, size_t *n,
		      struct spore_err *err);
/* Deletes volume name (the caller has checked it is unused, holding the
 * exclusive lock); *freed (may be NULL) gets the bytes of dom0's disk it
 * gave back. -ENOENT if there is none. */
int spore_volume_remove(const struct spore_volume_store *s, const char *name, uint64_t *freed,
			struct spore_err *err);

void spore_volume_free(struct spore_volume *v);
void spore_volume_list_free(struct spore_volume *v, size_t n);

#endif

/* spore's state directory, $SPORE_ROOT (default /var/lib/spore): what the
 * image cache (images/) and the volume store (volumes/) do alike.
 *
 * A store is a directory with a lock file (flock: shared for users, exclusive
 * for removers) and temp entries named KIND-PID-XXXXXX by the process that
 * makes them: whatever a killed process left, the next open of the store
 * removes (spore_state_sweep), since that process had no chance to. */
#ifndef SPORE_STATEDIR_H
#define SPORE_STATEDIR_H

#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SPORE_DEFAULT_ROOT "/var/lib/spore"

/* $SPORE_ROOT, else SPORE_DEFAULT_ROOT. */
const char *spore_state_default_root(void);

/* mkdir -p: path is changed while it runs, restored on return. -errno. */
int spore_state_mkdir_p(char *path, mode_t mode);

/* Opens (creating) the lock file at path and takes its flock, shared or
 * exclusive, waiting (after a log line naming `what`) while another holds
 * it. Returns the descriptor (close it to unlock), or -errno with err set. */
int spore_state_lock(const char *path, const char *what, bool exclusive, struct spore_err *err);

/* Writes DIR/KIND-PID-XXXXXX (this process's pid, for mkstemp/mkdtemp) to
 * buf; -ENAMETOOLONG if it does not fit. */
int spore_state_tmpname(char *buf, size_t n, const char *dir, const char *kind);

/* Removes the entries of dir named KIND-PID-... for any KIND of the
 * NULL-terminated kinds whose process PID is gone. `what` names the store in
 * the debug log. */
void spore_state_sweep(const char *dir, const char *const kinds[], const char *what);

/* Removes a file or a directory tree (best effort). Never follows a link,
 * not even one swapped in for a directory while it runs. */
void spore_state_rm_tree(const char *path);

#endif

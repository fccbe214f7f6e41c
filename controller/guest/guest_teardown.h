/* Freeing everything a guest holds, shared by `destroy`, `boot --attach`,
 * `console`, `list` and the reaper. Every step tolerates work already done,
 * so any number of callers may race on the same guest. */
#ifndef SPORE_GUEST_TEARDOWN_H
#define SPORE_GUEST_TEARDOWN_H

#include "domctl.h"
#include <spore/err.h>
#include <spore/guest_record.h>
#include <spore/xenstore.h>

#include <stdbool.h>
#include <stddef.h>

/* 1 and *info if the guest's domain exists (found by its handle, which is
 * the guest's UUID: the recorded domid first, else a scan, for a launch
 * killed before it recorded the domid), 0 if not. */
int spore_guest_find_domain(struct spore_xc *xc, const struct spore_guest *g,
			    struct spore_dominfo *info, struct spore_err *err);

/* The same over a snapshot of getinfolist: index or -1. Pure. */
int spore_guest_match_domain(const struct spore_guest *g, const struct spore_dominfo *doms,
			     size_t n);

/* Every domain (malloc'd array). */
int spore_domain_snapshot(struct spore_xc *xc, struct spore_dominfo **out, size_t *n,
			  struct spore_err *err);

/* The domain of a snapshot that is still the one a backend served: the same
 * domid and handle (a domid is reused, the handle tells). NULL if gone. Pure. */
const struct spore_dominfo *spore_domain_in(const struct spore_dominfo *doms, size_t n, uint32_t domid,
					    const uint8_t handle[16]);

/* Whether error/backend/KIND/<name>, which a backend driver wrote about a
 * frontend, is stale: name is a guest's domid and that domain is gone or
 * dying. A driver may write it after the guest's teardown removed it (an
 * event for the device still queued in dom0's xenwatch thread). */
bool spore_error_dir_stale(const char *name, const struct spore_dominfo *doms, size_t n);
/* Removes every stale error directory (and the parents they leave empty):
 * how many, or -errno. */
int spore_guest_prune_errors(struct spore_xc *xc, struct spore_xs *xs, struct spore_err *err);

/* Keeps the container's exit status that sporeinit wrote under the domain's
 * data/spore/ (it vanishes with the domain), destroys the domain, removes
 * /local/domain/N, /vm/<uuid> and the backends' /local/domain/0/backend/
 * KIND/N, detaches the guest's loop devices (found by their tag, see
 * loopdev.h), and marks the record exited
 * (exit time and status, domid -1, no loops). A record removed meanwhile is
 * not recreated. */
int spore_guest_teardown(struct spore_xc *xc, struct spore_xs *xs, const struct spore_guest *g,
			 struct spore_err *err);

/* The exit status sporeinit wrote under domain domid ("exited N", ...): 0
 * and out, or a negative errno (-ENOENT while there is none). The guest
 * writes it, so anything spore_exit_status_reported refuses comes out as
 * SPORE_EXIT_STATUS_INVALID (n must hold either). */
int spore_guest_read_exit_status(struct spore_xs *xs, uint32_t domid, char *out, size_t n);
/* The xenstore path of that status. */
void spore_guest_exit_status_path(uint32_t domid, char *buf, size_t n);

/* Shutdown reason code to the record's word: "poweroff", "crash", ... */
const char *spore_shutdown_reason_name(unsigned reason);

#endif

/* The launch histogram's file, $SPORE_ROOT/launch-metrics (spored's
 * --root), so that a restarted spored goes on from the same sums (and
 * Prometheus sees no counter reset). Rewritten whole after each launch
 * reported: a temp file renamed over it. */
#ifndef SPORED_LAUNCH_STORE_H
#define SPORED_LAUNCH_STORE_H

#include "launch_hist.h"
#include <spore/err.h>

/* root: spored's --root, NULL for $SPORE_ROOT, else /var/lib/spore. No
 * file: h zeroed, 0. A file that does not parse: h zeroed, -EINVAL. */
int launch_store_load(const char *root, struct launch_hist *h, struct spore_err *err);
int launch_store_save(const char *root, const struct launch_hist *h, struct spore_err *err);

#endif

/* A spore-runc container's guest: built by its host process through the
 * launch pipeline (the workload gated until start), released, stopped,
 * destroyed. The host process is the attached launcher: the guest record's
 * owner, so the reaper frees whatever it leaves if it is killed. */
#ifndef SPORE_RUNC_GUEST_H
#define SPORE_RUNC_GUEST_H

#include "oci_spec.h"
#include <spore/err.h>

/* The host process's body. Builds the guest from spec with image as its
 * root, writes "OK <uuid>\n" to notify_fd and closes it once the guest
 * runs (gated), then relays the console to stdout until the guest stops.
 * Returns the container's exit status as a process's (n, 128+N for signal
 * N; 137 when the guest was destroyed), or a negative errno with err
 * (*notified false: notify_fd is still open and the error is create's). */
int runc_guest_run(const struct spore_oci_spec *spec, const char *image, int notify_fd,
		   bool *notified, struct spore_err *err);

/* start: writes the gate's node, which only dom0 can. */
int runc_guest_release(const char *uuid, struct spore_err *err);
/* A stop request (control/shutdown): sporeinit sends the container SIGTERM,
 * SIGKILL after the grace period. Made once sporeinit reports the workload
 * running (it sees no earlier request), waiting up to RUNC_STOP_WAIT_MS. */
#define RUNC_STOP_WAIT_MS (60 * 1000)
int runc_guest_stop(const char *uuid, struct spore_err *err);
/* Tears the guest down and removes its record; 0 if there is none. */
int runc_guest_destroy(const char *uuid, struct spore_err *err);

#endif

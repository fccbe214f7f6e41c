/* The named steps of a launch or boot, for two things.
 *
 * A test hook for crash-safety tests: with SPORE_STOP_AT=<step> in its
 * environment, sporectl stops itself (SIGSTOP) when a launch or boot
 * reaches that named step, so a test can SIGKILL it exactly there and check
 * that the next command or the reaper leaves nothing behind.
 *
 * Where the launch's time goes: each step's time, from its hook to the
 * next, is added to its phase (spore_launch_phase_of, svc_proto.h), which
 * spored's /metrics shows as a histogram (controller/launch/launch_report.h).
 *
 * Step names: the PV builder's steps (kernel, check-xen, create-domain, ...,
 * introduce; the hook runs before each) and those of launch and boot (see
 * README, "Crash safety"). Unset, a hook call costs one cached getenv and a
 * clock read. At SPORE_LOG=debug each call logs "step NAME at T ms" (since
 * the first step). */
#ifndef SPORE_STEP_HOOK_H
#define SPORE_STEP_HOOK_H

#include <spore/svc_proto.h>

#include <stdbool.h>

/* Called when the process is about to run step `name`. */
void spore_step(const char *name);
/* The phases' times from the first step until now (the current step's
 * counted to now), total_ns their sum; failed left 0. False if no step ran. */
bool spore_step_timings(struct spore_svc_launched *t);

#endif

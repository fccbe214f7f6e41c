/* A test hook for crash-safety tests: with SPORE_STOP_AT=<step> in its
 * environment, sporectl stops itself (SIGSTOP) when a launch or boot
 * reaches that named step, so a test can SIGKILL it exactly there and check
 * that the next command or the reaper leaves nothing behind.
 *
 * Step names: the PV builder's steps (kernel, check-xen, create-domain, ...,
 * introduce; the hook runs before each) and those of launch and boot (see
 * README, "Crash safety"). Unset, a hook call costs one cached getenv. At
 * SPORE_LOG=debug each call logs "step NAME at T ms" (since the first step). */
#ifndef SPORE_STEP_HOOK_H
#define SPORE_STEP_HOOK_H

/* Called when the process is about to run step `name`. */
void spore_step(const char *name);

#endif

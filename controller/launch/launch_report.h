/* Tells spored how long a launch took, by phase (its /metrics histogram,
 * service/metrics/launch_hist.h): one SPORE_SVC_LAUNCHED message on a
 * connection of its own, sent once per process, when the guest runs or the
 * launch failed. sporectl measures (it runs the launch); spored only adds
 * up what it is sent, and keeps the sums in a file of its own, so its
 * restart loses none. */
#ifndef SPORE_LAUNCH_REPORT_H
#define SPORE_LAUNCH_REPORT_H

#include <stdbool.h>

/* Sends the step hooks' times (step_hook.h) as a launch that failed or
 * not; nothing if no step ran or a report was sent already. Best effort: a
 * spored that does not answer misses this launch (logged at debug). */
void spore_launch_report(bool failed);

#endif

/* The monotonic clock, for deadlines and elapsed times: one definition for
 * sporectl, sporenet and sporeinit (which compiles common/clock.c itself).
 * CLOCK_MONOTONIC, so a clock set back by an admin or NTP stretches no
 * deadline. */
#ifndef SPORE_CLOCK_H
#define SPORE_CLOCK_H

#include <stdint.h>

int64_t spore_now_ms(void);
/* For timings finer than a millisecond (debug figures, libslirp's clock). */
int64_t spore_now_ns(void);

#endif

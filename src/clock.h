/* clock.h: the two clocks teardownd reads, in microseconds. */
#ifndef TEARDOWND_CLOCK_H
#define TEARDOWND_CLOCK_H

#include <stdint.h>

/* CLOCK_REALTIME: instants that are stored (runs, cases, baselines). */
int64_t clock_wall_us(void);
/* CLOCK_MONOTONIC: deadlines and durations; also systemd's MONOTONIC_USEC. */
int64_t clock_mono_us(void);

#endif

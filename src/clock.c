/* clock.c: the wall and monotonic clocks in microseconds. */
#include <time.h>

#include "clock.h"

/* Microseconds of clock c now. */
static int64_t
clock_us(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* CLOCK_REALTIME now, us. */
int64_t
clock_wall_us(void)
{
	return clock_us(CLOCK_REALTIME);
}

/* CLOCK_MONOTONIC now, us. */
int64_t
clock_mono_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

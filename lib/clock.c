/* clock.c - the monotonic clock (see clock.h for why this one). */
#include <time.h>

#include "sockbench/clock.h"

uint64_t clock_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t clock_now_ms(void)
{
	return clock_now_ns() / 1000000;
}

double clock_now_s(void)
{
	return (double)clock_now_ns() / 1e9;
}

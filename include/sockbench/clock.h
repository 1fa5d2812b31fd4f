/* clock.h - the one monotonic clock every command reads.
 *
 * CLOCK_MONOTONIC, not CLOCK_REALTIME: an NTP step or a date change must not
 * make a latency negative or a run end early.  (CLOCK_MONOTONIC is slewed by
 * NTP but never jumps; CLOCK_MONOTONIC_RAW is not, but is slower to read on
 * some kernels: the vDSO serves MONOTONIC without a system call.)
 */
#ifndef SOCKBENCH_CLOCK_H
#define SOCKBENCH_CLOCK_H

#include <stdint.h>

uint64_t clock_now_ns(void);
uint64_t clock_now_ms(void);
double clock_now_s(void);

#endif

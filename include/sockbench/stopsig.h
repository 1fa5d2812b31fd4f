/* stopsig.h - SIGINT, SIGTERM and SIGHUP as a request to stop, for `load`,
 * `sweep` and `lesson`: the loops poll stopsig_caught() (every loop
 * notices within 100 ms), then the command writes its JSON with an error
 * naming the signal and exits 128 + the signal (130, 143, 129), as a shell
 * reports a process killed by it.  `serve` keeps its own handling: SIGTERM
 * is its normal stop. */
#ifndef SOCKBENCH_STOPSIG_H
#define SOCKBENCH_STOPSIG_H

#include <stdint.h>

/* Handlers for SIGINT, SIGTERM and SIGHUP (unless ignored: nohup), without SA_RESTART: a blocking
 * call returns EINTR, so no wait outlasts a stop. */
void stopsig_install(void);
/* --stop-on-eof (serve, load): a thread that reads fd until it ends, then
 * sends this process SIGTERM.  Over ssh the channel's end is that EOF: no
 * pty and no signal need to cross the wire, and a local side that dies
 * (its ssh with it) stops the remote side all the same.  Start it after
 * any fork that must be single-threaded (lib/pidns.c).  0 or -errno. */
int stopsig_on_eof(int fd);
/* 0, or the first stop signal that came. */
int stopsig_caught(void);
/* When it came (CLOCK_MONOTONIC ns; 0 when none). */
uint64_t stopsig_at_ns(void);
/* "SIGINT", "SIGTERM", "SIGHUP" (else "signal N" in a static buffer). */
const char *stopsig_name(int sig);

#endif

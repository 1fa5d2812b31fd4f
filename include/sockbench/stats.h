/* stats.h - server counters, shared by threads and forked processes.
 *
 * The block lives in a MAP_SHARED anonymous mapping made before any fork, so
 * the children of `fork` and `prefork` add into the same counters as the
 * parent.  Sessions count locally and add their totals once, when they close
 * (sess_close), so the hot path touches no shared cache line.
 */
#ifndef SOCKBENCH_STATS_H
#define SOCKBENCH_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define STATS_MAX_ERRNO	  160
#define STATS_MAX_WORKERS 1024

struct stats_worker {
	int64_t pid;
	uint64_t accepts;
	uint64_t empty_wakeups; /* woken for the listen socket, accept() said EAGAIN */
};

struct stats {
	uint64_t accepted;
	uint64_t closed;
	uint64_t rejected_max_conns;
	uint64_t rejected_fd_setsize;
	uint64_t idle_closed;
	uint64_t closed_on_accept; /* --on-accept close: accept() then close() */
	uint64_t reset_on_accept;  /* --on-accept reset: SO_LINGER {1, 0}, close(): RST */
	uint64_t peer_fin;	   /* recv() returned 0: the client closed its side */
	uint64_t peer_reset;	   /* recv()/send() said ECONNRESET or EPIPE */
	uint64_t requests;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t recv_calls;
	uint64_t send_calls;
	uint64_t short_sends;
	uint64_t bytes_dropped;
	uint64_t protocol_errors;
	int64_t cur_connections;
	int64_t peak_connections;
	uint64_t err[STATS_MAX_ERRNO]; /* by errno; the last slot holds "other" */
	int nworkers;
	struct stats_worker workers[STATS_MAX_WORKERS];
};

#define STATS_ADD(st, field, n) __atomic_fetch_add(&(st)->field, (n), __ATOMIC_RELAXED)

/* Allocate a zeroed shared block; NULL on failure (errno set). */
struct stats *stats_new(void);
/* The block in the file fd (a memfd of load's, --counters-fd), which is
 * sized to it: the process that made the file reads the counters live
 * (spawn_accepted).  NULL on failure (errno set). */
struct stats *stats_map(int fd);
void stats_free(struct stats *st);
void stats_error(struct stats *st, int errnum);
/* One more connection being served (accepted and not refused), unless
 * `max` are open already: false, nothing counted.  Keeps the peak.  One
 * atomic step, so prefork workers accepting at once cannot both pass.
 * `accepted` and `closed` count every socket accept() returned. */
bool stats_conn_try_open(struct stats *st, int64_t max);
void stats_conn_close(struct stats *st);

/* A "kB" line of /proc/self/status ("VmHWM", "VmRSS"); -1 if absent.
 * VmHWM is this process's peak RSS since its exec(); getrusage's
 * ru_maxrss is not: it keeps the peak of the program that exec'd us (a
 * 16 MiB Python test driver would show through). */
long proc_status_kib(const char *field);

#endif

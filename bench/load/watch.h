/* watch.h - the controller while the load runs (watch.c). */
#ifndef SOCKBENCH_WATCH_H
#define SOCKBENCH_WATCH_H

#include <stdbool.h>
#include <stdio.h>

#include "engine.h"
#include "report.h"
#include "sockbench/kstat.h"
#include "sockbench/spawn.h"

struct watch {
	struct run *r;
	struct engine *e;
	struct spawn *sp; /* the server load started, or NULL */
	FILE *jl;	  /* --jsonl, or NULL */
	FILE *out;	  /* the human lines */
	bool tty;	  /* per-interval lines and the status line */
	int port, nl;	  /* the listener watched through sock_diag (nl -1: none) */
	int q, lim;	  /* the last accept queue sample (-1: none) */
	int lo_idx;	  /* ListenOverflows in struct kstat (-1: unknown) */
	bool have_lo;
	uint64_t lo_base, lo_prev; /* at the measure's start, at the last interval's end */
	int next_sample, next_iv;
	bool header; /* the per-interval lines' header is out */
};

/* Where the human lines go: stdout, unless the JSON or a stream goes
 * there (--json -, --jsonl -, --live-fd 1). */
FILE *load_human(const struct load_config *c);
/* Sample, emit intervals and ticks until the run is over (the engine
 * done, its --duration past, a signal, the server gone). */
void watch_run(struct watch *w, struct run *r, struct engine *e, bool started, struct spawn *sp,
	       FILE *jl);
/* After engine_stop: the intervals the live loop had not reached (from
 * the merged stats), sampled now; the listener's socket closed. */
void watch_finish(struct watch *w);

#endif

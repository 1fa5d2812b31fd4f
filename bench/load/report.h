/* report.h - a load run's result: the JSON of SPEC section 6, the human
 * summary and the `explain` sentences, all from one struct. */
#ifndef SOCKBENCH_REPORT_H
#define SOCKBENCH_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "engine.h"
#include "sockbench/jsonio.h"
#include "sockbench/kstat.h"
#include "sockbench/livefd.h"
#include "sockbench/load.h"
#include "sockbench/remote.h"
#include "sockbench/serve.h"

/* What the controller saw at an interval's end (watch.c): the kernel's
 * ListenOverflows since the last interval, the accept queue, the server's
 * accepted count; each -1 when it could not be seen. */
struct ivx {
	bool sampled;
	int64_t listen_overflows;
	int aq_len, aq_limit;
	int64_t server_accepted;
};

struct run {
	const struct load_config *cfg;
	const struct serve_config *scfg; /* --serve: the server's effective options */
	char target[160];
	char started_at[32];
	uint64_t started_at_ms; /* wall clock when the load began (after --start-at) */
	double duration_s;	/* measured, warm-up excluded */
	struct lstats ls;
	bool ran;
	struct kstat k0, k1;
	bool have_k;
	json_t *server; /* the server's stats (NULL unless we started it) */
	json_t *env;
	struct remote *remote; /* --server-host: the server's host (NULL: this one) */
	json_t *server_env;    /* --server-host: its environment, from probe's hello */
	json_t *remote_sysctl; /* --remote-sysctl: what was set and put back */
	int64_t (*aq)[2];      /* accept queue samples: [t_ms, length] */
	int naq, aq_cap;
	int aq_max, aq_limit;
	bool have_aq;
	json_t *warnings, *explain;
	bool generator_bound;
	char error[512];
	int jsonl_errno; /* --jsonl could not be opened or lost lines */
	/* the run's end (ending.c): how the client left, the TCP states
	 * then, --restart; NULL until then (JSON null) */
	json_t *leave, *tcp_states, *restart;
	struct ivx *ivx; /* per interval, as the controller sampled them */
	int nivx;
	struct livefd live; /* --live-fd (docs/live.md) */
	/* --live: the view reading that stream (NULL: none), and without a
	 * terminal the per-interval lines in its place */
	struct live *view;
	bool lines_always;
	int stop_sig;	    /* SIGINT/SIGTERM that stopped the run (0: none) */
	double stop_took_s; /* from that signal to the JSON */
};

void run_init(struct run *r, const struct load_config *cfg);
void run_free(struct run *r);
void run_warn(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void run_aq_sample(struct run *r, int64_t t_ms, int len, int limit);
/* o's "kernel" {delta, host} and "accept_queue" {max_seen, limit,
 * samples, host} or null: the run JSON's, and --generators with
 * --server-host's merged run (load.c). */
void run_kernel_json(json_t *o, const struct run *r);
/* One explain sentence (printf format). */
void run_explainf(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* explain.c: derive the explain sentences from the numbers (call once,
 * after the run); true when the run's unit of work never succeeded once
 * (no connection in connect mode, no byte acknowledged in stream, no
 * request in the others): `load` then exits 1 with `why` on stderr. */
bool run_explain(struct run *r, char *why, size_t len);
json_t *run_json(const struct run *r);
/* load.intervals[i] (v: the interval's counts, NULL for none): the same
 * object in the run JSON, the --jsonl lines and the live stream. */
json_t *run_interval_json(const struct run *r, int i, const struct ival *v);
/* The controller's sample for interval i (made on first use; NULL when
 * out of memory). */
struct ivx *run_ivx(struct run *r, int i);
/* The bytes the run moved: stream over TCP, what the peer acknowledged;
 * else what was sent and received. */
uint64_t run_bytes(const struct run *r);
void run_summary(const struct run *r, FILE *f);

#endif

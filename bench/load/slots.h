/* slots.h - a load run per client slot (one of --conns; a slot keeps its
 * place across reconnects): served, starved, fairness, and the sentences
 * that say so.  Used by report.c and merge.c; the engine's side is in
 * engine_int.h. */
#ifndef SOCKBENCH_SLOTS_H
#define SOCKBENCH_SLOTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "sockbench/load.h"

/* The modes whose unit is a request on a client's connection. */
bool slots_apply(enum load_mode m);

/* Requests per slot over n slots: min, p50 (nearest rank: the
 * ceil(n/2)-th smallest), max, and Jain's fairness index
 * (sum x)^2 / (n * sum x^2): 1 when every slot got the same, 1/n when one
 * got everything; NAN when every slot got 0 (no service to share).
 * Pure; -1 when n < 1 or out of memory. */
struct fairness {
	uint64_t min, p50, max;
	double jain;
};
int fairness_compute(const uint64_t *x, int n, struct fairness *f);
/* Jain's index from the sums (n slots, sum x, sum x^2): NAN when sum2 is 0. */
double fairness_jain(double n, double sum, double sum2);

/* load.fairness: {"requests_per_conn": {"min", "p50", "max"}, "jain": J or
 * null, "slots": n}, or null when the mode has no slots or the list was
 * lost.  "slots" (--conns; summed by merge) lets merge recompute J. */
json_t *slots_fairness_json(const struct lstats *s, enum load_mode m);

/* load.requests.latency_us: lstats_req_felt (closed: a closed loop) in
 * hist_latency_json's shape, plus "censored" (requests that timed out or
 * were still waiting at the end) and "omitted" (the requests waiting
 * clients did not send, recorded for them). */
json_t *slots_latency_json(const struct lstats *s, bool closed);

/* The summary line ("  served 1 of 10 connections, 9 starved; ...") and
 * the explain sentences (appended to the JSON array `explain`); nothing
 * when the mode has no slots. */
void slots_summary(const struct lstats *s, const struct load_config *cfg, FILE *f);
void slots_explain(const struct lstats *s, const struct load_config *cfg, double duration_s,
		   json_t *explain);

#endif

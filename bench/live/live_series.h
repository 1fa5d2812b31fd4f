/* live_series.h - a finished run's JSON as the live stream's records, for
 * `sockbench replay` (live_series.c; docs/live.md says what a replay can
 * and cannot show). */
#ifndef SOCKBENCH_LIVE_SERIES_H
#define SOCKBENCH_LIVE_SERIES_H

#include <stddef.h>

#include <jansson.h>

struct live_series {
	const json_t *run;	 /* borrowed: the whole run JSON */
	const json_t *intervals; /* load.intervals (an array) */
	const json_t *samples;	 /* accept_queue.samples, or NULL */
	long long aq_limit;	 /* accept_queue.limit, -1 when none */
	const char *mode;
	long long conns;
	double duration_s;
	size_t n_iv;
};

/* 0, or -1 with err naming what is missing (not a sockbench run). */
int live_series_open(struct live_series *s, const json_t *run, char *err, size_t errlen);
json_t *live_series_start(const struct live_series *s);
/* The tick at t (seconds into the run); final: the end's totals too
 * (ListenOverflows, the server's accepted count, from a schema-1 run
 * that had them only as totals). */
json_t *live_series_tick(const struct live_series *s, double t, int final);
/* Interval k of load.intervals as a stream record; its t_s in *t. */
json_t *live_series_interval(const struct live_series *s, size_t k, double *t);
json_t *live_series_end(const struct live_series *s);
/* One human line for interval record iv, as load prints them. */
void live_series_line(const json_t *iv, const char *mode, char *buf, size_t size);

#endif

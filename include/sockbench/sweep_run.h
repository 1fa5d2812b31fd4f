/* sweep_run.h - a sweep in progress, shared by its runner (sweep.c) and
 * its reports (sweep_report.c). */
#ifndef SOCKBENCH_SWEEP_RUN_H
#define SOCKBENCH_SWEEP_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sockbench/sweep_spec.h"

struct sweep {
	struct sweep_spec sp;
	char self[512];
	char dir[600];
	uint64_t ncells;
	int nruns, done, failed, skipped;
	char unwritable[800]; /* the results directory refused a write: why */
	double overhead_sum, overhead_max;
	int overhead_n;
	bool userns;
	double t0;
};

/* {"backlog": "8", ...}: the cell's value of every axis. */
json_t *sweep_values_json(const struct sweep *w, const int *idx);
/* "0003-backlog-8-r2.json" */
void sweep_run_name(const struct sweep *w, uint64_t cell, const int *idx, int rep, char *out,
		    size_t len);
/* summary.json: per cell, median/min/max/95% CI over its repeats. */
int sweep_write_summary(struct sweep *w, char *err, size_t errlen);
/* sweep.json: settings, environment, run list, overhead. */
int sweep_write_sweep_json(struct sweep *w, int argc, char **argv, bool finished, char *err,
			   size_t errlen);
/* One progress line (a bar on a terminal). */
void sweep_progress(struct sweep *w, int i, const char *cell, const char *last, bool tty);
double sweep_now_s(void);

#endif

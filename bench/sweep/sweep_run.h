/* sweep_run.h - a sweep in progress, shared by its runner (sweep.c) and
 * its reports (sweep_report.c). */
#ifndef SOCKBENCH_SWEEP_RUN_H
#define SOCKBENCH_SWEEP_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sockbench/livefd.h"
#include "sweep_spec.h"

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
	int lockfd;	   /* flock on the results directory while the sweep runs */
	char sweep_id[17]; /* json_digest of the spec's identity */
	double t0;
	struct livefd live; /* --live-fd (sweep_live.c) */
	struct live *view;  /* --live: the view reading that stream, or NULL */
	json_t *live_cost;  /* what the view cost (sweep.json "live"), or NULL */
	bool live_warned;
};

/* sweep_live.c: the live stream of a sweep (docs/live.md).  Init: the
 * descriptor made ready (close-on-exec; 0-2 moved up, as a run's child
 * has its own stdio); run and run_end: the lines around a run; child: in
 * the run's child, the descriptor kept across exec and `--live-fd N`
 * added to load's argv (which has room: sweep_cell_argv). */
void sweep_live_init(struct sweep *w);
void sweep_live_run(struct sweep *w, const int *idx);
void sweep_live_run_end(struct sweep *w, json_t *run);
void sweep_live_child(const struct sweep *w, char **argv);
/* --live: the view ends (the terminal restored) before the last words. */
void sweep_live_stop(struct sweep *w);

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

/* sweep_dir.c: the results directory made ready: a non-empty one only
 * with --resume, and then only for the same sweep (its sweep.json's
 * identity); locked against a second sweep.  0, or the exit status after
 * err says why (2: the command line asks for it; 1: it cannot be done). */
int sweep_dir_open(struct sweep *w, char *err, size_t errlen);
/* --resume: a run whose file exists and says it succeeded (error null). */
bool sweep_run_done(const char *path);

/* sweep_cell.c: a cell's value of an axis (by name or alias), or NULL. */
const char *sweep_cell_value(const struct sweep *w, const int *idx, const char *knob);
/* argv for `sockbench load` of this cell (NULL-terminated, strings owned
 * by *buf which the caller frees); NULL if it does not fit. */
char **sweep_cell_argv(const struct sweep *w, const int *idx, const char *json, char **buf);
/* {backlog} of the cell's --server-cmd: its backlog, or serve's default;
 * `max` is what listen(fd, -1) gets, the run namespace's somaxconn. */
int sweep_cell_backlog(const struct sweep *w, const int *idx);
/* Write the cell's sysctl axes under /proc/sys (in the run's namespace). */
int sweep_set_sysctls(const struct sweep *w, const int *idx, char *err, size_t errlen);
/* Every cell's options, parsed as load and serve will parse them. */
int sweep_validate_cells(struct sweep *w, char *err, size_t errlen);
/* The sysctl axes' values, tried in a throw-away namespace. */
int sweep_probe_sysctls(struct sweep *w, char *err, size_t errlen);

#endif

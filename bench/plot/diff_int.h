/* diff_int.h - what `sockbench diff` shares between reading the two
 * result sets (diff_read.c), comparing them (diff.c) and printing the
 * table (diff_table.c). */
#ifndef SOCKBENCH_DIFF_INT_H
#define SOCKBENCH_DIFF_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A verdict needs this many runs a side: with 3 + 3 the smallest exact
 * two-sided p is 2/20 = 0.1, so no difference could ever reach p < 0.05;
 * 4 + 4 can (2/70 = 0.029), but only when every B run lies beyond every A
 * run: one odd run and it is gone.  5 + 5 reaches 2/252 = 0.008 and still
 * 0.032 with one run out of place (docs/results.md). */
#define DIFF_MIN_REPEATS 5

/* The headline figures: the sweep's (sweep_report.c's summary, the live
 * view's headline) that fit a run's --mode. */
enum { DIFF_M_REQ = 1, DIFF_M_STREAM = 2, DIFF_M_CONNECT = 4 };
#define DIFF_NFIGS 5
struct dfig {
	const char *name, *label, *path, *unit;
	double scale;
	bool lower_better;
	unsigned modes; /* the --mode values whose runs have it */
};
/* diff_read.c: req/s and p99 of requests (rr, crr, echo, http), MB/s
 * (stream), connections established and their p99 (connect). */
extern const struct dfig diff_figs[DIFF_NFIGS];

/* One cell of a set: the figures of its runs that finished, matched to
 * the other set's by key (its values of the varying axes).  Only the
 * figures are kept, not the runs (a run's histograms weigh ~30 kB). */
struct dcell {
	char key[256];	/* "backlog=8 conns=10"; "(one cell)" when nothing varies */
	json_t *values; /* {"backlog": "8", ...} of the varying axes */
	json_t *first;	/* {"config", "environment"} of its first finished run, or NULL */
	double *x;	/* x[i * DIFF_NFIGS + f]: figure f of finished run i (NaN: none) */
	int n, cap;	/* finished runs ("error": null) */
	int failed;	/* runs that recorded an error */
};

/* One result set: a sweep's results directory. */
struct dset {
	const char *dir;
	json_t *sweep;	 /* DIR/sweep.json */
	json_t *axes;	 /* the names of the axes with more than one value, sorted */
	json_t *fixed;	 /* {axis: [value]} of the axes with one value */
	struct dcell *c; /* in the order of the runs' file names (cell index) */
	int ncells, cap;
	int runs, failed; /* files read: finished, failed */
	json_t *notes;	  /* files left out and why, one line each */
};

/* diff_read.c: read DIR's sweep.json and runs/NAME.json into s.  0, or -1
 * with err naming the file and what is wrong with it (the directory
 * missing, not a sweep's, malformed, no runs). */
int diff_set_read(struct dset *s, const char *dir, char *err, size_t errlen);
void diff_set_free(struct dset *s);
/* The cell of s whose key is key, or NULL. */
const struct dcell *diff_cell_find(const struct dset *s, const char *key);
/* -1 with err when the two sets vary other axes ("conns varies in A
 * (DIR) only"): their cells cannot be matched. */
int diff_axes_check(const struct dset *a, const struct dset *b, char *err, size_t errlen);
/* The settings held fixed that differ between the sets ([{"setting",
 * "a", "b"}]: the runs were not made alike) and the environment that
 * differs ([{"what", "a", "b"}]: kernel, cpus, sysctls, the runs'
 * network namespace), each compared on a run of the first cell both
 * sets have. */
void diff_compare_settings(const struct dset *a, const struct dset *b, json_t *settings,
			   json_t *env);

/* diff_table.c: the report (diff.c's JSON) as benchstat-like tables. */
void diff_print_table(FILE *f, json_t *report);

#endif

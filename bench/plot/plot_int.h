/* plot_int.h - what plot.c (the figures) and plot_io.c (reading a sweep,
 * running gnuplot, index.html) share. */
#ifndef SOCKBENCH_PLOT_INT_H
#define SOCKBENCH_PLOT_INT_H

#include <jansson.h>

#include "sockbench/jsonio.h"
#include <stdbool.h>
#include <stddef.h>

#define MAX_SERIES 64

struct prun {
	json_t *j;	/* the run JSON */
	json_t *values; /* sweep.values */
	int cell, repeat;
};

struct plot {
	const char *dir;
	char pdir[700], ddir[700];
	struct prun *r;
	int n;
	json_t *varying; /* axis names (underscored) with more than one value */
	json_t *figs;	 /* [{name, caption}] for index.html */
	const char *only;
	int failed;
	char term[16];
	int linear; /* net.ipv4.tcp_syn_linear_timeouts of the runs (0: absent) */
};

const char *plot_val(const struct prun *r, const char *axis);
bool plot_varies(const struct plot *p, const char *axis);
bool plot_has_axis(const struct plot *p, const char *axis);
/* Read the run files of DIR/runs (failed runs counted, not plotted), by cell. */
int plot_load_runs(struct plot *p, char *err, size_t errlen);
/* Series name of a run: its varying axes other than x ("backlog=8"). */
void plot_series_of(const struct plot *p, const struct prun *r, const char *x, char *out,
		    size_t len);
/* Run scripts/plots/<script>.gp for one figure; on success list it. */
int plot_gnuplot(struct plot *p, const char *script, const char *name, const char *title,
		 const char *files, const char *titles, const char *caption);
int plot_write_index(struct plot *p, char *err, size_t errlen);
bool plot_have_gnuplot(char *term, size_t len);

#endif

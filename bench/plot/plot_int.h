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
	const char *label; /* its directory's label when plot takes several, else NULL */
	int dir;	   /* which of them */
};

struct plot {
	const char *dir; /* the results directory (the first of several) */
	/* plot DIR1 DIR2 ...: the directories and their labels (ndirs 0: dir
	 * alone, its series unlabelled) */
	const char *const *dirs, *const *labels;
	int ndirs;
	char pdir[700], ddir[700];
	/* dir made absolute (cwd + "/" + dir): every path gnuplot reads or
	 * writes starts with '/', never with '<' (gnuplot's "read from a
	 * command") or '|' (its "write to a command"); ascripts: the scripts'
	 * directory (scripts/plots), made absolute the same way */
	char adir[4096], ascripts[4096];
	char apdir[4096]; /* pdir made absolute the same way */
	struct prun *r;
	int n;
	json_t *varying;  /* axis names (underscored) with more than one value */
	json_t *dvarying; /* of several directories: [d] the axes that vary within d */
	json_t *figs;	  /* [{name, caption}] for index.html */
	const char *only;
	int failed;
	json_t *warnings; /* what was left out or went wrong, one line each */
	int gp_failed;	  /* figures gnuplot could not draw */
	char term[16];
	int linear;   /* net.ipv4.tcp_syn_linear_timeouts of the runs (0: absent) */
	bool animate; /* --animate: the GIF too (plot_anim.c) */
	/* more lines for the next figure's params file: assignments of
	 * numbers only, written by the code (never a value read from a run) */
	char gp_extra[256];
};

/* plot.c: the figures of dirs[0] alone (ndirs 0, as `plot DIR`) or of
 * ndirs directories, runs labelled; out: where they go (NULL:
 * DIR/plots).  0, or 1 (message printed). */
int plot_dirs(const char *const *dirs, const char *const *labels, int ndirs, const char *out,
	      const char *only, bool animate);
const char *plot_val(const struct prun *r, const char *axis);
/* One line for p->warnings (plot_run prints them): a skipped file, a cut. */
void plot_warn(struct plot *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool plot_varies(const struct plot *p, const char *axis);
bool plot_has_axis(const struct plot *p, const char *axis);
/* p->adir, p->apdir (set p->pdir first) and p->ascripts from the current directory; -1 (err) if
 * it is gone or a path too long. */
int plot_absdir(struct plot *p, char *err, size_t errlen);
/* Read the run files of DIR/runs (failed runs counted, not plotted), by
 * cell; of each of p->dirs when there are several (each checked against
 * its own sweep_id, cells numbered apart, runs labelled), with one warning
 * naming the axes whose values differ between them. */
int plot_load_runs(struct plot *p, char *err, size_t errlen);
/* Series name of a run: its varying axes other than x ("backlog=8"),
 * as written but for control characters ('_'). */
void plot_series_of(const struct plot *p, const struct prun *r, const char *x, char *out,
		    size_t len);
/* Run scripts/plots/<script>.gp for one figure of n series, series k
 * drawn from DDIR/<name>-k.dat with the title titles[k]; on success list
 * it.  Its parameters go to DDIR/<name>-params.gp (gnuplot assignments,
 * every string single-quoted), which gnuplot reads:
 *     gnuplot -c SCRIPTS/plots/<script>.gp ADIR/plots/data/<name>-params.gp */
int plot_gnuplot(struct plot *p, const char *script, const char *name, const char *title,
		 char titles[][128], int n, const char *caption);
int plot_write_index(struct plot *p, char *err, size_t errlen);
bool plot_have_gnuplot(char *term, size_t len);
/* plot_gp.c: run argv (argv[0] found on PATH) with no shell, stdin
 * /dev/null; the last len - 1 bytes of its stdout and stderr in msg.  Its
 * wait status, or -errno when it could not be started. */
int plot_gp_run(const char *const argv[], char *msg, size_t len);

/* A figure's y (or extra column) from one run. */
typedef double (*yfn)(json_t *run);

/* plot_fair.c: clients per slot (load.connections.served, .starved,
 * load.fairness.jain).  A run's starved clients (0 for a run without the
 * key), its clients served as a % of --conns, its Jain index; "series: S
 * of C at X V" for every cell where clients starved, for a caption;
 * whether any run counted slots; the fairness figure's caption
 * ("blocking: 1 of 100 (Jain 0.01)" for each series at its largest
 * conns). */
double plot_y_starved(json_t *run);
double plot_y_served_pct(json_t *run);
double plot_y_jain(json_t *run);
void plot_starved_note(const struct plot *p, const char *x, char *out, size_t len);
bool plot_fair_any(const struct plot *p);
void plot_fair_caption(const struct plot *p, char *out, size_t len);

/* plot_cases.c: figures of categories (a lesson's cases, one directory
 * each; a sweep of word axes): `outcomes` (what a client's tries ended in)
 * when every directory is one cell; want says which figures are asked. */
void plot_cases_figures(struct plot *p, bool (*want)(const struct plot *, const char *));
/* Several directories of one cell each (a lesson's cases): their axes
 * differ by case, so only the figures of categories fit. */
bool plot_cases_only(const struct plot *p);
/* plot_io.c: a run's number at path ("load.errors.eof"), 0 where the run
 * has none (a key absent, or null). */
double plot_num0(json_t *run, const char *path);
/* plot_io.c: an axis value as a number ("4M" and "4194304" alike). */
double plot_xnum(const char *v);
/* plot_send.c: the send figure (replies lost vs connections that waited). */
void plot_fig_send(struct plot *p);
/* plot_anim.c: --animate, DIR/plots/accept_queue_anim.gif (the accept
 * queue and the connect CDF growing over each connect-mode run), or one
 * warning that there is nothing to animate. */
void plot_anim(struct plot *p);
/* plot_herd.c: the thundering-herd figure (empty wake-ups per accept,
 * accepts per worker). */
void plot_fig_herd(struct plot *p);
/* plot_recv.c: the recv-size caption (MB/s at the smallest and largest
 * size, where the size stops mattering), per series. */
void plot_recv_caption(const struct plot *p, char *out, size_t len);

#endif

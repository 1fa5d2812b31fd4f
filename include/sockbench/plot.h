/* plot.h - `sockbench plot DIR` and `sockbench lesson NAME`. */
#ifndef SOCKBENCH_PLOT_H
#define SOCKBENCH_PLOT_H

#include <stdio.h>

struct optab;

int plot_main(int argc, char **argv);
void plot_usage(FILE *f);
/* Every figure plot draws, by the name --figure takes (NULL-terminated). */
extern const char *const plot_figures[];
/* Plot a sweep's results directory: 0, or 1 (message printed). */
int plot_run(const char *dir, const char *only);
int lesson_main(int argc, char **argv);
/* `sockbench diff DIR_A DIR_B`: two result sets compared (bench/plot/diff.c). */
int diff_main(int argc, char **argv);
void diff_usage(FILE *f);
extern const struct optab diff_optab;
void lesson_usage(FILE *f);

/* The longest results directory name plot and lesson take: the paths of
 * its files (DIR/plots/data/NAME-N.dat, DIR/runs/...) must fit their
 * buffers; sweep's --out has the same bound (SWEEP_OUT_MAX). */
#define SB_DIR_MAX 400

#endif

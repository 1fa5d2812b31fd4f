/* plot.h - `sockbench plot DIR` and `sockbench lesson NAME`. */
#ifndef SOCKBENCH_PLOT_H
#define SOCKBENCH_PLOT_H

int plot_main(int argc, char **argv);
/* Plot a sweep's results directory: 0, or 1 (message printed). */
int plot_run(const char *dir, const char *only);
int lesson_main(int argc, char **argv);

/* The longest results directory name plot and lesson take: the paths of
 * its files (DIR/plots/data/NAME-N.dat, DIR/runs/...) must fit their
 * buffers; sweep's --out has the same bound (SWEEP_OUT_MAX). */
#define SB_DIR_MAX 400

#endif

/* sweep.h - `sockbench sweep`: the cartesian product of settings, one
 * isolated run per cell and repeat, results that survive any failure. */
#ifndef SOCKBENCH_SWEEP_H
#define SOCKBENCH_SWEEP_H

#include <stddef.h>
#include <stdio.h>

int sweep_main(int argc, char **argv);
/* sweep --help: the axes from the option tables, then its own options. */
void sweep_usage(FILE *f);
/* The default results directory, results/<date>-<time>-<suffix>, with
 * results/ made in the working directory; -1 with err when it cannot be. */
int sweep_results_dir(const char *suffix, char *dir, size_t len, char *err, size_t errlen);

#endif

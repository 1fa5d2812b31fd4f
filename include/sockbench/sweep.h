/* sweep.h - `sockbench sweep`: the cartesian product of settings, one
 * isolated run per cell and repeat, results that survive any failure. */
#ifndef SOCKBENCH_SWEEP_H
#define SOCKBENCH_SWEEP_H

int sweep_main(int argc, char **argv);

#endif

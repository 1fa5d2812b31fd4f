/* diffstat.h - the statistics of `sockbench diff`: is B's sample of a
 * figure different from A's, and by how much?
 *
 * - The median of each side: a benchmark's repeats are skewed (a run that
 *   shared the CPU is slow, never fast), and one such run moves the mean
 *   but not the median.
 * - The Mann-Whitney U test (two-sided): does one side tend to lie above
 *   the other?  It uses only the runs' order, so it needs no normal
 *   distribution and is not fooled by one wild run.  Exact for small
 *   samples: the p-value is counted over every way the pooled values
 *   could have been split into the two sides (the permutation
 *   distribution of the rank sum); ties take their mid-rank and stay tied
 *   in every split, which is the exact conditional test with ties.  Past
 *   DIFFSTAT_EXACT_MAX pooled values: the normal approximation with the tie
 *   correction of the variance and a continuity correction of 0.5.
 * - A 95% interval for median(B)/median(A) by the percentile bootstrap:
 *   each side resampled with replacement, the ratio of the medians taken,
 *   again and again; the 2.5% and 97.5% points of those ratios.  It makes
 *   no assumption about the figure's distribution either, and its seed is
 *   fixed, so the same runs give the same interval.
 *
 * Pure code: no I/O; functions that allocate return -ENOMEM.
 */
#ifndef SOCKBENCH_DIFFSTAT_H
#define SOCKBENCH_DIFFSTAT_H

#include <stdbool.h>
#include <stdint.h>

/* The exact distribution is counted for up to this many pooled values:
 * the number of splits, C(50, 25) = 1.26e14, is still exact in a double
 * (below 2^53), and the count takes about a million steps. */
#define DIFFSTAT_EXACT_MAX 50

enum diffstat_method {
	DIFFSTAT_AUTO,	 /* exact up to DIFFSTAT_EXACT_MAX pooled values */
	DIFFSTAT_EXACT,	 /* exact (refused, -E2BIG, past DIFFSTAT_EXACT_MAX) */
	DIFFSTAT_NORMAL, /* the normal approximation at any size */
};

struct diffstat_mw {
	/* U of B: the pairs (a, b) with b > a, plus half the pairs b == a;
	 * na * nb / 2 when neither side tends to lie above the other */
	double u;
	double p;   /* two-sided */
	bool exact; /* p counted exactly, else the normal approximation */
};

/* The median of x (the mean of the middle two for even n); NaN for n < 1
 * (or without memory for the copy it sorts). */
double diffstat_median(const double *x, int n);

/* Mann-Whitney U of b against a, two-sided p.  0; -EINVAL for an empty
 * side; -ENOMEM; -E2BIG (DIFFSTAT_EXACT past its size).  Every side all
 * one value (all ties): p = 1. */
int diffstat_mw(const double *a, int na, const double *b, int nb, enum diffstat_method how,
		struct diffstat_mw *out);

/* The percentile bootstrap interval, at `level` (0.95), of
 * median(B)/median(A) over `resamples` resamples drawn with a splitmix64
 * generator started at `seed`.  0 (lo, hi set); -EINVAL for an empty side
 * or a resample whose median(A) is not above 0 (the ratio is then not
 * defined: lo, hi NaN); -ENOMEM. */
int diffstat_boot_ratio(const double *a, int na, const double *b, int nb, int resamples,
			uint64_t seed, double level, double *lo, double *hi);

/* splitmix64 (Steele, Lea, Flood 2014; Vigna's public-domain C): the next
 * of a sequence of 64-bit numbers started at any seed.  Small, fast and
 * the same on every libc, unlike rand(). */
uint64_t diffstat_splitmix64(uint64_t *state);

#endif

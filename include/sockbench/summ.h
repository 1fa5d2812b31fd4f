/* summ.h - statistics of one figure over a sweep cell's repeats.
 *
 * A sweep runs each cell a few times (--repeat 3); summary.json gives, per
 * headline figure, the median (robust to one odd run), the spread (min, max)
 * and a 95% confidence interval for the mean. With a handful of repeats the
 * normal distribution's 1.96 would make that interval far too narrow: with
 * the standard deviation itself estimated from n runs, the mean follows
 * Student's t with n-1 degrees of freedom, whose 97.5% point is 4.303 for
 * n = 3 and only falls to 1.96 as n grows without bound.
 *
 * Pure code: no I/O, no allocation beyond one copy of the data.
 */
#ifndef SOCKBENCH_SUMM_H
#define SOCKBENCH_SUMM_H

#include <stdbool.h>

#include <jansson.h>

struct summ {
	int n; /* values used: NaNs (runs that gave no figure) are left out */
	double median, min, max, mean;
	double sd;	     /* sample standard deviation (divides by n-1); NaN when n < 2 */
	double ci_lo, ci_hi; /* mean -/+ t95(n-1) * sd / sqrt(n), when have_ci */
	bool have_ci;	     /* n >= 2 */
};

/* Median (mean of the middle two for even n), min, max, mean, sample sd and
 * the 95% confidence interval of the mean by Student's t (two-sided,
 * df = n-1; have_ci false when n < 2). NaNs in x are ignored (n counts the
 * rest). With no values left, n is 0 and every figure is NaN. */
void summ_compute(const double *x, int n, struct summ *out);
/* The two-sided 95% point (97.5% quantile) of Student's t with df degrees of
 * freedom: the printed table for df 1..30 (12.706, 4.303, ..., 2.042), then
 * 40: 2.021, 60: 2.000, 120: 1.980, infinity: 1.960, linear in 1/df between
 * (within 0.001 of the exact quantile). NaN for df < 1. */
double summ_t95(int df);
/* {"n": 3, "median": m, "min": a, "max": b, "mean": u, "ci95": [lo, hi] or
 * null}; every figure null when n == 0 (and any that is not finite). NULL
 * only when out of memory. */
json_t *summ_json(const struct summ *s);

#endif

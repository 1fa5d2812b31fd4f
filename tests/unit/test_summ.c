/* test_summ.c - statistics over repeats against answers worked out by hand.
 *
 * Expected values come from Python's statistics module (median, mean,
 * stdev: the n-1 sample deviation), e.g.
 *   python3 -c 'import statistics as s; d=[1,2,3,4]; print(s.median(d), s.mean(d), s.stdev(d))'
 * and the t quantiles from integrating Student's density numerically (they
 * agree with R's qt(0.975, df) to six places). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sockbench/summ.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void near(const char *what, double want, double got, double tol)
{
	if (!(fabs(want - got) <= tol))
		fail_msg("%s: expected %.12g, got %.12g (tolerance %g)", what, want, got, tol);
}

/* median, mean, sd exact to rounding; CI from the table's t */
static void check(const double *x, int n, int want_n, double median, double min, double max,
		  double mean, double sd, double t)
{
	struct summ s;
	summ_compute(x, n, &s);
	assert_int_equal(s.n, want_n);
	near("median", median, s.median, 1e-9);
	near("min", min, s.min, 0);
	near("max", max, s.max, 0);
	near("mean", mean, s.mean, 1e-9);
	near("sd", sd, s.sd, 1e-9);
	assert_true(s.have_ci);
	double half = t * sd / sqrt(want_n);
	near("ci_lo", mean - half, s.ci_lo, 1e-9);
	near("ci_hi", mean + half, s.ci_hi, 1e-9);
}

static void test_known_sets(void **state)
{
	(void)state;
	/* the textbook case: sd 2 exactly, t(2) = 4.303: 12 +- 4.969 */
	const double a[] = {10, 12, 14};
	check(a, N(a), 3, 12, 10, 14, 12, 2.0, 4.303);
	struct summ s;
	summ_compute(a, N(a), &s);
	near("ci_lo by hand", 12 - 4.303 * 2 / sqrt(3), s.ci_lo, 1e-12);
	near("ci_lo 3 places", 7.031, s.ci_lo, 0.0005);
	near("ci_hi 3 places", 16.969, s.ci_hi, 0.0005);

	/* even n: median is the mean of the middle two */
	const double b[] = {4, 1, 3, 2};
	check(b, N(b), 4, 2.5, 1, 4, 2.5, 1.2909944487358056, 3.182);
	const double c[] = {5, 1, 4, 2, 3, 9};
	check(c, N(c), 6, 3.5, 1, 9, 4, 2.8284271247461903, 2.571);
	/* large values, small spread: the two-pass sd keeps its digits */
	const double d[] = {100000.1, 100000.3, 100000.2, 100000.6, 100000.4};
	check(d, N(d), 5, 100000.3, 100000.1, 100000.6, 100000.32, 0.1923538406169404, 2.776);
	/* all equal: sd 0, a zero-width interval */
	const double e[] = {7, 7, 7, 7};
	check(e, N(e), 4, 7, 7, 7, 7, 0, 3.182);
	/* negatives and unsorted input */
	const double f[] = {-1, -5, 3};
	check(f, N(f), 3, -1, -5, 3, -1, 4.0, 4.303);
}

static void test_one_and_none(void **state)
{
	(void)state;
	struct summ s;
	const double one[] = {42.5};
	summ_compute(one, 1, &s);
	assert_int_equal(s.n, 1);
	near("median", 42.5, s.median, 0);
	near("min", 42.5, s.min, 0);
	near("max", 42.5, s.max, 0);
	near("mean", 42.5, s.mean, 0);
	assert_false(s.have_ci);
	assert_true(isnan(s.sd));

	summ_compute(NULL, 0, &s);
	assert_int_equal(s.n, 0);
	assert_false(s.have_ci);
	assert_true(isnan(s.median) && isnan(s.mean) && isnan(s.min) && isnan(s.max));

	const double nans[] = {NAN, NAN};
	summ_compute(nans, 2, &s);
	assert_int_equal(s.n, 0);
	assert_false(s.have_ci);
}

static void test_nan_ignored(void **state)
{
	(void)state;
	/* the same as {10, 12, 14}: NaN is a run with no figure */
	const double a[] = {NAN, 14, 10, NAN, 12, NAN};
	check(a, N(a), 3, 12, 10, 14, 12, 2.0, 4.303);
	/* one left: no interval */
	const double b[] = {NAN, 3};
	struct summ s;
	summ_compute(b, 2, &s);
	assert_int_equal(s.n, 1);
	near("median", 3, s.median, 0);
	assert_false(s.have_ci);
	/* a NaN first must not become min or max */
	const double c[] = {NAN, 2, 1};
	summ_compute(c, 3, &s);
	near("min", 1, s.min, 0);
	near("max", 2, s.max, 0);
	near("median", 1.5, s.median, 0);
}

static void test_t95(void **state)
{
	(void)state;
	static const double table[30] = {
	    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	    2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	    2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
	};
	char what[32];
	for (int df = 1; df <= 30; df++) {
		snprintf(what, sizeof what, "t95(%d)", df);
		near(what, table[df - 1], summ_t95(df), 0);
	}
	/* the table's own rows above 30 */
	near("t95(40)", 2.021, summ_t95(40), 1e-12);
	near("t95(60)", 2.000, summ_t95(60), 1e-12);
	near("t95(120)", 1.980, summ_t95(120), 1e-12);
	/* interpolated in 1/df: by hand, 1/50 is 60% of the way from 1/40 to 1/60 */
	near("t95(50) by hand", 2.021 - 0.6 * 0.021, summ_t95(50), 1e-12);
	/* and within 0.001 of the exact quantile */
	static const struct {
		int df;
		double t;
	} exact[] = {{35, 2.030108},  {45, 2.014103},  {50, 2.008559},	{80, 1.990063},
		     {100, 1.983972}, {200, 1.971896}, {1000, 1.962339}};
	for (int i = 0; i < N(exact); i++) {
		snprintf(what, sizeof what, "t95(%d) vs exact", exact[i].df);
		near(what, exact[i].t, summ_t95(exact[i].df), 0.001);
	}
	/* towards the normal quantile, never below it, never rising */
	near("t95(10^9)", 1.960, summ_t95(1000000000), 1e-6);
	double prev = summ_t95(1);
	for (int df = 2; df < 5000; df++) {
		double t = summ_t95(df);
		if (!(t <= prev && t >= 1.96))
			fail_msg("t95(%d) = %.6f after %.6f", df, t, prev);
		prev = t;
	}
	assert_true(isnan(summ_t95(0)));
	assert_true(isnan(summ_t95(-3)));
}

static void expect_json(const struct summ *s, const char *want)
{
	json_t *j = summ_json(s);
	assert_non_null(j);
	char *got = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
	if (strcmp(got, want) != 0)
		fail_msg("summ_json: expected %s, got %s", want, got);
	free(got);
	json_decref(j);
}

static void test_json(void **state)
{
	(void)state;
	struct summ s;
	const double a[] = {10, 12, 14};
	summ_compute(a, 3, &s);
	expect_json(&s, "{\"ci95\":[7.031323583,16.96867642],\"max\":14.0,\"mean\":12.0,"
			"\"median\":12.0,\"min\":10.0,\"n\":3}");
	const double one[] = {5};
	summ_compute(one, 1, &s);
	expect_json(&s,
		    "{\"ci95\":null,\"max\":5.0,\"mean\":5.0,\"median\":5.0,\"min\":5.0,\"n\":1}");
	summ_compute(NULL, 0, &s);
	expect_json(&s, "{\"ci95\":null,\"max\":null,\"mean\":null,\"median\":null,\"min\":null,"
			"\"n\":0}");
	/* a hand-filled struct with n 0 is all null too, whatever its fields say */
	struct summ z = {.n = 0, .median = 1, .have_ci = true};
	expect_json(&z, "{\"ci95\":null,\"max\":null,\"mean\":null,\"median\":null,\"min\":null,"
			"\"n\":0}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_sets),	cmocka_unit_test(test_one_and_none),
	    cmocka_unit_test(test_nan_ignored), cmocka_unit_test(test_t95),
	    cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_fairness.c - requests per client slot: min, p50 (nearest rank),
 * max and Jain's fairness index (sum x)^2 / (n * sum x^2), against
 * answers worked out by hand. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "bench/load/slots.h"

static struct fairness of(const uint64_t *x, int n)
{
	struct fairness f;
	assert_int_equal(fairness_compute(x, n, &f), 0);
	return f;
}

static void near(double got, double want, const char *what)
{
	if (!(fabs(got - want) <= 1e-12 * fabs(want)))
		fail_msg("%s: expected %.15g, got %.15g", what, want, got);
}

/* The tutorial server: one client of ten got everything. */
static void test_one_of_ten(void **state)
{
	(void)state;
	uint64_t x[10] = {0, 0, 0, 0, 73573, 0, 0, 0, 0, 0};
	struct fairness f = of(x, 10);
	assert_int_equal(f.min, 0);
	assert_int_equal(f.p50, 0);
	assert_int_equal(f.max, 73573);
	near(f.jain, 0.1, "jain, one of 10 served"); /* 1/n */
	assert_int_equal(x[4], 73573);		     /* the input is not sorted in place */
}

static void test_equal(void **state)
{
	(void)state;
	uint64_t x[4] = {500, 500, 500, 500};
	struct fairness f = of(x, 4);
	assert_int_equal(f.min, 500);
	assert_int_equal(f.p50, 500);
	assert_int_equal(f.max, 500);
	near(f.jain, 1.0, "jain, equal service");
	uint64_t one = 7;
	f = of(&one, 1);
	assert_int_equal(f.min, 7);
	assert_int_equal(f.p50, 7);
	near(f.jain, 1.0, "jain, one slot");
}

/* (1+2+3+4)^2 / (4 * (1+4+9+16)) = 100/120; p50: the 2nd of 4 (nearest
 * rank, ceil(n/2)), and the 3rd of 5. */
static void test_ranks(void **state)
{
	(void)state;
	uint64_t x[4] = {4, 1, 3, 2};
	struct fairness f = of(x, 4);
	assert_int_equal(f.min, 1);
	assert_int_equal(f.p50, 2);
	assert_int_equal(f.max, 4);
	near(f.jain, 100.0 / 120.0, "jain of 1, 2, 3, 4");
	uint64_t y[5] = {50, 10, 40, 20, 30};
	f = of(y, 5);
	assert_int_equal(f.p50, 30);
	near(f.jain, 150.0 * 150.0 / (5 * 5500.0), "jain of 10..50");
}

/* No request anywhere: nothing was shared, the index is undefined (NaN;
 * null in the JSON), min = p50 = max = 0. */
static void test_all_zero(void **state)
{
	(void)state;
	uint64_t x[3] = {0, 0, 0};
	struct fairness f = of(x, 3);
	assert_int_equal(f.max, 0);
	assert_true(isnan(f.jain));
	assert_true(isnan(fairness_jain(3, 0, 0)));
	assert_true(isnan(fairness_jain(0, 5, 25)));
	assert_int_equal(fairness_compute(x, 0, &f), -1);
}

/* 100,000 slots of 10^10 requests: sums of squares near 10^25, past
 * uint64, still exact enough (long double). */
static void test_large(void **state)
{
	(void)state;
	int n = 100000;
	uint64_t *x = malloc((size_t)n * sizeof *x);
	assert_non_null(x);
	for (int i = 0; i < n; i++)
		x[i] = UINT64_C(10000000000) * (uint64_t)(1 + (i & 1)); /* 1e10, 2e10, ... */
	struct fairness f = of(x, n);
	assert_int_equal(f.min, UINT64_C(10000000000));
	assert_int_equal(f.max, UINT64_C(20000000000));
	/* half 1, half 2: (1.5 n)^2 / (n * 2.5 n) = 0.9 */
	if (fabs(f.jain - 0.9) > 1e-12)
		fail_msg("jain of half 1e10, half 2e10: expected 0.9, got %.15g", f.jain);
	near(fairness_jain(4, 10, 30), 100.0 / 120.0, "fairness_jain from the sums");
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_of_ten), cmocka_unit_test(test_equal),
	    cmocka_unit_test(test_ranks),      cmocka_unit_test(test_all_zero),
	    cmocka_unit_test(test_large),
	};
	return cmocka_run_group_tests_name("fairness", tests, NULL, NULL);
}

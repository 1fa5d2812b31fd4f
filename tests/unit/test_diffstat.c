/* test_diffstat.c - diff's statistics against answers known or worked out
 * apart from the code under test.
 *
 * Exact Mann-Whitney p-values of completely separated samples: one split
 * of the C(na+nb, nb) puts every B above every A, one every B below, so
 * p = 2 / C(na+nb, nb): 2/252 for 5+5, 2/20 for 3+3, 2/70 for 4+4 (the
 * printed tables of U agree).  With ties the exact p is checked against a
 * brute-force enumeration of every split here, mid-ranks counted the slow
 * way.  The normal approximation is checked against values worked by hand
 * from the textbook formula (Lehmann, Nonparametrics, 1975, eq. 1.46) with
 * Python's math.erfc, which R's wilcox.test(a, b, exact = FALSE, correct =
 * TRUE) agrees with (W = 0, p = 0.0001827 for 1:10 against 11:20). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench/plot/diffstat.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void near(const char *what, double want, double got, double tol)
{
	if (!(fabs(want - got) <= tol))
		fail_msg("%s: expected %.12g, got %.12g (tolerance %g)", what, want, got, tol);
}

static double mw_p(const double *a, int na, const double *b, int nb, enum diffstat_method how)
{
	struct diffstat_mw m;
	int rc = diffstat_mw(a, na, b, nb, how, &m);
	if (rc)
		fail_msg("diffstat_mw: %d", rc);
	return m.p;
}

static void test_median(void **state)
{
	(void)state;
	double odd[] = {5, 1, 9, 3, 7}, even[] = {4, 1, 3, 2}, one[] = {42};
	near("median of 5", 5, diffstat_median(odd, N(odd)), 0);
	near("median of 4", 2.5, diffstat_median(even, N(even)), 0);
	near("median of 1", 42, diffstat_median(one, 1), 0);
	assert_true(isnan(diffstat_median(NULL, 0)));
	near("input untouched", 5, odd[0], 0); /* it sorts a copy */
}

static void test_exact_separated(void **state)
{
	(void)state;
	double a5[] = {1, 2, 3, 4, 5}, b5[] = {6, 7, 8, 9, 10};
	double a3[] = {10, 11, 12}, b3[] = {1, 2, 3};
	double a4[] = {1, 2, 3, 4}, b4[] = {5, 6, 7, 8};
	struct diffstat_mw m;
	assert_int_equal(diffstat_mw(a5, 5, b5, 5, DIFFSTAT_AUTO, &m), 0);
	assert_true(m.exact);
	near("5+5 separated: 2/252", 2.0 / 252, m.p, 1e-15);
	near("5+5 separated: U of B", 25, m.u, 0);
	near("3+3 separated: 2/20", 0.1, mw_p(a3, 3, b3, 3, DIFFSTAT_AUTO), 1e-15);
	assert_int_equal(diffstat_mw(a3, 3, b3, 3, DIFFSTAT_AUTO, &m), 0);
	near("3+3, B below: U of B", 0, m.u, 0);
	near("4+4 separated: 2/70", 2.0 / 70, mw_p(a4, 4, b4, 4, DIFFSTAT_AUTO), 1e-15);
	/* one B below one A: 2 splits of 252 as extreme each way, p = 4/252 */
	double b5x[] = {4.5, 7, 8, 9, 10};
	near("5+5, one overlap", 4.0 / 252, mw_p(a5, 5, b5x, 5, DIFFSTAT_AUTO), 1e-15);
	/* sides of other sizes: 2/C(9,3) = 2/84 */
	double b6[] = {7, 8, 9, 10, 11, 12};
	double lo3[] = {1, 2, 3};
	near("3+6 separated: 2/84", 2.0 / 84, mw_p(lo3, 3, b6, 6, DIFFSTAT_AUTO), 1e-15);
	near("6+3 separated: 2/84", 2.0 / 84, mw_p(b6, 6, lo3, 3, DIFFSTAT_AUTO), 1e-15);
}

static void test_identical(void **state)
{
	(void)state;
	double a[] = {100, 101, 99, 102, 98}, same[] = {7, 7, 7, 7, 7, 7};
	struct diffstat_mw m;
	assert_int_equal(diffstat_mw(a, 5, a, 5, DIFFSTAT_AUTO, &m), 0);
	near("the same sample twice: p", 1, m.p, 1e-12);
	near("the same sample twice: U = na nb / 2", 12.5, m.u, 0);
	near("all tied, exact", 1, mw_p(same, 3, same + 3, 3, DIFFSTAT_EXACT), 0);
	near("all tied, normal", 1, mw_p(same, 3, same + 3, 3, DIFFSTAT_NORMAL), 0);
	assert_int_equal(diffstat_mw(a, 0, a, 5, DIFFSTAT_AUTO, &m), -EINVAL);
}

/* Every split of the pooled values into na + nb, counted one by one. */
static double brute_p(const double *a, int na, const double *b, int nb)
{
	int n = na + nb;
	double v[32], r[32];
	for (int i = 0; i < n; i++)
		v[i] = i < na ? a[i] : b[i - na];
	for (int i = 0; i < n; i++) { /* mid-rank: values below + (equal + 1) / 2 */
		int below = 0, equal = 0;
		for (int j = 0; j < n; j++) {
			below += v[j] < v[i];
			equal += v[j] == v[i];
		}
		r[i] = below + (equal + 1) / 2.0;
	}
	double obs = 0, mean = nb * (n + 1) / 2.0, hits = 0, all = 0;
	for (int i = na; i < n; i++)
		obs += r[i];
	for (unsigned m = 0; m < 1u << n; m++) {
		if (__builtin_popcount(m) != nb)
			continue;
		double s = 0;
		for (int i = 0; i < n; i++)
			s += (m >> i & 1) ? r[i] : 0;
		all++;
		hits += fabs(s - mean) >= fabs(obs - mean) - 1e-9;
	}
	return hits / all;
}

static void test_exact_ties_brute(void **state)
{
	(void)state;
	uint64_t st = 12345;
	for (int round = 0; round < 40; round++) {
		int na = 2 + (int)(diffstat_splitmix64(&st) % 6),
		    nb = 2 + (int)(diffstat_splitmix64(&st) % 6);
		double a[8], b[8];
		for (int i = 0; i < na; i++) /* few distinct values: many ties */
			a[i] = (double)(diffstat_splitmix64(&st) % 5);
		for (int i = 0; i < nb; i++)
			b[i] = (double)(diffstat_splitmix64(&st) % 5 + round % 3);
		char what[64];
		snprintf(what, sizeof what, "round %d (%d+%d)", round, na, nb);
		near(what, brute_p(a, na, b, nb), mw_p(a, na, b, nb, DIFFSTAT_EXACT), 1e-12);
	}
}

static void test_normal(void **state)
{
	(void)state;
	double a[20], b[20];
	for (int i = 0; i < 20; i++) {
		a[i] = i + 1;
		b[i] = i + 11;
	}
	/* 1..10 against 11..20: U = 100, var = 10*10/12 * 21 = 175, z = (50 -
	 * 0.5) / sqrt(175) = 3.741848, p = erfc(z / sqrt 2) = 1.826718e-4 */
	struct diffstat_mw m;
	assert_int_equal(diffstat_mw(a, 10, b + 10, 10, DIFFSTAT_NORMAL, &m), 0);
	assert_false(m.exact);
	near("1..10 vs 11..20, normal", 1.826717911e-4, m.p, 1e-12);
	/* ties: a = 1 2 2 3 3 3 4, b = 3 4 4 5 5 5 6; mid-ranks 1, 2.5, 5.5,
	 * 9, 12, 14; B's rank sum 73.5, U = 73.5 - 28 = 45.5; ties sum(t^3-t)
	 * = 6 + 60 + 24 + 24 = 114; var = 49/12 * (15 - 114/182) = 58.692308;
	 * z = (45.5 - 24.5 - 0.5) / sqrt(var) = 2.675859, p = 0.007453794 */
	double ta[] = {1, 2, 2, 3, 3, 3, 4}, tb[] = {3, 4, 4, 5, 5, 5, 6};
	assert_int_equal(diffstat_mw(ta, 7, tb, 7, DIFFSTAT_NORMAL, &m), 0);
	near("ties: U", 45.5, m.u, 0);
	near("ties, normal", 0.007453793751, m.p, 1e-11);
	/* 20+20, B shifted by 4.5: near p = 0.03 the approximation is within
	 * 4% of the exact count (0.03152 against 0.03041, which the textbook
	 * recursion f(m,n,u) = f(m-1,n,u-n) + f(m,n-1,u) in Python gives
	 * too); far out in the tail it is not (shifted by 10: 5.2e-5 against
	 * 1.5e-5, the normal tail too fat): small samples are counted exactly */
	for (int i = 0; i < 20; i++)
		b[i] = a[i] + 4.5;
	double pe = mw_p(a, 20, b, 20, DIFFSTAT_EXACT), pn = mw_p(a, 20, b, 20, DIFFSTAT_NORMAL);
	near("20+20 shifted by 4.5: normal against exact", pe, pn, 0.05 * pe);
	/* AUTO: exact up to DIFFSTAT_EXACT_MAX pooled, normal past it */
	double big[60];
	for (int i = 0; i < 60; i++)
		big[i] = i;
	assert_int_equal(diffstat_mw(big, 30, big + 30, 30, DIFFSTAT_AUTO, &m), 0);
	assert_false(m.exact);
	assert_int_equal(diffstat_mw(big, 30, big + 30, 30, DIFFSTAT_EXACT, &m), -E2BIG);
	assert_int_equal(diffstat_mw(big, 25, big + 25, 25, DIFFSTAT_AUTO, &m), 0);
	assert_true(m.exact);
	near("25+25 separated: 2/C(50,25)", 2 / 1.26410606437752e14, m.p, 1e-25);
}

static void test_bootstrap(void **state)
{
	(void)state;
	double a[6] = {100, 103, 98, 101, 99, 102}, b[6];
	for (int i = 0; i < 6; i++)
		b[i] = 1.5 * a[(i + 2) % 6] * (i % 2 ? 1.01 : 0.99);
	double lo, hi, lo2, hi2;
	assert_int_equal(diffstat_boot_ratio(a, 6, b, 6, 10000, 1, 0.95, &lo, &hi), 0);
	if (!(lo < 1.5 && 1.5 < hi && lo > 1.3 && hi < 1.7))
		fail_msg("1.5 x: interval [%g, %g] should hold 1.5, not 1", lo, hi);
	assert_int_equal(diffstat_boot_ratio(a, 6, b, 6, 10000, 1, 0.95, &lo2, &hi2), 0);
	near("same seed, same lo", lo, lo2, 0);
	near("same seed, same hi", hi, hi2, 0);
	assert_int_equal(diffstat_boot_ratio(a, 6, a, 6, 10000, 7, 0.95, &lo, &hi), 0);
	if (!(lo <= 1 && 1 <= hi))
		fail_msg("a against itself: interval [%g, %g] should hold 1", lo, hi);
	double z[] = {0, 0, 0, 1};
	assert_int_equal(diffstat_boot_ratio(z, 4, a, 6, 100, 1, 0.95, &lo, &hi), -EINVAL);
	assert_true(isnan(lo) && isnan(hi));
	assert_int_equal(diffstat_boot_ratio(a, 0, a, 6, 100, 1, 0.95, &lo, &hi), -EINVAL);
	/* one value a side: every resample the same ratio */
	double one_a = 4, one_b = 6;
	assert_int_equal(diffstat_boot_ratio(&one_a, 1, &one_b, 1, 50, 3, 0.95, &lo, &hi), 0);
	near("1+1: lo", 1.5, lo, 0);
	near("1+1: hi", 1.5, hi, 0);
}

static void test_splitmix(void **state)
{
	(void)state;
	/* Vigna's splitmix64.c from state 0: 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4 */
	uint64_t s = 0;
	assert_true(diffstat_splitmix64(&s) == 0xe220a8397b1dcdafull);
	assert_true(diffstat_splitmix64(&s) == 0x6e789e6aa1b965f4ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_median),    cmocka_unit_test(test_exact_separated),
	    cmocka_unit_test(test_identical), cmocka_unit_test(test_exact_ties_brute),
	    cmocka_unit_test(test_normal),    cmocka_unit_test(test_bootstrap),
	    cmocka_unit_test(test_splitmix),
	};
	return cmocka_run_group_tests_name("diffstat", tests, NULL, NULL);
}

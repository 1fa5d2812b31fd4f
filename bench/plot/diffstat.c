/* diffstat.c - medians, the Mann-Whitney U test and a bootstrap interval
 * of a ratio of medians, for `sockbench diff` (diffstat.h says why each). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diffstat.h"

uint64_t diffstat_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The median of x[0..n-1], which it sorts: a bootstrap takes 20,000
 * medians of a few repeats each, where an insertion sort (no call per
 * comparison) is several times faster than qsort. */
static double median_sorting(double *x, int n)
{
	if (n > 32)
		qsort(x, (size_t)n, sizeof *x, cmp_double);
	for (int i = 1; n <= 32 && i < n; i++) {
		double v = x[i];
		int j = i;
		for (; j > 0 && x[j - 1] > v; j--)
			x[j] = x[j - 1];
		x[j] = v;
	}
	return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

double diffstat_median(const double *x, int n)
{
	if (n < 1)
		return NAN;
	double *s = malloc((size_t)n * sizeof *s);
	if (!s)
		return NAN;
	memcpy(s, x, (size_t)n * sizeof *s);
	double m = median_sorting(s, n);
	free(s);
	return m;
}

/* --- Mann-Whitney U ---------------------------------------------------- */

struct pooled {
	double v;
	int b; /* 1: a value of B */
};

static int cmp_pooled(const void *x, const void *y)
{
	return cmp_double(&((const struct pooled *)x)->v, &((const struct pooled *)y)->v);
}

/* The pooled values' ranks, doubled so that a mid-rank stays an integer:
 * a run of t ties at positions i..j (from 1) each get i + j.  *ties:
 * sum of t^3 - t over the runs (the variance's tie correction). */
static void doubled_ranks(const struct pooled *p, int n, int *r2, double *ties)
{
	*ties = 0;
	for (int i = 0; i < n;) {
		int j = i;
		while (j + 1 < n && p[j + 1].v == p[i].v)
			j++;
		for (int k = i; k <= j; k++)
			r2[k] = (i + 1) + (j + 1);
		double t = j - i + 1;
		*ties += t * t * t - t;
		i = j + 1;
	}
}

/* P(|S - E| >= |obs - E|) where S is the doubled rank sum of k values
 * drawn from the n pooled ones without replacement, every draw equally
 * likely (no difference between the sides), E = k(n+1) its mean.  cnt[j][s]
 * counts the ways to draw j of the values seen so far with sum s: each
 * value is drawn or not (the subset-sum count), j downwards so that it is
 * drawn at most once. */
static int exact_p(const int *r2, int n, int k, long obs, double *p)
{
	long maxs = (long)n * (n + 1), e = (long)k * (n + 1);
	double *cnt = calloc((size_t)(k + 1) * (size_t)(maxs + 1), sizeof *cnt);
	if (!cnt)
		return -ENOMEM;
	cnt[0] = 1;
	for (int i = 0; i < n; i++)
		for (int j = i + 1 < k ? i + 1 : k; j >= 1; j--) {
			double *to = cnt + (size_t)j * (size_t)(maxs + 1);
			const double *from = to - (maxs + 1);
			for (long s = maxs; s >= r2[i]; s--)
				to[s] += from[s - r2[i]];
		}
	double total = 0, tail = 0;
	long d = labs(obs - e);
	const double *last = cnt + (size_t)k * (size_t)(maxs + 1);
	for (long s = 0; s <= maxs; s++) {
		total += last[s];
		if (labs(s - e) >= d)
			tail += last[s];
	}
	free(cnt);
	*p = total > 0 ? fmin(1.0, tail / total) : 1.0;
	return 0;
}

/* The normal approximation: U's mean na nb / 2 and, with ties, variance
 * na nb / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1))) (Lehmann,
 * Nonparametrics, 1975, eq. 1.46; scipy.stats.mannwhitneyu's
 * method="asymptotic" is the same); |U - mean| less 0.5 for continuity. */
static double normal_p(double u, int na, int nb, double ties)
{
	double n = (double)na + nb, mean = (double)na * nb / 2;
	double var = (double)na * nb / 12.0 * ((n + 1) - ties / (n * (n - 1)));
	if (!(var > 0))
		return 1.0; /* every value one and the same */
	double z = (fabs(u - mean) - 0.5) / sqrt(var);
	return z > 0 ? fmin(1.0, erfc(z / M_SQRT2)) : 1.0;
}

int diffstat_mw(const double *a, int na, const double *b, int nb, enum diffstat_method how,
		struct diffstat_mw *out)
{
	if (na < 1 || nb < 1)
		return -EINVAL;
	int n = na + nb;
	if (how == DIFFSTAT_EXACT && n > DIFFSTAT_EXACT_MAX)
		return -E2BIG;
	struct pooled *p = malloc((size_t)n * sizeof *p);
	int *r2 = malloc((size_t)n * sizeof *r2);
	int rc = 0;
	if (!p || !r2) {
		rc = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++)
		p[i] = i < na ? (struct pooled){a[i], 0} : (struct pooled){b[i - na], 1};
	qsort(p, (size_t)n, sizeof *p, cmp_pooled);
	double ties;
	doubled_ranks(p, n, r2, &ties);
	long sb = 0; /* B's doubled rank sum */
	for (int i = 0; i < n; i++)
		sb += p[i].b ? r2[i] : 0;
	out->u = sb / 2.0 - (double)nb * (nb + 1) / 2;
	out->exact = how == DIFFSTAT_EXACT || (how == DIFFSTAT_AUTO && n <= DIFFSTAT_EXACT_MAX);
	if (!out->exact) {
		out->p = normal_p(out->u, na, nb, ties);
		goto out;
	}
	/* The smaller side is drawn (fewer steps); |S - E| is the same for
	 * either side, their sums adding up to n(n+1). */
	if (nb <= na)
		rc = exact_p(r2, n, nb, sb, &out->p);
	else
		rc = exact_p(r2, n, na, (long)n * (n + 1) - sb, &out->p);
out:
	free(p);
	free(r2);
	return rc;
}

/* --- bootstrap ---------------------------------------------------------- */

/* A uniform index below n: the top 32 bits scaled (Lemire's multiply
 * shift; its bias, under n / 2^32, is far below what 10000 draws see). */
static int draw(uint64_t *st, int n)
{
	return (int)(((diffstat_splitmix64(st) >> 32) * (uint64_t)n) >> 32);
}

static double resample_median(const double *x, int n, double *buf, uint64_t *st)
{
	for (int i = 0; i < n; i++)
		buf[i] = x[draw(st, n)];
	return median_sorting(buf, n);
}

/* The q quantile of sorted r[0..n-1], linear between order statistics
 * (Hyndman and Fan's type 7, R's and numpy's default). */
static double quantile(const double *r, int n, double q)
{
	double h = (n - 1) * q;
	int i = (int)floor(h);
	if (i + 1 >= n)
		return r[n - 1];
	return r[i] + (h - i) * (r[i + 1] - r[i]);
}

int diffstat_boot_ratio(const double *a, int na, const double *b, int nb, int resamples,
			uint64_t seed, double level, double *lo, double *hi)
{
	*lo = *hi = NAN;
	if (na < 1 || nb < 1 || resamples < 1)
		return -EINVAL;
	double *buf = malloc((size_t)(na > nb ? na : nb) * sizeof *buf);
	double *r = malloc((size_t)resamples * sizeof *r);
	int rc = 0;
	if (!buf || !r) {
		rc = -ENOMEM;
		goto out;
	}
	uint64_t st = seed;
	for (int i = 0; i < resamples; i++) {
		double ma = resample_median(a, na, buf, &st);
		double mb = resample_median(b, nb, buf, &st);
		if (!(ma > 0)) {
			rc = -EINVAL;
			goto out;
		}
		r[i] = mb / ma;
	}
	qsort(r, (size_t)resamples, sizeof *r, cmp_double);
	*lo = quantile(r, resamples, (1 - level) / 2);
	*hi = quantile(r, resamples, 1 - (1 - level) / 2);
out:
	free(buf);
	free(r);
	return rc;
}

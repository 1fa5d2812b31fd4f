/* summ.c - median, spread and Student's t interval over a cell's repeats. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sockbench/summ.h"

/* t(0.975, df) for df 1..30, as printed in every statistics table. */
static const double t95_table[30] = {
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
};

/* The sparser rows tables give above 30; df 0 stands for infinity. */
static const struct {
	int df;
	double t;
} t95_tail[] = {{30, 2.042}, {40, 2.021}, {60, 2.000}, {120, 1.980}, {0, 1.960}};

double summ_t95(int df)
{
	if (df < 1)
		return NAN;
	if (df <= 30)
		return t95_table[df - 1];
	/* Between rows, t is very nearly linear in 1/df (it tends to the normal
	 * quantile like 1/df), which is why tables step 30, 40, 60, 120, inf:
	 * evenly in 1/df. Linear interpolation there errs by under 0.001. */
	double x = 1.0 / df;
	for (size_t i = 0; i + 1 < sizeof(t95_tail) / sizeof(t95_tail[0]); i++) {
		double x0 = 1.0 / t95_tail[i].df;
		double x1 = t95_tail[i + 1].df ? 1.0 / t95_tail[i + 1].df : 0.0;
		if (x >= x1) {
			double f = (x0 - x) / (x0 - x1);
			return t95_tail[i].t + f * (t95_tail[i + 1].t - t95_tail[i].t);
		}
	}
	return 1.960; /* not reached: x > 0 */
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void summ_compute(const double *x, int n, struct summ *out)
{
	double *s = n > 0 ? malloc((size_t)n * sizeof(*s)) : NULL;
	double sum = 0, ss = 0;
	int k = 0;

	memset(out, 0, sizeof(*out));
	out->median = out->min = out->max = out->mean = out->sd = NAN;
	out->ci_lo = out->ci_hi = NAN;
	for (int i = 0; i < n; i++) {
		if (isnan(x[i]))
			continue;
		if (s)
			s[k] = x[i];
		if (k == 0 || x[i] < out->min)
			out->min = x[i];
		if (k == 0 || x[i] > out->max)
			out->max = x[i];
		sum += x[i];
		k++;
	}
	out->n = k;
	if (k == 0)
		goto done;
	out->mean = sum / k;
	if (s) { /* without the copy (no memory) the median stays NaN */
		qsort(s, (size_t)k, sizeof(*s), cmp_double);
		out->median = k % 2 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
	}
	if (k < 2)
		goto done;
	/* Two passes (mean first, then squares of differences): the one-pass
	 * sum-of-squares formula cancels badly when the spread is small next
	 * to the values, as with 10 repeats of ~100000 req/s. */
	for (int i = 0; i < n; i++)
		if (!isnan(x[i]))
			ss += (x[i] - out->mean) * (x[i] - out->mean);
	out->sd = sqrt(ss / (k - 1));
	double half = summ_t95(k - 1) * out->sd / sqrt(k);
	out->ci_lo = out->mean - half;
	out->ci_hi = out->mean + half;
	out->have_ci = true;
done:
	free(s);
}

/* jansson refuses NaN and infinities (JSON has none): they become null. */
static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *summ_json(const struct summ *s)
{
	bool any = s->n > 0;
	json_t *ci = any && s->have_ci && isfinite(s->ci_lo) && isfinite(s->ci_hi)
			 ? json_pack("[ff]", s->ci_lo, s->ci_hi)
			 : json_null();
	return json_pack("{s:i, s:o, s:o, s:o, s:o, s:o}", "n", s->n, "median",
			 any ? num(s->median) : json_null(), "min", any ? num(s->min) : json_null(),
			 "max", any ? num(s->max) : json_null(), "mean",
			 any ? num(s->mean) : json_null(), "ci95", ci);
}

/* test_hist.c - the latency histogram against exact answers.
 *
 * Every percentile is checked against the sorted samples, with the rank
 * computed here in integers (p in thousandths of a percent), so the
 * histogram's floating-point rank is tested, not copied. */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sbunit.h"
#include "sockbench/hist.h"

#define US  UINT64_C(1000)
#define SEC UINT64_C(1000000000)

/* splitmix64: a fixed seed makes every failure repeatable */
static uint64_t rng_state;

static uint64_t rng(void)
{
	return sbunit_rng_next(&rng_state);
}

static double rng01(void)
{
	return (double)(rng() >> 11) / 9007199254740992.0; /* [0, 1) */
}

static uint64_t uniform(uint64_t lo, uint64_t hi)
{
	return lo + rng() % (hi - lo + 1);
}

static uint64_t log_uniform(uint64_t lo, uint64_t hi)
{
	double v = exp(log((double)lo) + rng01() * (log((double)hi) - log((double)lo)));
	return (uint64_t)v;
}

static struct hist *hist_new(void)
{
	struct hist *h = malloc(sizeof(*h));
	assert_non_null(h);
	hist_init(h);
	return h;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The promise: exact below 256 ns, else within half a bucket, 1/256 of the
 * value (the spec asks for 1%; the layout gives 0.39%). */
static void assert_close(const char *what, double p, uint64_t exact, uint64_t got)
{
	unsigned __int128 diff = exact > got ? exact - got : got - exact;
	if (exact < 256 ? diff != 0 : diff * 256 > exact)
		fail_msg("%s p%g: expected %" PRIu64 " (exact), got %" PRIu64 " (%.4f%% off)", what,
			 p, exact, got, 100.0 * (double)diff / (double)(exact ? exact : 1));
}

/* Percentiles at 0, 50, 90, 99, 99.9, 100 and every 0.1% between. */
static void check_percentiles(const char *what, const uint64_t *vals, size_t n)
{
	struct hist *h = hist_new();
	uint64_t *s = malloc(n * sizeof(*s));
	long double sum = 0;
	assert_non_null(s);
	for (size_t i = 0; i < n; i++) {
		hist_record(h, vals[i]);
		s[i] = vals[i];
		sum += vals[i];
	}
	qsort(s, n, sizeof(*s), cmp_u64);
	assert_int_equal(h->count, n);
	assert_int_equal(h->min, s[0]);
	assert_int_equal(h->max, s[n - 1]);
	assert_int_equal(hist_percentile(h, 0), s[0]);
	assert_int_equal(hist_percentile(h, 100), s[n - 1]);
	double mean = (double)(sum / n);
	if (fabs(hist_mean_ns(h) - mean) > mean * 1e-12)
		fail_msg("%s mean: expected %.3f, got %.3f", what, mean, hist_mean_ns(h));

	static const uint64_t named[] = {0, 50000, 90000, 99000, 99900, 100000};
	for (size_t k = 0; k < sizeof(named) / sizeof(named[0]) + 1001; k++) {
		uint64_t pm = k < 6 ? named[k] : (k - 6) * 100; /* thousandths of a % */
		uint64_t rank = (pm * n + 99999) / 100000;	/* ceil, in integers */
		uint64_t exact = s[(rank ? rank : 1) - 1];
		assert_close(what, (double)pm / 1000, exact, hist_percentile(h, (double)pm / 1000));
	}
	free(s);
	free(h);
}

/* ---- layout ---------------------------------------------------------------- */

static void test_layout(void **state)
{
	(void)state;
	assert_int_equal(HIST_BUCKETS, 7424);
	assert_true(sizeof(struct hist) < 60 * 1024);
	assert_string_equal(hist_scheme(), "log-linear ns sub_bits=7");
	for (uint64_t v = 0; v < 256; v++) {
		assert_int_equal(hist_index(v), v);
		assert_int_equal(hist_bucket_lower((unsigned)v), v);
		assert_int_equal(hist_bucket_upper((unsigned)v), v);
	}
	assert_int_equal(hist_bucket_lower(0), 0);
	assert_int_equal(hist_bucket_upper(HIST_BUCKETS - 1), UINT64_MAX);
	assert_int_equal(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		uint64_t lo = hist_bucket_lower(i), hi = hist_bucket_upper(i);
		assert_true(lo <= hi);
		assert_int_equal(hist_index(lo), i);
		assert_int_equal(hist_index(hi), i);
		if (i + 1 < HIST_BUCKETS) /* no gap, no overlap */
			assert_int_equal(hi + 1, hist_bucket_lower(i + 1));
		/* width <= 1/128 of the lower edge from 2^7 up */
		if (lo >= 128)
			assert_true((unsigned __int128)(hi - lo + 1) * 128 <= lo);
	}
}

/* Every bucket, both edges: what a percentile reports for the lowest and the
 * highest value the bucket holds is within 1/256 of it. That covers every
 * value from 1 us to 100 s (and beyond), not a sample of them. */
static void test_every_bucket_edge(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		uint64_t lo = hist_bucket_lower(i), hi = hist_bucket_upper(i);
		hist_init(h);
		hist_record(h, lo);
		hist_record(h, hi);
		uint64_t mid = hist_percentile(h, 50); /* rank 1: lo's bucket */
		assert_close("bucket lower edge", 50, lo, mid);
		assert_close("bucket upper edge", 50, hi, mid);
	}
	free(h);
}

/* ---- ranks ------------------------------------------------------------------- */

/* 0..99 ten times each: value k holds ranks 10k+1 .. 10k+10, so a rank one
 * too high (ceil of 990.0000000000001) shows as the wrong value. */
static void test_rank_is_ceil(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	for (uint64_t v = 0; v < 100; v++)
		hist_record_n(h, v, 10);
	for (uint64_t k = 0; k <= 1000; k++) { /* p = 0.0, 0.1, ... 100.0 */
		uint64_t rank = k ? k : 1;
		assert_int_equal(hist_percentile(h, (double)k / 10), (rank - 1) / 10);
	}
	assert_int_equal(hist_percentile(h, 99.9), 99);
	assert_int_equal(hist_percentile(h, 99), 98);
	assert_int_equal(hist_percentile(h, -5), 0);   /* clamped */
	assert_int_equal(hist_percentile(h, 250), 99); /* clamped */
	assert_int_equal(hist_percentile(h, NAN), 0);

	hist_init(h); /* 1..7: ceil(p * 7 / 100) */
	for (uint64_t v = 1; v <= 7; v++)
		hist_record(h, v);
	for (uint64_t k = 0; k <= 1000; k++) {
		uint64_t rank = (k * 7 + 999) / 1000;
		assert_int_equal(hist_percentile(h, (double)k / 10), rank ? rank : 1);
	}
	free(h);
}

/* ---- accuracy ---------------------------------------------------------------- */

#define N 50000

static void test_uniform(void **state)
{
	(void)state;
	static uint64_t v[N];
	rng_state = 1;
	for (size_t i = 0; i < N; i++)
		v[i] = uniform(US, 100 * SEC);
	check_percentiles("uniform 1us..100s", v, N);
}

static void test_log_uniform(void **state)
{
	(void)state;
	static uint64_t v[N];
	rng_state = 2;
	for (size_t i = 0; i < N; i++)
		v[i] = log_uniform(US, 100 * SEC);
	check_percentiles("log-uniform 1us..100s", v, N);
}

static void test_constant(void **state)
{
	(void)state;
	static uint64_t v[1000];
	for (size_t i = 0; i < 1000; i++)
		v[i] = 123456789;
	check_percentiles("constant", v, 1000);
	/* clamping to [min, max] makes a constant exact */
	struct hist *h = hist_new();
	hist_record_n(h, 123456789, 1000);
	for (int p = 0; p <= 100; p++)
		assert_int_equal(hist_percentile(h, p), 123456789);
	assert_true(hist_mean_ns(h) == 123456789.0);
	free(h);
}

/* Connect latency with SYN retransmits: most at ~1 us, steps at 1 s, 3 s, 7 s. */
static void test_bimodal(void **state)
{
	(void)state;
	static uint64_t v[N];
	rng_state = 3;
	for (size_t i = 0; i < N; i++) {
		uint64_t r = rng() % 100;
		uint64_t base = r < 80 ? US : r < 90 ? SEC : r < 97 ? 3 * SEC : 7 * SEC;
		v[i] = base + rng() % (base / 20);
	}
	check_percentiles("bimodal 1us/1s/3s/7s", v, N);

	/* exactly 90% at 1 us: p90 is still 1 us, p90.1 is already 1 s */
	struct hist *h = hist_new();
	hist_record_n(h, US, 900);
	hist_record_n(h, SEC, 100);
	assert_close("two spikes", 90, US, hist_percentile(h, 90));
	assert_close("two spikes", 90.1, SEC, hist_percentile(h, 90.1));
	assert_int_equal(hist_percentile(h, 0), US);
	assert_int_equal(hist_percentile(h, 100), SEC);
	free(h);
}

static void test_boundaries(void **state)
{
	(void)state;
	static uint64_t v[64 * 3 + 1];
	size_t n = 0;
	struct hist *h = hist_new();
	for (unsigned m = 0; m < 64; m++) {
		uint64_t p2 = UINT64_C(1) << m;
		uint64_t each[3] = {p2 - 1, p2, p2 + 1};
		for (int k = 0; k < 3; k++) {
			v[n++] = each[k];
			hist_init(h); /* alone, a value is its own min and max: exact */
			hist_record(h, each[k]);
			assert_int_equal(hist_percentile(h, 50), each[k]);
			assert_true(hist_bucket_lower(hist_index(each[k])) <= each[k]);
			assert_true(hist_bucket_upper(hist_index(each[k])) >= each[k]);
		}
		if (m >= 7) /* a power of two starts a row */
			assert_int_equal(hist_bucket_lower(hist_index(p2)), p2);
	}
	v[n++] = UINT64_MAX; /* 2^64 - 1 */
	free(h);
	check_percentiles("2^m and 2^m +- 1", v, n);
}

static void test_zero_and_one(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	hist_record(h, 0);
	assert_int_equal(h->count, 1);
	assert_int_equal(hist_percentile(h, 50), 0);
	assert_int_equal(hist_percentile(h, 100), 0);
	hist_record(h, 1);
	assert_int_equal(hist_percentile(h, 0), 0);
	assert_int_equal(hist_percentile(h, 50), 0);
	assert_int_equal(hist_percentile(h, 50.1), 1);
	assert_int_equal(hist_percentile(h, 100), 1);
	assert_true(hist_mean_ns(h) == 0.5);
	free(h);
}

static void test_uint64_max(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	hist_record(h, 0);
	hist_record_n(h, UINT64_MAX, 3);
	assert_int_equal(h->b[HIST_BUCKETS - 1], 3);
	assert_int_equal(hist_percentile(h, 25), 0);
	/* the top bucket is 2^56 wide: its middle, within 1/256 of the value */
	assert_close("UINT64_MAX", 50, UINT64_MAX, hist_percentile(h, 50));
	assert_close("UINT64_MAX", 99.9, UINT64_MAX, hist_percentile(h, 99.9));
	assert_int_equal(hist_percentile(h, 100), UINT64_MAX);
	/* the sum does not wrap: 3 * (2^64 - 1) needs 66 bits */
	assert_true(h->sum_ns == (unsigned __int128)UINT64_MAX * 3);
	assert_true(fabs(hist_mean_ns(h) - 0.75 * 18446744073709551615.0) < 1e4);
	free(h);
}

static void test_empty(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	assert_int_equal(hist_percentile(h, 50), 0);
	assert_int_equal(hist_percentile(h, 0), 0);
	assert_int_equal(hist_percentile(h, 100), 0);
	assert_true(hist_mean_ns(h) == 0);
	hist_record_n(h, 5, 0); /* nothing recorded: still empty */
	assert_int_equal(h->count, 0);
	assert_int_equal(h->min, UINT64_MAX);
	assert_int_equal(h->max, 0);
	free(h);
}

/* ---- merge ------------------------------------------------------------------- */

static void assert_same(const struct hist *a, const struct hist *b)
{
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->min, b->min);
	assert_int_equal(a->max, b->max);
	assert_true(a->sum_ns == b->sum_ns);
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		if (a->b[i] != b->b[i])
			fail_msg("bucket %u (upper %" PRIu64 "): expected %" PRIu64
				 ", got %" PRIu64,
				 i, hist_bucket_upper(i), a->b[i], b->b[i]);
}

static void test_merge(void **state)
{
	(void)state;
	struct hist *all = hist_new(), *merged = hist_new(), *part[8];
	for (int k = 0; k < 8; k++)
		part[k] = hist_new();
	for (int k = 2; k <= 8; k++) {
		rng_state = (uint64_t)k * 100;
		hist_init(all);
		hist_init(merged);
		for (int i = 0; i < k; i++)
			hist_init(part[i]);
		for (int i = 0; i < 20000; i++) {
			uint64_t v = i == 0 ? 0 : log_uniform(1, 100 * SEC);
			hist_record(all, v);
			hist_record(part[rng() % (uint64_t)k], v);
		}
		for (int i = 0; i < k; i++)
			hist_merge(merged, part[i]);
		assert_same(all, merged);
		for (int pm = 0; pm <= 100000; pm += 100)
			assert_int_equal(hist_percentile(all, pm / 1000.0),
					 hist_percentile(merged, pm / 1000.0));
		assert_true(hist_mean_ns(all) == hist_mean_ns(merged));
	}
	/* merging an empty one changes nothing, into an empty one copies */
	hist_init(part[0]);
	hist_merge(merged, part[0]);
	assert_same(all, merged);
	hist_merge(part[0], all);
	assert_same(all, part[0]);
	for (int k = 0; k < 8; k++)
		free(part[k]);
	free(all);
	free(merged);
}

/* ---- JSON -------------------------------------------------------------------- */

/* hist_json -> text -> parse -> hist_from_json, as a file would go. */
static int round_trip(const struct hist *h, struct hist *out, char *err, size_t errlen)
{
	json_t *j = hist_json(h);
	assert_non_null(j);
	char *text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	json_decref(j);
	json_error_t jerr;
	j = json_loads(text, 0, &jerr);
	if (!j)
		fail_msg("hist_json wrote what jansson cannot read back: %s\n%s", jerr.text, text);
	int rc = hist_from_json(out, j, err, errlen);
	json_decref(j);
	free(text);
	return rc;
}

static void test_json_shape(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	rng_state = 5;
	for (int i = 0; i < 5000; i++)
		hist_record(h, log_uniform(US, 100 * SEC));
	json_t *j = hist_json(h), *bk = json_object_get(j, "buckets"), *pair;
	assert_string_equal(json_string_value(json_object_get(j, "scheme")), hist_scheme());
	assert_true(json_is_array(bk));
	size_t i;
	uint64_t total = 0, prev = 0, nonempty = 0;
	json_array_foreach(bk, i, pair)
	{
		uint64_t up = (uint64_t)json_integer_value(json_array_get(pair, 0));
		uint64_t n = (uint64_t)json_integer_value(json_array_get(pair, 1));
		assert_true(n > 0);					 /* non-empty only */
		assert_true(i == 0 || up > prev);			 /* ascending */
		assert_int_equal(hist_bucket_upper(hist_index(up)), up); /* an edge */
		assert_int_equal(h->b[hist_index(up)], n);
		total += n;
		prev = up;
	}
	for (unsigned b = 0; b < HIST_BUCKETS; b++)
		nonempty += h->b[b] != 0;
	assert_int_equal(json_array_size(bk), nonempty);
	assert_int_equal(total, h->count);
	json_decref(j);
	free(h);
}

static void test_json_round_trip(void **state)
{
	(void)state;
	struct hist *h = hist_new(), *back = hist_new();
	char err[256] = "";
	rng_state = 6;
	hist_record(h, 0);
	hist_record(h, 1);
	for (int i = 0; i < 20000; i++)
		hist_record(h, log_uniform(1, 100 * SEC));
	if (round_trip(h, back, err, sizeof(err)) < 0)
		fail_msg("round trip: %s", err);
	assert_same(h, back);

	hist_init(h); /* empty */
	assert_int_equal(round_trip(h, back, err, sizeof(err)), 0);
	assert_same(h, back);

	/* above INT64_MAX numbers travel as reals: buckets, min and max still
	 * come back exact; the sum (a real of 2^66) only to double precision */
	hist_init(h);
	uint64_t big[] = {12345, INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX - 1, UINT64_MAX};
	for (size_t k = 0; k < sizeof(big) / sizeof(big[0]); k++)
		hist_record(h, big[k]);
	if (round_trip(h, back, err, sizeof(err)) < 0)
		fail_msg("round trip above INT64_MAX: %s", err);
	assert_int_equal(back->count, h->count);
	assert_int_equal(back->min, h->min);
	assert_int_equal(back->max, h->max);
	assert_memory_equal(back->b, h->b, sizeof(h->b));
	double s0 = (double)(long double)h->sum_ns, s1 = (double)(long double)back->sum_ns;
	assert_true(fabs(s0 - s1) <= s0 * 1e-15);

	/* a max just under 2^64 whose double rounds up to 2^64 */
	hist_init(h);
	hist_record(h, UINT64_MAX - 1000);
	assert_int_equal(round_trip(h, back, err, sizeof(err)), 0);
	assert_int_equal(back->b[HIST_BUCKETS - 1], 1);
	assert_true(back->max >= hist_bucket_lower(HIST_BUCKETS - 1));
	free(h);
	free(back);
}

/* Parse `text` with every "@" replaced by our scheme name. */
static json_t *load(const char *text)
{
	char buf[1024];
	size_t n = 0;
	for (const char *p = text; *p && n < sizeof(buf) - 64; p++)
		if (*p == '@')
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", hist_scheme());
		else
			buf[n++] = *p;
	buf[n] = '\0';
	json_error_t jerr;
	json_t *j = json_loads(buf, JSON_DECODE_ANY, &jerr);
	if (!j)
		fail_msg("test JSON does not parse: %s: %s", jerr.text, buf);
	return j;
}

static void test_json_wrong_scheme(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	char err[256] = "";
	json_t *j = load("{\"scheme\": \"log-linear ns sub_bits=5\", \"buckets\": [[1003, 1]]}");
	assert_int_equal(hist_from_json(h, j, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "log-linear ns sub_bits=5"));
	assert_non_null(strstr(err, hist_scheme()));
	json_decref(j);
	free(h);
}

static void test_json_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "[]",
	    "{\"buckets\": []}",
	    "{\"scheme\": 7, \"buckets\": []}",
	    "{\"scheme\": \"@\"}",
	    "{\"scheme\": \"@\", \"buckets\": {}}",
	    "{\"scheme\": \"@\", \"buckets\": \"1003:1\"}",
	    "{\"scheme\": \"@\", \"buckets\": [1003, 1]}",
	    "{\"scheme\": \"@\", \"buckets\": [[1003]]}",
	    "{\"scheme\": \"@\", \"buckets\": [[1003, 1, 2]]}",
	    "{\"scheme\": \"@\", \"buckets\": [[1000, 1]]}",   /* not an edge */
	    "{\"scheme\": \"@\", \"buckets\": [[1003, -1]]}",  /* negative count */
	    "{\"scheme\": \"@\", \"buckets\": [[1003, 1.5]]}", /* fractional count */
	    "{\"scheme\": \"@\", \"buckets\": [[-1, 1]]}",
	    "{\"scheme\": \"@\", \"buckets\": [[1003.0, 1]]}", /* real below 2^63 */
	    "{\"scheme\": \"@\", \"buckets\": [[\"1003\", 1]]}",
	    "{\"scheme\": \"@\", \"buckets\": [[1003, 1], [999, 1]]}",	/* descending */
	    "{\"scheme\": \"@\", \"buckets\": [[1003, 1], [1003, 1]]}", /* repeated */
	    "{\"scheme\": \"@\", \"buckets\": [[1e19, 1]]}",		/* not an edge */
	    "{\"scheme\": \"@\", \"count\": 5, \"buckets\": [[1003, 1]]}",
	    "{\"scheme\": \"@\", \"min_ns\": 5, \"buckets\": [[1003, 1]]}",
	    "{\"scheme\": \"@\", \"max_ns\": 2000, \"buckets\": [[1003, 1]]}",
	    "{\"scheme\": \"@\", \"min_ns\": null, \"buckets\": [[1003, 1]]}",
	    "{\"scheme\": \"@\", \"sum_ns\": -1, \"buckets\": [[1003, 1]]}",
	    "{\"scheme\": \"@\", \"buckets\": [[1003, 9223372036854775807], "
	    "[9223372036854775807, 9223372036854775807], "
	    "[18446744073709551616.0, 9223372036854775807]]}", /* counts overflow */
	};
	struct hist *h = hist_new();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";
		json_t *j = load(bad[i]);
		if (hist_from_json(h, j, err, sizeof(err)) != -1)
			fail_msg("accepted malformed histogram %s", bad[i]);
		if (!err[0])
			fail_msg("no message for malformed histogram %s", bad[i]);
		assert_int_equal(h->count, 0); /* left empty */
		json_decref(j);
	}
	free(h);
}

/* Written by hand or by another tool: no totals, they come from the buckets. */
static void test_json_without_totals(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	char err[256] = "";
	json_t *j =
	    load("{\"scheme\": \"@\", \"buckets\": [[5, 2], [1003, 1], [18446744073709551616.0, "
		 "1]]}");
	if (hist_from_json(h, j, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(h->count, 4);
	assert_int_equal(h->b[5], 2);
	assert_int_equal(h->b[hist_index(1000)], 1);
	assert_int_equal(h->b[HIST_BUCKETS - 1], 1);
	assert_int_equal(h->min, 5);
	assert_int_equal(h->max, UINT64_MAX);
	/* 5 + 5 + 1001 (middle of 1000..1003) + middle of the top bucket */
	uint64_t top = hist_bucket_lower(HIST_BUCKETS - 1);
	assert_true(h->sum_ns == 1011 + (unsigned __int128)(top + (UINT64_MAX - top) / 2));
	json_decref(j);
	free(h);
}

static void test_latency_json(void **state)
{
	(void)state;
	static const char *const keys[] = {"min", "p50", "p90", "p99", "p999", "max", "mean"};
	struct hist *h = hist_new();
	json_t *j = hist_latency_json(h);
	for (size_t k = 0; k < 7; k++) {
		assert_true(json_object_get(j, keys[k]) != NULL); /* present ... */
		if (!json_is_null(json_object_get(j, keys[k])))	  /* ... as null */
			fail_msg("empty histogram: \"%s\" is not null", keys[k]);
	}
	json_t *hj = json_object_get(j, "histogram");
	assert_string_equal(json_string_value(json_object_get(hj, "scheme")), hist_scheme());
	assert_int_equal(json_array_size(json_object_get(hj, "buckets")), 0);
	json_decref(j);

	for (uint64_t v = 1; v <= 1000; v++) /* 1 us .. 1 ms */
		hist_record(h, v * US);
	j = hist_latency_json(h);
	static const double p[] = {0, 50, 90, 99, 99.9, 100};
	for (size_t k = 0; k < 6; k++) {
		json_t *x = json_object_get(j, keys[k]);
		assert_true(json_is_real(x));
		assert_true(json_real_value(x) == (double)hist_percentile(h, p[k]) / 1e3);
	}
	assert_true(json_real_value(json_object_get(j, "min")) == 1.0);
	assert_true(json_real_value(json_object_get(j, "max")) == 1000.0);
	assert_true(fabs(json_real_value(json_object_get(j, "p50")) - 500) <= 500.0 / 256);
	assert_true(json_real_value(json_object_get(j, "mean")) == 500.5);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "histogram"), "count")), 1000);
	json_decref(j);
	free(h);
}

/* hist_record_omitted against the loop it replaces (HdrHistogram's
 * recordValueWithExpectedInterval without the value): bucket for bucket
 * the same counts, min and max exact, sum within 1 ns a sample. */
static void omitted_vs_loop(uint64_t ns, uint64_t every, uint64_t n)
{
	struct hist *a = hist_new(), *b = hist_new();
	uint64_t got = hist_record_omitted(a, ns, every, n), want = 0;
	for (uint64_t k = 1; every && k < ns / every; k++) {
		hist_record_n(b, ns - k * every, n);
		want += n;
	}
	if (got != want || a->count != want)
		fail_msg("hist_record_omitted(%" PRIu64 ", %" PRIu64 ", %" PRIu64
			 "): expected %" PRIu64 " samples, got %" PRIu64 " (count %" PRIu64 ")",
			 ns, every, n, want, got, a->count);
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		if (a->b[i] != b->b[i])
			fail_msg("ns %" PRIu64 " every %" PRIu64 ": bucket %u: expected %" PRIu64
				 ", got %" PRIu64,
				 ns, every, i, b->b[i], a->b[i]);
	if (want) {
		assert_int_equal(a->min, b->min);
		assert_int_equal(a->max, b->max);
		unsigned __int128 d =
		    a->sum_ns > b->sum_ns ? a->sum_ns - b->sum_ns : b->sum_ns - a->sum_ns;
		assert_true(d <= want);
	}
	free(a);
	free(b);
}

static void test_omitted(void **state)
{
	(void)state;
	/* the first case: 1 s waited where a reply took 35 us - 28570 requests
	 * not sent, from 999.965 ms down to 35 us */
	omitted_vs_loop(SEC, 35 * US, 1);
	assert_int_equal(SEC / (35 * US) - 1, 28570);
	omitted_vs_loop(SEC, 35 * US, 9);
	omitted_vs_loop(3 * US, US, 2);	    /* 2 us, 1 us */
	omitted_vs_loop(2 * US, US, 1);	    /* 1 us */
	omitted_vs_loop(2 * US - 1, US, 1); /* under 2 intervals: none */
	omitted_vs_loop(5 * US, 7 * US, 1); /* under one interval: none */
	omitted_vs_loop(300, 1, 1);	    /* the exact buckets below 256 ns */
	rng_state = 13;
	for (int k = 0; k < 200; k++) {
		uint64_t every = uniform(1, 2000000), ns = uniform(0, 400 * every);
		omitted_vs_loop(ns, every, uniform(1, 5));
	}
	struct hist *h = hist_new();
	assert_int_equal(hist_record_omitted(h, SEC, 0, 1), 0); /* no interval */
	assert_int_equal(hist_record_omitted(h, SEC, US, 0), 0);
	assert_int_equal(h->count, 0);
	assert_int_equal(h->min, UINT64_MAX); /* nothing recorded, nothing touched */
	/* 100 s at 1 us: 10^8 samples, recorded bucket by bucket */
	assert_int_equal(hist_record_omitted(h, 100 * SEC, US, 1), 100000000 - 1);
	assert_int_equal(h->count, 100000000 - 1);
	assert_int_equal(h->min, US);
	assert_int_equal(h->max, 100 * SEC - US);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_every_bucket_edge),
	    cmocka_unit_test(test_rank_is_ceil),
	    cmocka_unit_test(test_uniform),
	    cmocka_unit_test(test_log_uniform),
	    cmocka_unit_test(test_constant),
	    cmocka_unit_test(test_bimodal),
	    cmocka_unit_test(test_boundaries),
	    cmocka_unit_test(test_zero_and_one),
	    cmocka_unit_test(test_uint64_max),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_json_shape),
	    cmocka_unit_test(test_json_round_trip),
	    cmocka_unit_test(test_json_wrong_scheme),
	    cmocka_unit_test(test_json_malformed),
	    cmocka_unit_test(test_json_without_totals),
	    cmocka_unit_test(test_latency_json),
	    cmocka_unit_test(test_omitted),
	};
	return cmocka_run_group_tests_name("hist", tests, NULL, NULL);
}

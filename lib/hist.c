/* hist.c - log-linear latency histogram (HdrHistogram's layout, one file).
 *
 * Index of a value v, with S = HIST_SUB_BITS = 7:
 *   v < 2^S:         v itself (one bucket per nanosecond)
 *   2^m <= v < 2^(m+1), m >= S: keep the top S+1 bits of v, i.e.
 *                    shift = m - S, top = v >> shift (128..255), and
 *                    index = shift * 2^S + top
 * The second line with m = S gives shift 0 and index = v, so the two cases
 * join without a gap: indexes 0..255 are the exact values 0..255, and each
 * further power of two adds one row of 128 buckets, 2^shift ns wide. Forcing
 * bit S on (v | 2^S) makes the first line a case of the second, so recording
 * has no branch. Row 56 (shift 56) ends with UINT64_MAX: the whole range.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sockbench/hist.h"

#define STR_(x) #x
#define STR(x)	STR_(x)

/* 2^63 and 2^64 as doubles: where jansson's signed integers stop. */
#define TWO63 9223372036854775808.0
#define TWO64 18446744073709551616.0

const char *hist_scheme(void)
{
	return "log-linear ns sub_bits=" STR(HIST_SUB_BITS);
}

unsigned hist_index(uint64_t ns)
{
	/* clz of a value with bit S set is at most 63 - S, so shift >= 0 */
	unsigned shift = (unsigned)(63 - HIST_SUB_BITS - __builtin_clzll(ns | HIST_SUB));
	return (shift << HIST_SUB_BITS) + (unsigned)(ns >> shift);
}

uint64_t hist_bucket_lower(unsigned index)
{
	if (index < HIST_SUB)
		return index;
	unsigned shift = (index >> HIST_SUB_BITS) - 1;
	return (uint64_t)(HIST_SUB + (index & (HIST_SUB - 1))) << shift;
}

uint64_t hist_bucket_upper(unsigned index)
{
	if (index < HIST_SUB)
		return index;
	unsigned shift = (index >> HIST_SUB_BITS) - 1;
	/* width 2^shift; the top bucket's upper edge is exactly UINT64_MAX */
	return hist_bucket_lower(index) + ((UINT64_C(1) << shift) - 1);
}

/* What a percentile reports: the middle of the bucket (rounded down), which
 * is within half a bucket - 1/256 of the lower edge - of any value in it. */
static uint64_t bucket_mid(unsigned index)
{
	uint64_t lo = hist_bucket_lower(index);
	return lo + (hist_bucket_upper(index) - lo) / 2;
}

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void hist_record(struct hist *h, uint64_t ns)
{
	h->b[hist_index(ns)]++;
	h->count++;
	h->sum_ns += ns;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
}

void hist_record_n(struct hist *h, uint64_t ns, uint64_t n)
{
	if (!n)
		return; /* min and max describe recorded samples only */
	h->b[hist_index(ns)] += n;
	h->count += n;
	h->sum_ns += (unsigned __int128)ns * n;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
}

uint64_t hist_record_omitted(struct hist *h, uint64_t ns, uint64_t interval, uint64_t n)
{
	if (!interval || !n || ns / interval < 2)
		return 0;
	/* v_k = ns - k * interval for k = 1 .. kmax, all >= interval */
	uint64_t kmax = ns / interval - 1, total = 0;
	unsigned first = hist_index(ns - kmax * interval), last = hist_index(ns - interval);
	for (unsigned i = first; i <= last; i++) {
		uint64_t lo = hist_bucket_lower(i), hi = hist_bucket_upper(i);
		/* the k whose v_k is in [lo, hi]: ns - hi <= k * interval <= ns - lo */
		uint64_t k0 = ns > hi ? (ns - hi) / interval + ((ns - hi) % interval != 0) : 0;
		uint64_t k1 = (ns - lo) / interval;
		if (k0 < 1)
			k0 = 1;
		if (k1 > kmax)
			k1 = kmax;
		if (k0 > k1)
			continue;
		/* their mean, v at the middle k: inside [lo, hi] */
		uint64_t v = ns - k0 * interval - (k1 - k0) * interval / 2;
		hist_record_n(h, v, (k1 - k0 + 1) * n);
		total += (k1 - k0 + 1) * n;
	}
	/* the outer values exactly: each is in the bucket that counted it */
	if (ns - kmax * interval < h->min)
		h->min = ns - kmax * interval;
	if (ns - interval > h->max)
		h->max = ns - interval;
	return total;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (!src->count)
		return;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

/* ceil(p/100 * count) in [1, count]. p/100 is rarely exact in binary
 * (99.9/100 * 1000 is 999.0000000000001), and a plain ceil would then step
 * one sample too far; forgiving a relative 1e-12 undoes that rounding for
 * any p written with a few decimals. */
static uint64_t rank_of(uint64_t count, double p)
{
	double x = p / 100.0 * (double)count;
	x = ceil(x - x * 1e-12);
	if (x < 1)
		return 1;
	if (x >= (double)count) /* also keeps the conversion below defined */
		return count;
	return (uint64_t)x;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	if (!h->count)
		return 0;
	if (!(p > 0)) /* also NaN */
		return h->min;
	if (p >= 100)
		return h->max;
	uint64_t rank = rank_of(h->count, p), seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen < rank)
			continue;
		/* the edge buckets hold min and max exactly: never report
		 * a value outside what was seen */
		uint64_t v = bucket_mid(i);
		return v < h->min ? h->min : v > h->max ? h->max : v;
	}
	return h->max; /* only if the buckets do not add up to count */
}

double hist_mean_ns(const struct hist *h)
{
	if (!h->count)
		return 0;
	return (double)((long double)h->sum_ns / (long double)h->count);
}

/* ---- JSON ---------------------------------------------------------------- */

/* jansson's integers are long long: above INT64_MAX we write a real. */
static json_t *u64_json(uint64_t v)
{
	return v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
}

static json_t *u128_json(unsigned __int128 v)
{
	return v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)(long double)v);
}

json_t *hist_json(const struct hist *h)
{
	json_t *o = json_object(), *bk = json_array();
	int rc = o && bk ? 0 : -1;
	for (unsigned i = 0; i < HIST_BUCKETS && !rc; i++) {
		if (!h->b[i])
			continue;
		/* a bucket count above INT64_MAX would take 292 years at 1e9/s */
		rc = json_array_append_new(
		    bk, json_pack("[oI]", u64_json(hist_bucket_upper(i)), (json_int_t)h->b[i]));
	}
	rc |= json_object_set_new(o, "scheme", json_string(hist_scheme()));
	rc |= json_object_set_new(o, "count", json_integer((json_int_t)h->count));
	rc |= json_object_set_new(o, "min_ns", h->count ? u64_json(h->min) : json_null());
	rc |= json_object_set_new(o, "max_ns", h->count ? u64_json(h->max) : json_null());
	rc |= json_object_set_new(o, "sum_ns", u128_json(h->sum_ns));
	rc |= json_object_set_new(o, "buckets", bk); /* takes bk, even on failure */
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A number hist_json wrote for a uint64: an integer >= 0, or a real from
 * 2^63 up (rounded, saturating at UINT64_MAX; *real says which it was). */
static int json_u64(const json_t *j, uint64_t *v, int *real)
{
	*real = json_is_real(j);
	if (json_is_integer(j)) {
		if (json_integer_value(j) < 0)
			return -1;
		*v = (uint64_t)json_integer_value(j);
		return 0;
	}
	if (!*real)
		return -1;
	double x = json_real_value(j);
	if (!(x >= TWO63 && x <= TWO64))
		return -1;
	*v = x >= TWO64 ? UINT64_MAX : (uint64_t)x;
	return 0;
}

/* The bucket whose upper edge is `j`; -1 if `j` is no bucket's upper edge. */
static int upper_index(const json_t *j, unsigned *index)
{
	uint64_t v;
	int real;
	if (json_u64(j, &v, &real) < 0)
		return -1;
	if (!real) {
		*index = hist_index(v);
		return hist_bucket_upper(*index) == v ? 0 : -1;
	}
	/* Up there buckets are >= 2^55 wide and a double's step is 2^11, so
	 * an upper edge (lower + 2^shift - 1) rounds up to the next bucket's
	 * lower edge, and v - 1 is back inside the bucket. */
	*index = hist_index(v == UINT64_MAX ? v : v - 1);
	return (double)hist_bucket_upper(*index) == json_real_value(j) ? 0 : -1;
}

/* min or max as written: it must lie in bucket `index` (for a real, its
 * rounding must; the value is then put back inside the bucket). */
static int edge_value(const json_t *j, unsigned index, uint64_t *out)
{
	uint64_t v, lo = hist_bucket_lower(index), hi = hist_bucket_upper(index);
	int real;
	if (json_u64(j, &v, &real) < 0)
		return -1;
	if (real) {
		double x = json_real_value(j);
		if (x < (double)lo || x > (double)hi)
			return -1;
		v = v < lo ? lo : v > hi ? hi : v;
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int read_buckets(struct hist *h, const json_t *bk, char *err, size_t errlen)
{
	size_t i;
	json_t *pair;
	unsigned next = 0; /* lowest index the next pair may name: ascending */

	if (!json_is_array(bk)) {
		snprintf(err, errlen, "histogram: \"buckets\" is not an array");
		return -1;
	}
	json_array_foreach(bk, i, pair)
	{
		unsigned index;
		json_t *c = json_array_get(pair, 1); /* NULL unless a pair */
		if (!json_is_array(pair) || json_array_size(pair) != 2) {
			snprintf(err, errlen,
				 "histogram: bucket %zu is not an [upper_ns, count] pair", i);
			return -1;
		}
		if (upper_index(json_array_get(pair, 0), &index) < 0) {
			snprintf(err, errlen,
				 "histogram: bucket %zu: upper_ns is not a bucket edge of '%s'", i,
				 hist_scheme());
			return -1;
		}
		if (index < next) {
			snprintf(err, errlen,
				 "histogram: bucket %zu is not above the one before it", i);
			return -1;
		}
		if (!json_is_integer(c) || json_integer_value(c) < 0) {
			snprintf(err, errlen, "histogram: bucket %zu: count is not an integer >= 0",
				 i);
			return -1;
		}
		uint64_t n = (uint64_t)json_integer_value(c);
		if (h->count + n < h->count) {
			snprintf(err, errlen, "histogram: bucket counts overflow 64 bits");
			return -1;
		}
		h->b[index] = n;
		h->count += n;
		next = index + 1;
	}
	return 0;
}

/* count, min_ns, max_ns, sum_ns: checked against the buckets when present,
 * taken from them when not. */
static int read_totals(struct hist *h, const json_t *j, char *err, size_t errlen)
{
	json_t *c = json_object_get(j, "count"), *mn = json_object_get(j, "min_ns"),
	       *mx = json_object_get(j, "max_ns"), *sum = json_object_get(j, "sum_ns");
	unsigned first = 0, last = 0;

	if (c && (!json_is_integer(c) || (uint64_t)json_integer_value(c) != h->count)) {
		snprintf(err, errlen,
			 "histogram: \"count\" is not the sum of the buckets (%" PRIu64 ")",
			 h->count);
		return -1;
	}
	if (!h->count)
		return 0; /* nothing to say about min, max, sum */
	while (!h->b[first])
		first++;
	for (last = HIST_BUCKETS - 1; !h->b[last]; last--)
		;
	h->min = hist_bucket_lower(first);
	h->max = hist_bucket_upper(last);
	if (mn && edge_value(mn, first, &h->min) < 0) {
		snprintf(err, errlen, "histogram: \"min_ns\" is not in the lowest bucket");
		return -1;
	}
	if (mx && edge_value(mx, last, &h->max) < 0) {
		snprintf(err, errlen, "histogram: \"max_ns\" is not in the highest bucket");
		return -1;
	}
	/* both in one bucket (one sample, or all alike): the bucket check
	 * alone lets min pass max, and every percentile would be nonsense */
	if (h->min > h->max) {
		snprintf(err, errlen, "histogram: \"min_ns\" is above \"max_ns\"");
		return -1;
	}
	if (!sum) {
		for (unsigned i = first; i <= last; i++)
			h->sum_ns += (unsigned __int128)bucket_mid(i) * h->b[i];
	} else if (json_is_integer(sum) && json_integer_value(sum) >= 0) {
		h->sum_ns = (uint64_t)json_integer_value(sum);
	} else if (json_is_real(sum) && json_real_value(sum) >= TWO63 &&
		   json_real_value(sum) < 0x1p127) {
		h->sum_ns = (unsigned __int128)(long double)json_real_value(sum);
	} else {
		snprintf(err, errlen, "histogram: \"sum_ns\" is not a number >= 0");
		return -1;
	}
	return 0;
}

int hist_from_json(struct hist *h, const json_t *j, char *err, size_t errlen)
{
	const char *scheme = json_string_value(json_object_get(j, "scheme"));

	hist_init(h);
	if (!json_is_object(j)) {
		snprintf(err, errlen, "histogram: not a JSON object");
		return -1;
	}
	if (!scheme) {
		snprintf(err, errlen, "histogram: no \"scheme\" string (expected '%s')",
			 hist_scheme());
		return -1;
	}
	/* another layout's buckets would land in the wrong places: refuse */
	if (strcmp(scheme, hist_scheme())) {
		snprintf(err, errlen, "histogram scheme '%s' is not '%s': cannot read or merge it",
			 scheme, hist_scheme());
		return -1;
	}
	if (read_buckets(h, json_object_get(j, "buckets"), err, errlen) < 0 ||
	    read_totals(h, j, err, errlen) < 0) {
		hist_init(h);
		return -1;
	}
	return 0;
}

json_t *hist_latency_json(const struct hist *h)
{
	static const struct {
		const char *key;
		double p;
	} pct[] = {{"min", 0}, {"p50", 50}, {"p90", 90}, {"p99", 99}, {"p999", 99.9}, {"max", 100}};
	json_t *o = json_object();
	int rc = o ? 0 : -1;

	for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]) && !rc; i++)
		rc = json_object_set_new(
		    o, pct[i].key,
		    h->count ? json_real((double)hist_percentile(h, pct[i].p) / 1e3) : json_null());
	rc |= json_object_set_new(o, "mean",
				  h->count ? json_real(hist_mean_ns(h) / 1e3) : json_null());
	rc |= json_object_set_new(o, "histogram", hist_json(h));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

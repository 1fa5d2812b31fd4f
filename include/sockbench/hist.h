/* hist.h - latency histogram: log-linear buckets over nanoseconds.
 *
 * The layout of HdrHistogram, in one small file (Debian packages no C
 * HdrHistogram). Values below 2^HIST_SUB_BITS ns get one bucket each; above
 * that, every power of two [2^m, 2^(m+1)) is cut into 2^HIST_SUB_BITS equal
 * sub-buckets, so a bucket is never wider than 1/128 of its lower edge and
 * its midpoint is within 1/256 (0.39%) of any value in it. The whole uint64
 * range fits in HIST_BUCKETS counters: fixed memory (~59 KB), no allocation,
 * and two histograms merge exactly by adding counters - across threads, runs
 * and machines, as long as both use the same layout (hist_scheme()).
 *
 * Library code: nothing here prints; hist_from_json fills an error buffer.
 */
#ifndef SOCKBENCH_HIST_H
#define SOCKBENCH_HIST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define HIST_SUB_BITS 7 /* 128 linear sub-buckets per power of two: <= 0.78% bucket width */
#define HIST_SUB      (1u << HIST_SUB_BITS)
/* Indexes 0..2*HIST_SUB-1 are the exact values 0..255 (powers below 2^7 and
 * the power 2^7 itself, whose sub-buckets are 1 ns wide); then one row of
 * HIST_SUB buckets for each power 2^8 .. 2^63: (64 - 7 + 1) rows of 128. */
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count;		  /* samples recorded */
	uint64_t min, max;	  /* exact; min is UINT64_MAX and max 0 while empty */
	unsigned __int128 sum_ns; /* exact: 1e9 samples of 100 s is ~2^87 ns */
	uint64_t b[HIST_BUCKETS];
};

void hist_init(struct hist *h);
/* Hot path: a clz, a shift and four stores; no division, no float. */
void hist_record(struct hist *h, uint64_t ns);
/* `n` samples of the same value (n == 0 records nothing). */
void hist_record_n(struct hist *h, uint64_t ns, uint64_t n);
/* Coordinated omission, HdrHistogram's recordValueWithExpectedInterval
 * without the value itself: a closed-loop client that waited `ns` for a
 * reply, where one every `interval` ns was the norm, did not send the
 * requests it would have sent meanwhile; they would have waited
 * ns - interval, ns - 2 * interval, ... down to interval.  Records those,
 * n times each, bucket by bucket (O(buckets) whatever ns / interval; each
 * bucket's share at the mean of its values, so sum_ns is exact to 1 ns a
 * sample, min and max exact).  Returns the number of samples recorded (0 when ns < 2 *
 * interval or interval is 0). */
uint64_t hist_record_omitted(struct hist *h, uint64_t ns, uint64_t interval, uint64_t n);
/* dst += src, bucket by bucket: exact, as if dst had seen src's samples. */
void hist_merge(struct hist *dst, const struct hist *src);

/* The value at percentile p (clamped to [0, 100]; NaN reads as 0): the
 * midpoint of the first bucket where the running count reaches
 * ceil(p/100 * count), clamped to [min, max]. p = 0 is min, p = 100 is max.
 * Exact below 256 ns, within 0.4% above. 0 when the histogram is empty. */
uint64_t hist_percentile(const struct hist *h, double p);
/* Exact mean of what was recorded (from sum_ns); 0 when empty. */
double hist_mean_ns(const struct hist *h);

/* Bucket arithmetic, for JSON and for tests. */
unsigned hist_index(uint64_t ns);	    /* the bucket `ns` is counted in */
uint64_t hist_bucket_lower(unsigned index); /* lowest value counted in it */
uint64_t hist_bucket_upper(unsigned index); /* highest value counted in it */

/* "log-linear ns sub_bits=7": names the layout, so that histograms written by
 * another layout are refused rather than merged into nonsense. */
const char *hist_scheme(void);

/* {"scheme": hist_scheme(), "count": n, "min_ns": n, "max_ns": n, "sum_ns": n,
 *  "buckets": [[upper_ns, count], ...]} - non-empty buckets only, ascending;
 * upper_ns is the highest value the bucket holds. min_ns and max_ns are null
 * while empty. jansson integers are signed 64-bit, so a number above
 * INT64_MAX (2^63 ns is 292 years: only a corrupt clock gets there) is written
 * as a real. NULL when out of memory. */
json_t *hist_json(const struct hist *h);
/* The inverse of hist_json: 0, or -1 with `err` saying what is wrong (another
 * scheme, or a malformed object) and `h` left empty. "count", "min_ns",
 * "max_ns" and "sum_ns" may be missing (a histogram written by hand or by
 * another tool): they are then taken from the buckets - min and max as the
 * outer bucket edges, the sum from the bucket midpoints. The result is
 * identical to what was written, except numbers above INT64_MAX, which went
 * through a double (min and max then stay inside their buckets). */
int hist_from_json(struct hist *h, const json_t *j, char *err, size_t errlen);

/* {"min", "p50", "p90", "p99", "p999", "max", "mean"} in microseconds (reals),
 * then "histogram": hist_json(h); when the histogram is empty every figure
 * is null. NULL when out of memory. */
json_t *hist_latency_json(const struct hist *h);

#endif

/* fuzz_hist.c - reading a latency histogram from JSON (hist_from_json).
 *
 * Input: 1 byte for the error buffer's length, then JSON text, the
 * "histogram" object of a run file. Whatever hist_from_json accepts must be
 * a consistent histogram: count is the sum of the buckets, min and max lie
 * in the lowest and highest non-empty bucket, percentiles rise with p and
 * stay in [min, max]. Written back with hist_json and read again it must
 * come back the same (numbers above INT64_MAX go through a double and may
 * move inside their bucket, as hist.h says). What it refuses must leave the
 * histogram empty and say why within the buffer. The same text is also
 * tried as a whole latency object and as a merge of two copies.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "sockbench/hist.h"

/* Big (59 KB each): static, not on the stack. */
static struct hist h, back, sum;

static void check_consistent(const struct hist *x)
{
	uint64_t n = 0;
	unsigned first = HIST_BUCKETS, last = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		if (x->b[i]) {
			n += x->b[i];
			first = first < i ? first : i;
			last = i;
		}
	FUZZ_CHECK(n == x->count, "count %" PRIu64 ", buckets hold %" PRIu64, x->count, n);
	if (!n) {
		FUZZ_CHECK(hist_percentile(x, 50) == 0, "empty histogram has a p50");
		return;
	}
	FUZZ_CHECK(x->min >= hist_bucket_lower(first) && x->min <= hist_bucket_upper(first),
		   "min %" PRIu64 " is not in bucket %u", x->min, first);
	FUZZ_CHECK(x->max >= hist_bucket_lower(last) && x->max <= hist_bucket_upper(last),
		   "max %" PRIu64 " is not in bucket %u", x->max, last);
	uint64_t prev = 0;
	static const double ps[] = {0, 1, 50, 90, 99, 99.9, 100};
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
		uint64_t v = hist_percentile(x, ps[i]);
		FUZZ_CHECK(v >= x->min && v <= x->max && v >= prev,
			   "p%g = %" PRIu64 " (min %" PRIu64 ", max %" PRIu64 ", previous %" PRIu64
			   ")",
			   ps[i], v, x->min, x->max, prev);
		prev = v;
	}
	FUZZ_CHECK(hist_percentile(x, 0) == x->min && hist_percentile(x, 100) == x->max,
		   "p0/p100 are not min/max");
	(void)hist_mean_ns(x);
}

static void check_same(const struct hist *a, const struct hist *b)
{
	FUZZ_CHECK(a->count == b->count, "count %" PRIu64 " came back as %" PRIu64, a->count,
		   b->count);
	FUZZ_CHECK(!memcmp(a->b, b->b, sizeof a->b), "buckets changed on the way back");
	if (a->min <= INT64_MAX)
		FUZZ_CHECK(a->min == b->min, "min %" PRIu64 " came back as %" PRIu64, a->min,
			   b->min);
	if (a->max <= INT64_MAX)
		FUZZ_CHECK(a->max == b->max, "max %" PRIu64 " came back as %" PRIu64, a->max,
			   b->max);
	if (a->sum_ns <= INT64_MAX)
		FUZZ_CHECK(a->sum_ns == b->sum_ns, "sum changed on the way back");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t errlen = (size_t)fuzz_take(&data, &size, 1);
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!j)
		return 0;
	char *err = fuzz_errbuf(errlen);
	if (hist_from_json(&h, j, err, errlen) < 0) {
		fuzz_check_err(err, errlen);
		FUZZ_CHECK(h.count == 0 && h.max == 0 && h.min == UINT64_MAX && h.sum_ns == 0,
			   "a refused histogram is not left empty");
		for (unsigned i = 0; i < HIST_BUCKETS; i++)
			FUZZ_CHECK(!h.b[i], "a refused histogram keeps bucket %u", i);
	} else {
		check_consistent(&h);
		json_t *w = hist_json(&h);
		FUZZ_CHECK(w != NULL, "hist_json failed");
		char e[256];
		int rc = hist_from_json(&back, w, e, sizeof e);
		FUZZ_CHECK(rc == 0, "hist_json's own output is refused: %s", e);
		check_same(&h, &back);
		json_decref(w);
		/* plot.c passes no error buffer */
		FUZZ_CHECK(hist_from_json(&back, j, NULL, 0) == 0, "accepted only with a buffer");

		sum = h;
		hist_merge(&sum, &back);
		if (sum.count >= h.count) /* no wrap: the merge must hold both */
			check_consistent(&sum);
		json_t *lat = hist_latency_json(&h);
		FUZZ_CHECK(lat != NULL, "hist_latency_json failed");
		json_decref(lat);
	}
	/* a run file's latency object: {"p50": ..., "histogram": {...}} */
	if (json_is_object(j)) {
		json_t *inner = json_object_get(j, "histogram");
		if (inner && hist_from_json(&back, inner, err, errlen) < 0)
			fuzz_check_err(err, errlen);
	}
	free(err);
	json_decref(j);
	return 0;
}

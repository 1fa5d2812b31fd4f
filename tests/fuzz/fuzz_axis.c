/* fuzz_axis.c - sweep axes (bench/axis.c): lists, ranges, JSON, cells.
 *
 * Input: 1 byte of lengths and choices, then NUL-separated pieces: the
 * option name, then up to four axis texts ("1,8,64", "64..65536x2"). Each
 * text is parsed whole and item by item: the whole must be the items'
 * values in order (or fail when an item fails or the count passes
 * AXIS_MAX_VALUES), and a range's values must start at A, stay <= B and
 * step by one constant difference or factor that would pass B next. A
 * text that is JSON also goes through axis_from_json. The parsed axes then
 * give cells: the index of every value in range, the cell number coming
 * back from its digits, a key within its buffer in [A-Za-z0-9._-].
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "bench/sweep/axis.h"
#include "sockbench/opt.h"

#define MAX_AXES 4

static bool is_u64(const char *s, uint64_t *v)
{
	char e[64];
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return opt_size(s, 0, UINT64_MAX, v, e, sizeof e) == 0;
}

static void check_errs(int rc, const struct axis *a, const char *err, size_t errlen)
{
	if (rc == 0) {
		FUZZ_CHECK(a->n >= 1 && a->n <= AXIS_MAX_VALUES && a->v, "%d values", a->n);
		for (int i = 0; i < a->n; i++)
			FUZZ_CHECK(a->v[i] != NULL, "value %d is NULL", i);
		FUZZ_CHECK(strlen(a->name) < sizeof a->name && !strchr(a->name, '-'), "name '%s'",
			   a->name);
	} else {
		FUZZ_CHECK(a->n == 0 && a->v == NULL, "failed parse holds %d values", a->n);
		fuzz_check_err(err, errlen);
	}
}

/* The values one range item "A..B", "A..BxF" or "A..B+S" stands for. */
static void check_range(const char *item, const struct axis *a)
{
	char buf[256];
	uint64_t lo, hi, v, prev = 0;
	snprintf(buf, sizeof buf, "%s", item);
	char *dots = strstr(buf, ".."), *op;
	if (!dots || strlen(item) >= sizeof buf)
		return;
	*dots = '\0';
	op = strpbrk(dots + 2, "x+");
	bool geo = op && *op == 'x';
	if (op)
		*op = '\0';
	char e[64];
	/* blanks around the item are trimmed by the parser, not by opt_size */
	char *a_text = buf, *b_text = dots + 2;
	while (isspace((unsigned char)*a_text))
		a_text++;
	if (opt_size(a_text, 0, UINT64_MAX, &lo, e, sizeof e) < 0)
		return; /* parsed though: " 1 ..9" keeps a blank inside; not this oracle's case */
	for (char *t = b_text + strlen(b_text); !op && t > b_text && isspace((unsigned char)t[-1]);)
		*--t = '\0';
	if (opt_size(b_text, 0, UINT64_MAX, &hi, e, sizeof e) < 0)
		return;
	FUZZ_CHECK(a->n >= 1, "range '%s' gave no value", item);
	uint64_t step = 0;
	for (int i = 0; i < a->n; i++) {
		FUZZ_CHECK(is_u64(a->v[i], &v), "range '%s': value %d '%s' is not a count", item, i,
			   a->v[i]);
		FUZZ_CHECK(i > 0 || v == lo, "range '%s' starts at %" PRIu64, item, v);
		FUZZ_CHECK(v <= hi, "range '%s': %" PRIu64 " is past the end", item, v);
		if (i == 1)
			step = geo ? (prev ? v / prev : 0) : v - prev;
		if (i >= 1) {
			FUZZ_CHECK(v > prev, "range '%s' is not increasing at %d", item, i);
			FUZZ_CHECK(geo ? v == prev * step : v - prev == step,
				   "range '%s': uneven step at value %d", item, i);
		}
		prev = v;
	}
	/* the next value would be past B (or past 2^64) */
	if (a->n >= 2 && geo)
		FUZZ_CHECK(prev > hi / step, "range '%s' stops early at %" PRIu64, item, prev);
	else if (a->n >= 2)
		FUZZ_CHECK(prev > hi - step, "range '%s' stops early at %" PRIu64, item, prev);
}

/* Parse text whole and item by item; returns 0 with *out filled on success. */
static int check_text(const char *name, const char *text, struct axis *out, char *err,
		      size_t errlen)
{
	int rc = axis_parse(name, text, out, err, errlen);
	check_errs(rc, out, err, errlen);

	char *copy = strdup(text);
	if (!copy)
		abort();
	int k = 0, items = 1, fails = 0;
	long total = 0;
	for (const char *p = text; *p; p++)
		items += *p == ',';
	/* strsep keeps empty items: ",," must make the whole fail */
	char *rest = copy;
	for (char *it = strsep(&rest, ","); it; it = strsep(&rest, ",")) {
		struct axis one;
		char e[300];
		if (axis_parse(name, it, &one, e, sizeof e) < 0) {
			fails++;
			continue;
		}
		if (strstr(it, ".."))
			check_range(it, &one);
		total += one.n;
		for (int i = 0; i < one.n; i++, k++)
			if (rc == 0)
				FUZZ_CHECK(k < out->n && !strcmp(out->v[k], one.v[i]),
					   "item '%s' value %d '%s' is not value %d of the whole",
					   it, i, one.v[i], k);
		axis_free(&one);
	}
	free(copy);
	bool want_ok = fails == 0 && total <= AXIS_MAX_VALUES;
	FUZZ_CHECK((rc == 0) == want_ok,
		   "axis_parse('%s') = %d; its %d items: %d failed, %ld values", text, rc, items,
		   fails, total);
	FUZZ_CHECK(rc < 0 || k == out->n, "items give %d values, the whole %d", k, out->n);
	return rc;
}

static void check_json(const char *name, const char *text, char *err, size_t errlen)
{
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
	if (!j)
		return;
	struct axis a;
	int rc = axis_from_json(name, j, &a, err, errlen);
	check_errs(rc, &a, err, errlen);
	if (rc == 0 && json_is_array(j))
		FUZZ_CHECK((size_t)a.n == json_array_size(j), "%d values from %zu elements", a.n,
			   json_array_size(j));
	if (rc == 0 && json_is_string(j)) {
		struct axis b;
		char e[300];
		FUZZ_CHECK(axis_parse(name, json_string_value(j), &b, e, sizeof e) == 0 &&
			       b.n == a.n,
			   "a JSON string parses otherwise than the same text");
		axis_free(&b);
	}
	axis_free(&a);
	json_decref(j);
}

static void check_cells(const struct axis *ax, int n, uint64_t seed, size_t keylen)
{
	uint64_t cells = axis_cells(ax, n);
	if (!cells)
		return;
	char *key = fuzz_errbuf(keylen);
	for (int t = 0; t < 4; t++) {
		int idx[MAX_AXES];
		uint64_t cell = t == 0 ? 0 : t == 1 ? cells - 1 : fuzz_rng(&seed) % cells, back = 0;
		axis_cell(ax, n, cell, idx);
		for (int i = 0; i < n; i++) {
			FUZZ_CHECK(idx[i] >= 0 && idx[i] < ax[i].n,
				   "cell %" PRIu64 ": index %d of %d", cell, idx[i], ax[i].n);
			back = back * (uint64_t)ax[i].n + (uint64_t)idx[i];
		}
		FUZZ_CHECK(back == cell, "cell %" PRIu64 " came back as %" PRIu64, cell, back);
		axis_cell_key(ax, n, idx, key, keylen);
		if (!keylen)
			continue;
		size_t l = strnlen(key, keylen);
		FUZZ_CHECK(l < keylen, "key not terminated in %zu bytes", keylen);
		for (size_t i = 0; i < l; i++)
			FUZZ_CHECK(isalnum((unsigned char)key[i]) || strchr("._-", key[i]),
				   "key '%s' holds '%c'", key, key[i]);
	}
	free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t sel = fuzz_take(&data, &size, 1);
	size_t errlen = (size_t)(sel * 13 % 300);
	char *piece[1 + MAX_AXES], *copy;
	int np = fuzz_split(data, size, piece, 1 + MAX_AXES, &copy);
	char *err = fuzz_errbuf(errlen);
	struct axis ax[MAX_AXES];
	int n = 0;

	memset(ax, 0, sizeof ax);

	for (int i = 1; i < np; i++) {
		check_json(piece[0], piece[i], err, errlen);
		if (check_text(piece[0], piece[i], &ax[n], err, errlen) == 0)
			n++;
	}
	check_cells(ax, n, sel, (size_t)(sel % 80));
	for (int i = 0; i < n; i++)
		axis_free(&ax[i]);
	free(err);
	free(copy);
	return 0;
}

/* axis.c - sweep axes: value lists and ranges, cells of their product.
 *
 * Parsing goes in two passes over the items: the first checks every item and
 * counts the values it stands for (a range is counted by arithmetic, never
 * expanded), so "1..1G" is refused with its size before anything is
 * allocated; the second writes the values out.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axis.h"
#include "sockbench/opt.h"

/* One comma-separated item, scanned. */
struct item {
	const char *text; /* in the caller's string, for messages */
	int len;
	bool range, geometric;
	uint64_t a, b, step; /* step is the factor when geometric */
	uint64_t count;	     /* values it stands for (UINT64_MAX: too many to say) */
};

static int errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t add_sat(uint64_t x, uint64_t y)
{
	return x > UINT64_MAX - y ? UINT64_MAX : x + y;
}

/* "recv-size" and "--recv-size" both become "recv_size", the spelling of a
 * JSON config key. */
static int set_name(struct axis *a, const char *name)
{
	size_t i = 0;
	while (*name == '-')
		name++;
	for (; name[i]; i++) {
		if (i + 1 >= sizeof(a->name))
			return -1;
		a->name[i] = name[i] == '-' ? '_' : name[i];
	}
	a->name[i] = '\0';
	return 0;
}

static int init(struct axis *a, const char *where, const char *name, char *err, size_t errlen)
{
	a->n = 0;
	a->v = NULL;
	a->name[0] = '\0';
	if (set_name(a, name) < 0)
		return errf(err, errlen, "%s: option name is longer than %zu characters", where,
			    sizeof(a->name) - 1);
	return 0;
}

/* A range bound or step: digits with an optional k/M/G suffix. */
static int scan_num(const char *s, uint64_t *v, char *why, size_t whylen)
{
	char e[160];
	if (opt_size(s, 0, UINT64_MAX, v, e, sizeof e) < 0)
		return errf(why, whylen,
			    "bad number '%s' (expected a count or size like 64, 64k or 1M)", s);
	return 0;
}

/* How many of A, A+S, ... (or A, A*F, ...) are <= B, with A <= B. */
static uint64_t range_count(const struct item *it)
{
	if (!it->geometric) {
		uint64_t k = (it->b - it->a) / it->step; /* steps after A */
		return add_sat(k, 1);
	}
	uint64_t k = 1;
	/* a == 0 stays 0 forever: one value, not an endless list */
	for (uint64_t v = it->a; v && v <= it->b / it->step; v *= it->step)
		k++;
	return k;
}

/* Scans one item, cut out and NUL-terminated in `s` (it may be modified). */
static int item_scan(char *s, struct item *it, char *why, size_t whylen)
{
	char *dots = strstr(s, "..");
	it->range = dots != NULL;
	it->count = 1;
	if (!it->range)
		return 0;

	*dots = '\0';
	/* "A..B", "A..BxF" or "A..B+S": B never holds an 'x' or a '+' */
	char *hi = dots + 2, *op = strpbrk(hi, "x+");
	const char *step = op ? op + 1 : "";
	it->geometric = op && *op == 'x';
	it->step = 1;
	if (op)
		*op = '\0';
	if (scan_num(s, &it->a, why, whylen) < 0 || scan_num(hi, &it->b, why, whylen) < 0)
		return -1;
	if (it->geometric) {
		/* a factor is a plain integer: "x1k" reads as a typo, not 1024 */
		char *e;
		errno = 0;
		unsigned long long f = strtoull(step, &e, 10);
		if (!isdigit((unsigned char)*step) || *e != '\0' || errno == ERANGE)
			return errf(why, whylen, "bad factor '%s' (expected an integer, 2 or more)",
				    step);
		if (f < 2)
			return errf(why, whylen, "factor must be 2 or more, got %s", step);
		it->step = f;
	} else if (op) {
		if (scan_num(step, &it->step, why, whylen) < 0)
			return -1;
		if (it->step == 0)
			return errf(why, whylen, "step must be 1 or more, got %s", step);
	}
	if (it->b < it->a)
		return errf(why, whylen, "end %" PRIu64 " is below start %" PRIu64, it->b, it->a);
	it->count = range_count(it);
	return 0;
}

static int push(struct axis *a, const char *s, size_t len)
{
	char *d = strndup(s, len);
	if (!d)
		return -1;
	a->v[a->n++] = d;
	return 0;
}

static int push_u64(struct axis *a, uint64_t v)
{
	char buf[24];
	int k = snprintf(buf, sizeof buf, "%" PRIu64, v);
	return push(a, buf, (size_t)k);
}

static int item_emit(struct axis *a, const struct item *it)
{
	if (!it->range)
		return push(a, it->text, (size_t)it->len);
	/* the same walk range_count counted, stopping before v would overflow */
	for (uint64_t v = it->a, k = 0; k < it->count; k++) {
		if (push_u64(a, v) < 0)
			return -1;
		v = it->geometric ? v * it->step : v + it->step;
	}
	return 0;
}

static bool blank(char c)
{
	return isspace((unsigned char)c);
}

/* Splits `text` at commas into items (text and length, blanks trimmed). */
static int split(const char *text, struct item **out)
{
	int n = 1;
	for (const char *p = text; *p; p++)
		n += *p == ',';
	struct item *items = calloc((size_t)n, sizeof(*items));
	if (!items)
		return -1;
	const char *p = text;
	for (int i = 0; i < n; i++) {
		const char *end = strchrnul(p, ',');
		const char *s = p, *e = end;
		while (s < e && blank(*s))
			s++;
		while (e > s && blank(e[-1]))
			e--;
		items[i].text = s;
		items[i].len = (int)(e - s);
		p = *end ? end + 1 : end;
	}
	*out = items;
	return n;
}

static int parse(const char *where, const char *text, struct axis *a, char *err, size_t errlen)
{
	struct item *items = NULL;
	char *buf = NULL, why[200];
	uint64_t total = 0;
	int n, rc = -1;

	const char *t = text ? text : "";
	while (blank(*t))
		t++;
	if (!*t)
		return errf(
		    err, errlen,
		    "%s: empty list (expected values like 1,8,64 or a range like 64..65536x2)",
		    where);
	n = split(text, &items);
	buf = malloc(strlen(text) + 1);
	if (n < 0 || !buf) {
		errf(err, errlen, "%s: out of memory", where);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct item *it = &items[i];
		if (it->len == 0) {
			errf(err, errlen, "%s: item %d of '%s' is empty", where, i + 1, text);
			goto out;
		}
		memcpy(buf, it->text, (size_t)it->len);
		buf[it->len] = '\0';
		if (item_scan(buf, it, why, sizeof why) < 0) {
			errf(err, errlen, "%s: item %d '%.*s': %s", where, i + 1, it->len, it->text,
			     why);
			goto out;
		}
		total = add_sat(total, it->count);
	}
	if (total > AXIS_MAX_VALUES) {
		/* the count saturates: UINT64_MAX means "at least" */
		errf(err, errlen, "%s: %" PRIu64 "%s values, more than the %d one axis may hold",
		     where, total, total == UINT64_MAX ? " or more" : "", AXIS_MAX_VALUES);
		goto out;
	}
	/* total >= 1: there is at least one item, and every item counts >= 1 */
	a->v = calloc(total ? total : 1, sizeof(*a->v));
	if (!a->v)
		goto oom;
	for (int i = 0; i < n; i++)
		if (item_emit(a, &items[i]) < 0)
			goto oom;
	rc = 0;
	goto out;
oom:
	errf(err, errlen, "%s: out of memory", where);
	axis_free(a);
out:
	free(buf);
	free(items);
	return rc;
}

int axis_parse(const char *name, const char *text, struct axis *a, char *err, size_t errlen)
{
	if (init(a, name, name, err, errlen) < 0)
		return -1;
	return parse(name, text, a, err, errlen);
}

/* A JSON number as the option would be typed: 65536, not 65536.0 or 6.5536e4. */
static int push_real(struct axis *a, double d)
{
	char buf[40];
	if (!isfinite(d))
		return -1; /* jansson never builds one; a caller's json_t might */
	if (d == floor(d) && fabs(d) < 9007199254740992.0) /* 2^53: integers exact below */
		snprintf(buf, sizeof buf, "%.0f", d);
	else
		/* the shortest %g that reads back as the same double */
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, sizeof buf, "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
	return push(a, buf, strlen(buf));
}

static int push_json(struct axis *a, const json_t *e)
{
	char buf[32];
	switch (json_typeof(e)) {
	case JSON_INTEGER:
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(e));
		return push(a, buf, strlen(buf));
	case JSON_REAL:
		return push_real(a, json_real_value(e));
	case JSON_TRUE:
		return push(a, "1", 1);
	case JSON_FALSE:
		return push(a, "0", 1);
	case JSON_STRING:
		return push(a, json_string_value(e), json_string_length(e));
	default:
		return -1;
	}
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

static int from_array(const char *where, const json_t *v, struct axis *a, char *err, size_t errlen)
{
	size_t n = json_array_size(v), i;
	const json_t *e;
	if (n == 0)
		return errf(err, errlen, "%s: empty list", where);
	if (n > AXIS_MAX_VALUES)
		return errf(err, errlen, "%s: %zu values, more than the %d one axis may hold",
			    where, n, AXIS_MAX_VALUES);
	json_array_foreach(v, i, e)
	{
		bool ok = json_is_number(e) || json_is_boolean(e) || json_is_string(e);
		if (!ok)
			return errf(err, errlen,
				    "%s: element %zu is %s; expected a number, string or boolean",
				    where, i + 1, json_kind(e));
		if (json_is_string(e) && json_string_length(e) == 0)
			return errf(err, errlen, "%s: element %zu is an empty string", where,
				    i + 1);
		if (json_is_real(e) && !isfinite(json_real_value(e)))
			return errf(err, errlen, "%s: element %zu is not a finite number", where,
				    i + 1);
	}
	a->v = calloc(n, sizeof(*a->v));
	if (!a->v)
		return errf(err, errlen, "%s: out of memory", where);
	json_array_foreach(v, i, e)
	{
		if (push_json(a, e) < 0) {
			axis_free(a);
			return errf(err, errlen, "%s: out of memory", where);
		}
	}
	return 0;
}

int axis_from_json(const char *name, const json_t *v, struct axis *a, char *err, size_t errlen)
{
	char where[80];
	snprintf(where, sizeof where, "key '%s'", name);
	if (init(a, where, name, err, errlen) < 0)
		return -1;
	if (!v)
		return errf(err, errlen, "%s: no value", where);
	if (json_is_array(v))
		return from_array(where, v, a, err, errlen);
	if (json_is_string(v))
		return parse(where, json_string_value(v), a, err, errlen);
	if (json_is_number(v)) {
		if (json_is_real(v) && !isfinite(json_real_value(v)))
			return errf(err, errlen, "%s: not a finite number", where);
		a->v = calloc(1, sizeof(*a->v));
		if (!a->v || push_json(a, v) < 0) {
			axis_free(a);
			return errf(err, errlen, "%s: out of memory", where);
		}
		return 0;
	}
	return errf(err, errlen,
		    "%s: %s is not a sweep axis; expected an array of values, a range string "
		    "like \"64..65536x2\" or a number",
		    where, json_kind(v));
}

void axis_free(struct axis *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

uint64_t axis_cells(const struct axis *axes, int n)
{
	uint64_t cells = 1;
	for (int i = 0; i < n; i++) {
		if (axes[i].n <= 0)
			return 0;
		/* cells <= 10^7 and n <= 4096 here: the product cannot overflow */
		cells *= (uint64_t)axes[i].n;
		if (cells > AXIS_MAX_CELLS)
			return 0;
	}
	return cells;
}

void axis_cell(const struct axis *axes, int n, uint64_t cell, int *idx)
{
	for (int i = n - 1; i >= 0; i--) {
		uint64_t size = axes[i].n > 0 ? (uint64_t)axes[i].n : 1;
		idx[i] = (int)(cell % size);
		cell /= size;
	}
}

/* Appends `s` to out[*k], mapping characters outside the allowed set to '-'
 * ("32768 60999" or "a/b" must not make a path). Stops at max-1. */
static void key_put(char *out, size_t max, size_t *k, const char *s, const char *extra)
{
	for (; *s && *k + 1 < max; s++) {
		bool ok = isalnum((unsigned char)*s) || strchr(extra, *s);
		out[(*k)++] = ok ? *s : '-';
	}
}

void axis_cell_key(const struct axis *axes, int n, const int *idx, char *out, size_t max)
{
	size_t k = 0;
	if (max == 0)
		return;
	for (int i = 0; i < n; i++) {
		if (axes[i].n <= 1)
			continue;
		if (k)
			key_put(out, max, &k, "_", "_");
		key_put(out, max, &k, axes[i].name, "_");
		key_put(out, max, &k, "-", "-");
		key_put(out, max, &k, axes[i].v[idx[i]], ".");
	}
	if (k == 0)
		key_put(out, max, &k, "base", "");
	out[k] = '\0';
}

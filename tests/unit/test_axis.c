/* test_axis.c - sweep axes: every range syntax, every error, JSON, cells.
 *
 * Values are compared as one comma-joined string, so a failure shows the
 * whole list expected and the whole list produced; errors compare the full
 * message, since it is what the user reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench/sweep/axis.h"

/* The values joined by ",", or "(n values)" past the buffer. */
static const char *joined(const struct axis *a)
{
	static char buf[8192];
	size_t k = 0;
	buf[0] = '\0';
	for (int i = 0; i < a->n; i++) {
		int w = snprintf(buf + k, sizeof buf - k, "%s%s", i ? "," : "", a->v[i]);
		if (w < 0 || (size_t)w >= sizeof buf - k) {
			snprintf(buf, sizeof buf, "(%d values)", a->n);
			break;
		}
		k += (size_t)w;
	}
	return buf;
}

static void expect_values(const char *name, const char *text, const char *want)
{
	struct axis a;
	char err[256] = "";
	if (axis_parse(name, text, &a, err, sizeof err) != 0)
		fail_msg("axis_parse(\"%s\"): expected \"%s\", got error \"%s\"", text, want, err);
	if (strcmp(joined(&a), want) != 0)
		fail_msg("axis_parse(\"%s\"): expected \"%s\", got \"%s\"", text, want, joined(&a));
	axis_free(&a);
}

static void expect_error(const char *name, const char *text, const char *want)
{
	struct axis a;
	char err[256] = "";
	if (axis_parse(name, text, &a, err, sizeof err) != -1)
		fail_msg("axis_parse(\"%s\"): expected error \"%s\", got values \"%s\"", text, want,
			 joined(&a));
	if (strcmp(err, want) != 0)
		fail_msg("axis_parse(\"%s\"): expected error \"%s\", got \"%s\"", text, want, err);
	/* a failed parse owns nothing: n 0, v NULL, axis_free harmless */
	assert_int_equal(a.n, 0);
	assert_null(a.v);
	axis_free(&a);
}

/* One call of expect_values or expect_error: the option name, the text
 * given and the values (or the error) expected. */
struct values_case {
	const char *name, *text, *want;
};

static void expect_values_table(const struct values_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_values(c[i].name, c[i].text, c[i].want);
}

static void expect_error_table(const struct values_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_error(c[i].name, c[i].text, c[i].want);
}

/* ---- syntax ------------------------------------------------------------- */

static void test_plain_lists(void **state)
{
	(void)state;
	static const struct values_case cases[] = {
	    {"backlog", "1,8,64,512", "1,8,64,512"},
	    {"backlog", "7", "7"},
	    /* plain values are text: the option parser decides what they mean */
	    {"send", "send,sendall", "send,sendall"},
	    {"models", "epoll", "epoll"},
	    {"port_range", "32768-60999,1024-65535", "32768-60999,1024-65535"},
	    {"work_us", "500ms,1s", "500ms,1s"},
	    {"recv_size", "64k,1M", "64k,1M"}, /* no range: kept as typed */
	    {"x", "a+b,1x2,1.5", "a+b,1x2,1.5"},
	    /* duplicates stay, in order */
	    {"conns", "1,1,2..3,2", "1,1,2,3,2"},
	    /* blanks around items go */
	    {"conns", " 1 , 10,\t100 ", "1,10,100"},
	};
	expect_values_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_ranges(void **state)
{
	(void)state;
	static const struct values_case cases[] = {
	    /* geometric */
	    {"recv_size", "64..65536x2", "64,128,256,512,1024,2048,4096,8192,16384,32768,65536"},
	    {"b", "1..100x10", "1,10,100"},
	    {"b", "1..99x10", "1,10"}, /* stops at the last one <= B */
	    {"b", "3..3x2", "3"},
	    {"b", "0..100x2", "0"}, /* 0 * F stays 0: one value, not a loop */

	    /* arithmetic */
	    {"b", "1..10+3", "1,4,7,10"},
	    {"b", "1..9+3", "1,4,7"},
	    {"b", "0..1+5", "0"},
	    {"b", "3..6", "3,4,5,6"},
	    {"b", "5..5", "5"},
	    {"b", "0..2", "0,1,2"},
	    {"b", "007..9", "7,8,9"},
	    /* near the top of uint64: no overflow in the walk */
	    {"b", "18446744073709551614..18446744073709551615",
	     "18446744073709551614,18446744073709551615"},
	    {"b", "9223372036854775808..18446744073709551615x2", "9223372036854775808"},
	    {"b", "18446744073709551615..18446744073709551615+7", "18446744073709551615"},
	};
	expect_values_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_size_suffixes(void **state)
{
	(void)state;
	static const struct values_case cases[] = {
	    {"recv_size", "64..1Mx4", "64,256,1024,4096,16384,65536,262144,1048576"},
	    {"recv_size", "4k..16k+4k", "4096,8192,12288,16384"},
	    {"recv_size", "1K..4k+1k", "1024,2048,3072,4096"},
	    {"recv_size", "1G..2G+1G", "1073741824,2147483648"},
	    {"recv_size", "64KiB..128kBx2", "65536,131072"},
	    {"recv_size", "1M..1M", "1048576"},
	};
	expect_values_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_mixed(void **state)
{
	(void)state;
	expect_values("b", "1,4,16..64x2", "1,4,16,32,64");
	expect_values("b", "1..3,send,10..30+10,64k", "1,2,3,send,10,20,30,64k");
}

static void test_limit(void **state)
{
	(void)state;
	struct axis a;
	char err[256];
	/* exactly AXIS_MAX_VALUES is allowed */
	assert_int_equal(axis_parse("b", "1..4096", &a, err, sizeof err), 0);
	assert_int_equal(a.n, AXIS_MAX_VALUES);
	assert_string_equal(a.v[0], "1");
	assert_string_equal(a.v[4095], "4096");
	axis_free(&a);
	assert_int_equal(axis_parse("b", "1..4000,1..96", &a, err, sizeof err), 0);
	assert_int_equal(a.n, AXIS_MAX_VALUES);
	axis_free(&a);
	assert_int_equal(a.n, 0);
	assert_null(a.v);
	axis_free(&a); /* twice is harmless */
}

/* ---- errors ------------------------------------------------------------- */

static void test_errors(void **state)
{
	(void)state;
	static const char *const LIST_HINT =
	    "empty list (expected values like 1,8,64 or a range like 64..65536x2)";
	char want[256];

	snprintf(want, sizeof want, "--backlog: %s", LIST_HINT);
	expect_error("--backlog", "", want);
	expect_error("--backlog", "  ", want);
	static const struct values_case cases[] = {
	    {"--backlog", "1,,3", "--backlog: item 2 of '1,,3' is empty"},
	    {"--backlog", ",1", "--backlog: item 1 of ',1' is empty"},
	    {"--backlog", "1,", "--backlog: item 2 of '1,' is empty"},
	    {"--backlog", "1, ,2", "--backlog: item 2 of '1, ,2' is empty"},

	    {"--recv-size", "64..32x2", "--recv-size: item 1 '64..32x2': end 32 is below start 64"},
	    {"--recv-size", "1,64k..1k",
	     "--recv-size: item 2 '64k..1k': end 1024 is below start 65536"},
	    {"b", "1..10+0", "b: item 1 '1..10+0': step must be 1 or more, got 0"},
	    {"b", "1..10x1", "b: item 1 '1..10x1': factor must be 2 or more, got 1"},
	    {"b", "1..10x0", "b: item 1 '1..10x0': factor must be 2 or more, got 0"},
	    {"b", "1..10xk",
	     "b: item 1 '1..10xk': bad factor 'k' (expected an integer, 2 or more)"},
	    {"b", "1..10x2k",
	     "b: item 1 '1..10x2k': bad factor '2k' (expected an integer, 2 or more)"},
	    {"b", "1..10x", "b: item 1 '1..10x': bad factor '' (expected an integer, 2 or more)"},
	    {"b", "1..10x-2",
	     "b: item 1 '1..10x-2': bad factor '-2' (expected an integer, 2 or more)"},
	    {"b", "a..10",
	     "b: item 1 'a..10': bad number 'a' (expected a count or size like 64, 64k or 1M)"},
	    {"b", "1..b",
	     "b: item 1 '1..b': bad number 'b' (expected a count or size like 64, 64k or 1M)"},
	    {"b", "..10",
	     "b: item 1 '..10': bad number '' (expected a count or size like 64, 64k or 1M)"},
	    {"b", "1..",
	     "b: item 1 '1..': bad number '' (expected a count or size like 64, 64k or 1M)"},
	    {"b", "-1..5",
	     "b: item 1 '-1..5': bad number '-1' (expected a count or size like 64, 64k or 1M)"},
	    {"b", "1...5",
	     "b: item 1 '1...5': bad number '.5' (expected a count or size like 64, 64k or 1M)"},
	    {"b", "1..10+z",
	     "b: item 1 '1..10+z': bad number 'z' (expected a count or size like 64, 64k or 1M)"},
	    {"b", "1..10+",
	     "b: item 1 '1..10+': bad number '' (expected a count or size like 64, 64k or 1M)"},
	    {"b", "1..99999999999999999999",
	     "b: item 1 '1..99999999999999999999': bad number '99999999999999999999' "
	     "(expected a count or size like 64, 64k or 1M)"},

	    {"b", "1..4097", "b: 4097 values, more than the 4096 one axis may hold"},
	    {"b", "1..4000,1..97", "b: 4097 values, more than the 4096 one axis may hold"},
	    {"b", "1..1G", "b: 1073741824 values, more than the 4096 one axis may hold"},
	    {"b", "0..18446744073709551615",
	     "b: 18446744073709551615 or more values, more than the 4096 one axis may hold"},
	};
	expect_error_table(cases, sizeof cases / sizeof cases[0]);
}

static void test_names(void **state)
{
	(void)state;
	struct axis a;
	char err[256];
	assert_int_equal(axis_parse("--recv-size", "1", &a, err, sizeof err), 0);
	assert_string_equal(a.name, "recv_size");
	axis_free(&a);
	assert_int_equal(axis_parse("abort-on-overflow", "0,1", &a, err, sizeof err), 0);
	assert_string_equal(a.name, "abort_on_overflow");
	axis_free(&a);
	/* 39 characters fit, 40 do not */
	const char *n39 = "abcdefghijabcdefghijabcdefghijabcdefghi";
	assert_int_equal(axis_parse(n39, "1", &a, err, sizeof err), 0);
	assert_string_equal(a.name, n39);
	axis_free(&a);
	assert_int_equal(
	    axis_parse("abcdefghijabcdefghijabcdefghijabcdefghij", "1", &a, err, sizeof err), -1);
	assert_string_equal(err, "abcdefghijabcdefghijabcdefghijabcdefghij: option name is longer "
				 "than 39 characters");
	assert_null(a.v);
}

/* ---- JSON --------------------------------------------------------------- */

static void expect_json(const char *json, const char *want)
{
	json_error_t je;
	json_t *v = json_loads(json, JSON_DECODE_ANY, &je);
	struct axis a;
	char err[256] = "";
	if (!v)
		fail_msg("test JSON '%s' does not load: %s", json, je.text);
	if (axis_from_json("recv_size", v, &a, err, sizeof err) != 0)
		fail_msg("axis_from_json(%s): expected \"%s\", got error \"%s\"", json, want, err);
	if (strcmp(joined(&a), want) != 0)
		fail_msg("axis_from_json(%s): expected \"%s\", got \"%s\"", json, want, joined(&a));
	assert_string_equal(a.name, "recv_size");
	axis_free(&a);
	json_decref(v);
}

static void expect_json_error(const char *json, const char *want)
{
	json_error_t je;
	json_t *v = json_loads(json, JSON_DECODE_ANY, &je);
	struct axis a;
	char err[256] = "";
	if (!v)
		fail_msg("test JSON '%s' does not load: %s", json, je.text);
	if (axis_from_json("recv_size", v, &a, err, sizeof err) != -1)
		fail_msg("axis_from_json(%s): expected error \"%s\", got \"%s\"", json, want,
			 joined(&a));
	if (strcmp(err, want) != 0)
		fail_msg("axis_from_json(%s): expected error \"%s\", got \"%s\"", json, want, err);
	assert_int_equal(a.n, 0);
	assert_null(a.v);
	json_decref(v);
}

/* One call of expect_json or expect_json_error: the JSON text of the axis
 * and the values (or the error) expected. */
struct json_case {
	const char *json, *want;
};

static void expect_json_table(const struct json_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_json(c[i].json, c[i].want);
}

static void expect_json_error_table(const struct json_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_json_error(c[i].json, c[i].want);
}

static void test_json(void **state)
{
	(void)state;
	/* arrays: one value per element */
	static const struct json_case good[] = {
	    {"[1, 8, 64]", "1,8,64"},
	    {"[\"send\", \"sendall\"]", "send,sendall"},
	    {"[true, false]", "1,0"},
	    {"[0.5, 65536.0, 1e6, -3, 2.25, 0.1]", "0.5,65536,1000000,-3,2.25,0.1"},
	    {"[9007199254740993]", "9007199254740993"},	      /* integers stay exact */
	    {"[1, \"64k\", true, \"1..4\"]", "1,64k,1,1..4"}, /* no ranges in arrays */
	    {"[2, 2]", "2,2"},
	    /* a string is a list with ranges */
	    {"\"64..256x2\"", "64,128,256"},
	    {"\"1,4,16..64x2\"", "1,4,16,32,64"},
	    {"\"epoll\"", "epoll"},
	    /* one number */
	    {"4096", "4096"},
	    {"2.5", "2.5"},
	    {"-1", "-1"},
	};
	expect_json_table(good, sizeof good / sizeof good[0]);

	const char *hint = "expected an array of values, a range string like \"64..65536x2\" or a "
			   "number";
	char want[256];
	snprintf(want, sizeof want, "key 'recv_size': an object is not a sweep axis; %s", hint);
	expect_json_error("{\"a\": 1}", want);
	snprintf(want, sizeof want, "key 'recv_size': null is not a sweep axis; %s", hint);
	expect_json_error("null", want);
	snprintf(want, sizeof want, "key 'recv_size': a boolean is not a sweep axis; %s", hint);
	expect_json_error("true", want);
	static const struct json_case bad[] = {
	    {"[]", "key 'recv_size': empty list"},
	    {"[1, [2]]",
	     "key 'recv_size': element 2 is an array; expected a number, string or boolean"},
	    {"[null]", "key 'recv_size': element 1 is null; expected a number, string or boolean"},
	    {"[1, 2, {}]",
	     "key 'recv_size': element 3 is an object; expected a number, string or boolean"},
	    {"[\"a\", \"\"]", "key 'recv_size': element 2 is an empty string"},
	    /* string errors come from the same parser, with the key in front */
	    {"\"1,,2\"", "key 'recv_size': item 2 of '1,,2' is empty"},
	    {"\"\"", "key 'recv_size': empty list (expected values like 1,8,64 or a "
		     "range like 64..65536x2)"},
	    {"\"64..32x2\"", "key 'recv_size': item 1 '64..32x2': end 32 is below start 64"},
	    {"\"1..5000\"", "key 'recv_size': 5000 values, more than the 4096 one axis may hold"},
	};
	expect_json_error_table(bad, sizeof bad / sizeof bad[0]);
}

static void test_json_limits(void **state)
{
	(void)state;
	struct axis a;
	char err[256];
	json_t *arr = json_array();
	for (int i = 0; i < AXIS_MAX_VALUES; i++)
		json_array_append_new(arr, json_integer(i));
	assert_int_equal(axis_from_json("conns", arr, &a, err, sizeof err), 0);
	assert_int_equal(a.n, AXIS_MAX_VALUES);
	assert_string_equal(a.v[4095], "4095");
	axis_free(&a);
	json_array_append_new(arr, json_integer(1));
	assert_int_equal(axis_from_json("conns", arr, &a, err, sizeof err), -1);
	assert_string_equal(err, "key 'conns': 4097 values, more than the 4096 one axis may hold");
	json_decref(arr);

	assert_int_equal(axis_from_json("conns", NULL, &a, err, sizeof err), -1);
	assert_string_equal(err, "key 'conns': no value");
}

/* ---- cells -------------------------------------------------------------- */

/* An axis over string literals (the cell functions never free). */
#define AXIS(nm, ...)                                                                              \
	{                                                                                          \
		.name = nm, .n = (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)),    \
		.v = (char *[])                                                                    \
		{                                                                                  \
			__VA_ARGS__                                                                \
		}                                                                                  \
	}

static void test_cells(void **state)
{
	(void)state;
	struct axis ax[] = {
	    AXIS("models", "blocking", "poll", "epoll"),
	    AXIS("backlog", "8", "64"),
	    AXIS("conns", "1", "10", "100", "1000"),
	};
	int idx[3];
	assert_int_equal(axis_cells(ax, 3), 24);
	assert_int_equal(axis_cells(ax, 0), 1);
	assert_int_equal(axis_cells(ax, 1), 3);

	/* the last axis fastest: cell = (i0 * 2 + i1) * 4 + i2 */
	axis_cell(ax, 3, 0, idx);
	assert_true(idx[0] == 0 && idx[1] == 0 && idx[2] == 0);
	axis_cell(ax, 3, 1, idx);
	assert_true(idx[0] == 0 && idx[1] == 0 && idx[2] == 1);
	axis_cell(ax, 3, 4, idx);
	assert_true(idx[0] == 0 && idx[1] == 1 && idx[2] == 0);
	axis_cell(ax, 3, 8, idx);
	assert_true(idx[0] == 1 && idx[1] == 0 && idx[2] == 0);
	axis_cell(ax, 3, 23, idx);
	assert_true(idx[0] == 2 && idx[1] == 1 && idx[2] == 3);
	for (int c = 0; c < 24; c++) {
		axis_cell(ax, 3, (uint64_t)c, idx);
		int back = (idx[0] * 2 + idx[1]) * 4 + idx[2];
		if (back != c)
			fail_msg("cell %d -> (%d,%d,%d) -> %d", c, idx[0], idx[1], idx[2], back);
	}
}

static void test_cells_limits(void **state)
{
	(void)state;
	/* only n matters to axis_cells */
	struct axis ax[3] = {
	    {.name = "a", .n = 2000}, {.name = "b", .n = 5000}, {.name = "c", .n = 1}};
	assert_int_equal(axis_cells(ax, 3), 10000000); /* AXIS_MAX_CELLS itself is fine */
	ax[1].n = 5001;
	assert_int_equal(axis_cells(ax, 3), 0);
	struct axis big[4] = {{.n = 4096}, {.n = 4096}, {.n = 4096}, {.n = 4096}};
	assert_int_equal(axis_cells(big, 4), 0); /* 2^48: no wrap to a small number */
	ax[1].n = 0;
	assert_int_equal(axis_cells(ax, 3), 0);
}

static void expect_key(const struct axis *ax, int n, const int *idx, size_t max, const char *want)
{
	char out[260];
	memset(out, 'Z', sizeof out);
	axis_cell_key(ax, n, idx, out, max);
	if (max && strcmp(out, want) != 0)
		fail_msg("key (max %zu): expected \"%s\", got \"%s\"", max, want, out);
	if (out[max] != 'Z')
		fail_msg("key (max %zu) wrote past its buffer", max);
}

static void test_cell_key(void **state)
{
	(void)state;
	struct axis ax[] = {
	    AXIS("model", "blocking", "epoll"),
	    AXIS("somaxconn", "4096"), /* fixed: not in the key */
	    AXIS("backlog", "1", "8"),
	};
	int idx[] = {1, 0, 1};
	expect_key(ax, 3, idx, 256, "model-epoll_backlog-8");
	/* cut to max-1 characters */
	expect_key(ax, 3, idx, 12, "model-epoll");
	expect_key(ax, 3, idx, 13, "model-epoll_");
	expect_key(ax, 3, idx, 6, "model");
	expect_key(ax, 3, idx, 1, "");
	expect_key(ax, 3, idx, 0, "");

	/* sanitising: values to [A-Za-z0-9.], names to [A-Za-z0-9_] */
	struct axis odd[] = {
	    AXIS("port_range", "32768-60999", "1024 65535"),
	    AXIS("work", "1.5ms", "a/b:c*d"),
	    AXIS("we.ird", "x", "y_z"),
	};
	int i1[] = {1, 1, 1};
	expect_key(odd, 3, i1, 256, "port_range-1024-65535_work-a-b-c-d_we-ird-y-z");
	int i0[] = {0, 0, 0};
	expect_key(odd, 3, i0, 256, "port_range-32768-60999_work-1.5ms_we-ird-x");

	/* nothing varies */
	struct axis fixed[] = {AXIS("somaxconn", "4096"), AXIS("models", "epoll")};
	int z[] = {0, 0};
	expect_key(fixed, 2, z, 256, "base");
	expect_key(fixed, 0, z, 256, "base");
	expect_key(fixed, 2, z, 3, "ba");
}

/* Parsed axes through the cell functions, as the sweep uses them. */
static void test_parsed_cells(void **state)
{
	(void)state;
	struct axis ax[2];
	char err[256], key[64];
	int idx[2];
	assert_int_equal(axis_parse("--models", "poll,epoll", &ax[0], err, sizeof err), 0);
	assert_int_equal(axis_parse("--recv-size", "1k..4kx2", &ax[1], err, sizeof err), 0);
	assert_int_equal(axis_cells(ax, 2), 6);
	axis_cell(ax, 2, 5, idx);
	axis_cell_key(ax, 2, idx, key, sizeof key);
	assert_string_equal(key, "models-epoll_recv_size-4096");
	axis_cell(ax, 2, 1, idx);
	axis_cell_key(ax, 2, idx, key, sizeof key);
	assert_string_equal(key, "models-poll_recv_size-2048");
	axis_free(&ax[0]);
	axis_free(&ax[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_lists),	  cmocka_unit_test(test_ranges),
	    cmocka_unit_test(test_size_suffixes), cmocka_unit_test(test_mixed),
	    cmocka_unit_test(test_limit),	  cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_names),	  cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_limits),	  cmocka_unit_test(test_cells),
	    cmocka_unit_test(test_cells_limits),  cmocka_unit_test(test_cell_key),
	    cmocka_unit_test(test_parsed_cells),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

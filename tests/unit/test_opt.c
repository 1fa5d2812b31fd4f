/* test_opt.c - the option value scanners: opt_size, opt_int, opt_time_us,
 * opt_choice.  Table-driven: each bad value also checks the whole message,
 * since it is what the user reads after "--option: ". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sockbench/opt.h"
#include "sockbench/proto.h"

#define SIZE_BAD "expected a size like 64, 64k or 1M, got '%s'"
#define TIME_BAD "expected a time like 1.5, 250ms, 10s or 2m, got '%s'"

/* Fails with the case, the expected and the actual message. */
static void check_err(const char *fn, const char *in, const char *want, const char *got)
{
	if (strcmp(want, got) != 0) {
		print_error("%s(\"%s\"): error expected \"%s\", got \"%s\"\n", fn, in, want, got);
		fail();
	}
}

/* ---- opt_size ----------------------------------------------------------- */

struct size_case {
	const char *s;
	uint64_t min, max;
	int rc;
	uint64_t want;	     /* rc 0 */
	const char *err_fmt; /* rc -1: message, %s is the input (NULL: SIZE_BAD) */
};

static void test_opt_size(void **state)
{
	(void)state;
	const uint64_t M = UINT64_MAX;
	const struct size_case cases[] = {
	    {"0", 0, M, 0, 0, NULL},
	    {"64", 0, M, 0, 64, NULL},
	    {"64k", 0, M, 0, 64ULL << 10, NULL},
	    {"64K", 0, M, 0, 64ULL << 10, NULL},
	    {"1M", 0, M, 0, 1ULL << 20, NULL},
	    {"1m", 0, M, 0, 1ULL << 20, NULL},
	    {"2G", 0, M, 0, 2ULL << 30, NULL},
	    {"2g", 0, M, 0, 2ULL << 30, NULL},
	    {"64KiB", 0, M, 0, 64ULL << 10, NULL},
	    {"1MiB", 0, M, 0, 1ULL << 20, NULL},
	    {"3GiB", 0, M, 0, 3ULL << 30, NULL},
	    {"64kB", 0, M, 0, 64ULL << 10, NULL},
	    {"007", 0, M, 0, 7, NULL},
	    {"18446744073709551615", 0, M, 0, UINT64_MAX, NULL},
	    {"17179869183G", 0, M, 0, 17179869183ULL << 30, NULL}, /* largest G that fits */
	    /* bounds are inclusive */
	    {"1k", 1024, 1024, 0, 1024, NULL},
	    {"1", 1, 2, 0, 1, NULL},
	    {"2", 1, 2, 0, 2, NULL},
	    /* malformed */
	    {"", 0, M, -1, 0, NULL},
	    {"k", 0, M, -1, 0, NULL},
	    {"KiB", 0, M, -1, 0, NULL},
	    {"1x", 0, M, -1, 0, NULL},
	    {"1kx", 0, M, -1, 0, NULL},
	    {"1kk", 0, M, -1, 0, NULL},
	    {"1KiBB", 0, M, -1, 0, NULL},
	    {"1T", 0, M, -1, 0, NULL},
	    {"-1", 0, M, -1, 0, NULL},
	    {"+1", 0, M, -1, 0, NULL},
	    {"1.5k", 0, M, -1, 0, NULL},
	    {" 1", 0, M, -1, 0, NULL},
	    {"1 ", 0, M, -1, 0, NULL},
	    {"1 k", 0, M, -1, 0, NULL},
	    {"0x10", 0, M, -1, 0, NULL},
	    {"99999999999999999999", 0, M, -1, 0, NULL}, /* strtoull overflow */
	    {"18446744073709551616", 0, M, -1, 0, NULL}, /* UINT64_MAX + 1 */
	    {"17179869184G", 0, M, -1, 0, NULL},	 /* 2^64: multiply overflows */
	    {"18014398509481984k", 0, M, -1, 0, NULL},	 /* 2^54 k = 2^64 */
	    /* out of range */
	    {"2k", 1, 1024, -1, 0, "%s is out of range (1 to 1024 bytes)"},
	    {"0", 1, 1024, -1, 0, "%s is out of range (1 to 1024 bytes)"},
	    {"1025", 1, 1024, -1, 0, "%s is out of range (1 to 1024 bytes)"},
	    {"2G", 1, 1ULL << 30, -1, 0, "%s is out of range (1 to 1073741824 bytes)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct size_case *c = &cases[i];
		uint64_t out = 0xdeadbeef;
		char err[256] = "";
		int rc = opt_size(c->s, c->min, c->max, &out, err, sizeof err);
		if (rc != c->rc) {
			print_error(
			    "opt_size(\"%s\", %llu, %llu): rc expected %d, got %d (out %llu, "
			    "err \"%s\")\n",
			    c->s, (unsigned long long)c->min, (unsigned long long)c->max, c->rc, rc,
			    (unsigned long long)out, err);
			fail();
		}
		if (rc == 0) {
			if (out != c->want) {
				print_error("opt_size(\"%s\"): expected %llu, got %llu\n", c->s,
					    (unsigned long long)c->want, (unsigned long long)out);
				fail();
			}
			continue;
		}
		char want[256];
		snprintf(want, sizeof want, c->err_fmt ? c->err_fmt : SIZE_BAD, c->s);
		check_err("opt_size", c->s, want, err);
	}
}

/* ---- opt_int ------------------------------------------------------------ */

struct int_case {
	const char *s;
	int64_t min, max;
	int rc;
	int64_t want;
	const char *err; /* rc -1: the whole message */
};

static void test_opt_int(void **state)
{
	(void)state;
	const int64_t L = INT64_MIN, H = INT64_MAX;
	const struct int_case cases[] = {
	    {"0", 0, 10, 0, 0, NULL},
	    {"10", 0, 10, 0, 10, NULL},
	    {"-10", -10, 10, 0, -10, NULL},
	    {"-3", -10, 10, 0, -3, NULL},
	    {"65535", 0, 65535, 0, 65535, NULL},
	    {"9223372036854775807", L, H, 0, INT64_MAX, NULL},
	    {"-9223372036854775808", L, H, 0, INT64_MIN, NULL},
	    {"11", 0, 10, -1, 0, "11 is out of range (0 to 10)"},
	    {"-1", 0, 10, -1, 0, "-1 is out of range (0 to 10)"},
	    {"65536", 0, 65535, -1, 0, "65536 is out of range (0 to 65535)"},
	    {"", 0, 10, -1, 0, "expected an integer from 0 to 10, got ''"},
	    {" 1", 0, 10, -1, 0, "expected an integer from 0 to 10, got ' 1'"},
	    {"\t1", 0, 10, -1, 0, "expected an integer from 0 to 10, got '\t1'"},
	    {"1 ", 0, 10, -1, 0, "expected an integer from 0 to 10, got '1 '"},
	    {"0x10", 0, 100, -1, 0, "expected an integer from 0 to 100, got '0x10'"},
	    {"1.0", 0, 10, -1, 0, "expected an integer from 0 to 10, got '1.0'"},
	    {"1k", 0, 10, -1, 0, "expected an integer from 0 to 10, got '1k'"},
	    {"abc", 0, 10, -1, 0, "expected an integer from 0 to 10, got 'abc'"},
	    {"-", 0, 10, -1, 0, "expected an integer from 0 to 10, got '-'"},
	    {"9223372036854775808", L, H, -1, 0,
	     "expected an integer from -9223372036854775808 to 9223372036854775807, got "
	     "'9223372036854775808'"},
	    {"-9223372036854775809", L, H, -1, 0,
	     "expected an integer from -9223372036854775808 to 9223372036854775807, got "
	     "'-9223372036854775809'"},
	    {"99999999999999999999", 0, 10, -1, 0,
	     "expected an integer from 0 to 10, got '99999999999999999999'"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct int_case *c = &cases[i];
		int64_t out = 12345;
		char err[256] = "";
		int rc = opt_int(c->s, c->min, c->max, &out, err, sizeof err);
		if (rc != c->rc) {
			print_error(
			    "opt_int(\"%s\", %lld, %lld): rc expected %d, got %d (out %lld, "
			    "err \"%s\")\n",
			    c->s, (long long)c->min, (long long)c->max, c->rc, rc, (long long)out,
			    err);
			fail();
		}
		if (rc == 0) {
			if (out != c->want) {
				print_error("opt_int(\"%s\"): expected %lld, got %lld\n", c->s,
					    (long long)c->want, (long long)out);
				fail();
			}
			continue;
		}
		check_err("opt_int", c->s, c->err, err);
	}
}

/* ---- opt_time_us -------------------------------------------------------- */

struct time_case {
	const char *s;
	uint64_t bare_ms;
	int rc;
	uint64_t want_us;
};

static void test_opt_time_us(void **state)
{
	(void)state;
	const struct time_case cases[] = {
	    {"500ms", 1000, 0, 500000},
	    {"10s", 1000, 0, 10000000},
	    {"2m", 1000, 0, 120000000},
	    {"1h", 1000, 0, 3600000000ULL},
	    {"250us", 1000, 0, 250},
	    {"0s", 1000, 0, 0},
	    {"0", 1000, 0, 0},
	    {"1us", 1, 0, 1},
	    /* a bare number: durations count seconds, timeouts milliseconds */
	    {"7", 1000, 0, 7000000},
	    {"7", 1, 0, 7000},
	    {"1500", 1, 0, 1500000},
	    /* units do not depend on the bare unit */
	    {"10s", 1, 0, 10000000},
	    {"500ms", 1, 0, 500000},
	    {"5124095576h", 1000, 0, 5124095576ULL * 3600000000ULL}, /* largest h that fits */
	    {"18446744073709551615us", 1000, 0, UINT64_MAX},
	    /* malformed */
	    {"10 s", 1000, -1, 0},
	    {"s", 1000, -1, 0},
	    {"ms", 1000, -1, 0},
	    {"", 1000, -1, 0},
	    {"-1s", 1000, -1, 0},
	    {"+1s", 1000, -1, 0},
	    /* decimals, as people write them: exact, never rounded */
	    {"1.5s", 1000, 0, 1500000},
	    {"1.5", 1000, 0, 1500000},
	    {"1.5", 1, 0, 1500},
	    {"0.25ms", 1000, 0, 250},
	    {"2.5m", 1000, 0, 150000000},
	    {"0.000001s", 1000, 0, 1},
	    {"1.0000000000000000000s", 1000, -1, 0},	 /* more than 18 decimals */
	    {"1.000000000000000000s", 1000, 0, 1000000}, /* 18: the most */
	    {"1.", 1000, -1, 0},
	    {".5", 1000, -1, 0},
	    {"1..5", 1000, -1, 0},
	    {"1.5.1", 1000, -1, 0},
	    {"1,5", 1000, -1, 0},
	    {"1e3", 1000, -1, 0},
	    {" 10s", 1000, -1, 0},
	    {"10s ", 1000, -1, 0},
	    {"10S", 1000, -1, 0},
	    {"10sec", 1000, -1, 0},
	    {"10ss", 1000, -1, 0},
	    {"10d", 1000, -1, 0},
	    {"10 ", 1, -1, 0},
	    {"5124095577h", 1000, -1, 0},	/* overflows uint64 microseconds */
	    {"99999999999999999999", 1, -1, 0}, /* overflows strtoull */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct time_case *c = &cases[i];
		uint64_t out = 4242;
		char err[256] = "";
		int rc = opt_time_us(c->s, c->bare_ms, &out, err, sizeof err);
		if (rc != c->rc) {
			print_error("opt_time_us(\"%s\", %llu): rc expected %d, got %d (out %llu, "
				    "err \"%s\")\n",
				    c->s, (unsigned long long)c->bare_ms, c->rc, rc,
				    (unsigned long long)out, err);
			fail();
		}
		if (rc == 0) {
			if (out != c->want_us) {
				print_error(
				    "opt_time_us(\"%s\", %llu): expected %llu us, got %llu\n", c->s,
				    (unsigned long long)c->bare_ms, (unsigned long long)c->want_us,
				    (unsigned long long)out);
				fail();
			}
			continue;
		}
		char want[256];
		snprintf(want, sizeof want, TIME_BAD, c->s);
		check_err("opt_time_us", c->s, want, err);
	}
	/* finer than the microsecond a time is kept in: refused, not rounded */
	const char *fine[] = {"1.5us", "0.0000001s", "0.0001ms"};
	for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
		uint64_t out = 0;
		char err[256] = "", want[256];
		assert_int_equal(opt_time_us(fine[i], 1000, &out, err, sizeof err), -1);
		snprintf(want, sizeof want, "'%s' is finer than a microsecond", fine[i]);
		check_err("opt_time_us", fine[i], want, err);
	}
}

/* ---- opt_choice --------------------------------------------------------- */

static void test_opt_choice_found(void **state)
{
	(void)state;
	static const char *const names[] = {"send", "sendall", NULL};
	char err[64] = "untouched";
	assert_int_equal(opt_choice("send", names, err, sizeof err), 0);
	assert_int_equal(opt_choice("sendall", names, err, sizeof err), 1);
	assert_string_equal(err, "untouched");
	assert_int_equal(opt_choice("echo", proto_names, err, sizeof err), PROTO_ECHO);
	assert_int_equal(opt_choice("rr", proto_names, err, sizeof err), PROTO_RR);
	assert_int_equal(opt_choice("sink", proto_names, err, sizeof err), PROTO_SINK);
	assert_int_equal(opt_choice("http", proto_names, err, sizeof err), PROTO_HTTP);
}

static void test_opt_choice_not_found(void **state)
{
	(void)state;
	static const char *const names[] = {"shared", "exclusive", "reuseport", NULL};
	static const char *const one[] = {"only", NULL};
	static const char *const none[] = {NULL};
	const struct {
		const char *s;
		const char *const *names;
		const char *err;
	} cases[] = {
	    {"fifo", names, "'fifo' is not one of shared, exclusive, reuseport"},
	    {"", names, "'' is not one of shared, exclusive, reuseport"},
	    {"share", names,
	     "'share' is not one of shared, exclusive, reuseport"}, /* no prefixes */
	    {"SHARED", names, "'SHARED' is not one of shared, exclusive, reuseport"},
	    {"shared ", names, "'shared ' is not one of shared, exclusive, reuseport"},
	    {"x", one, "'x' is not one of only"},
	    {"x", none, "'x' is not one of"},
	    {"HTTP", proto_names, "'HTTP' is not one of echo, rr, sink, http"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[256] = "";
		int rc = opt_choice(cases[i].s, cases[i].names, err, sizeof err);
		assert_int_equal(rc, -1);
		check_err("opt_choice", cases[i].s, cases[i].err, err);
	}
}

/* A short buffer gets a truncated, terminated message and nothing past it. */
static void test_opt_choice_short_buffer(void **state)
{
	(void)state;
	static const char *const names[] = {"shared", "exclusive", "reuseport", NULL};
	const size_t lens[] = {1, 5, 10, 20, 26, 27, 28, 40};
	const char *full = "'fifo' is not one of shared, exclusive, reuseport";
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		char buf[64];
		memset(buf, 'Z', sizeof buf);
		assert_int_equal(opt_choice("fifo", names, buf, lens[i]), -1);
		size_t n = strnlen(buf, sizeof buf);
		if (n != lens[i] - 1 || strncmp(buf, full, n) != 0) {
			print_error("errlen %zu: expected \"%.*s\", got \"%.*s\"\n", lens[i],
				    (int)lens[i] - 1, full, (int)n, buf);
			fail();
		}
		for (size_t k = lens[i]; k < sizeof buf; k++)
			assert_int_equal(buf[k], 'Z');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_opt_size),
	    cmocka_unit_test(test_opt_int),
	    cmocka_unit_test(test_opt_time_us),
	    cmocka_unit_test(test_opt_choice_found),
	    cmocka_unit_test(test_opt_choice_not_found),
	    cmocka_unit_test(test_opt_choice_short_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

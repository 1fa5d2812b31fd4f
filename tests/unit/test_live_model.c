/* test_live_model.c - the live view's model (bench/live/live_model.c) fed
 * hand-written stream lines, good and malformed: what it keeps, what it
 * counts and skips, and that no line can crash it. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench/live/live_model.h"

static struct live_model m;

static void feed(const char *text)
{
	live_model_bytes(&m, text, strlen(text));
}

static void near(const char *what, double want, double got)
{
	if (!(fabs(want - got) <= 1e-9 * (fabs(want) + 1)))
		fail_msg("%s: expected %.12g, got %.12g", what, want, got);
}

static const char start_rr[] =
    "{\"kind\":\"start\",\"t_s\":0,\"mode\":\"rr\",\"conns\":100,\"target\":\"127.0.0.1:4000\","
    "\"backlog\":128,\"interval_s\":1.0,\"duration_s\":4.0}\n";

static void test_start(void **state)
{
	(void)state;
	live_model_init(&m);
	feed(start_rr);
	assert_int_equal(m.started, 1);
	assert_string_equal(m.mode, "rr");
	assert_string_equal(m.target, "127.0.0.1:4000");
	assert_int_equal(m.conns, 100);
	assert_int_equal(m.backlog, 128);
	near("duration_s", 4.0, m.duration_s);
	assert_string_equal(live_model_unit(&m), "req/s");
	/* backlog null: the server's default, not told */
	feed("{\"kind\":\"start\",\"mode\":\"stream\",\"conns\":2,\"backlog\":null}\n");
	assert_int_equal(m.backlog, -1);
	assert_string_equal(live_model_unit(&m), "MB/s");
	feed("{\"kind\":\"start\",\"mode\":\"connect\",\"conns\":\"many\"}\n");
	assert_string_equal(live_model_unit(&m), "connects/s");
	assert_int_equal(m.conns, -1); /* a string is no count */
	assert_int_equal(m.malformed, 0);
}

static void tick(double t, long long requests, const char *extra)
{
	char line[1024];
	snprintf(line, sizeof line,
		 "{\"kind\":\"tick\",\"t_s\":%g,\"requests\":%lld,\"bytes\":%lld,\"connects\":100,"
		 "\"errors\":0%s}\n",
		 t, requests, requests * 64, extra);
	feed(line);
}

static void test_ticks(void **state)
{
	(void)state;
	live_model_init(&m);
	feed(start_rr);
	tick(0.1, 1000,
	     ",\"open\":90,\"connecting\":10,\"syn_retry_waiting\":3,\"next_retry_s\":1.03,"
	     "\"served\":80,\"starved\":2,\"accept_queue\":{\"len\":129,\"limit\":128},"
	     "\"listen_overflows\":45,\"server_accepted\":77");
	assert_int_equal(m.requests, 1000);
	assert_int_equal(m.open, 90);
	assert_int_equal(m.connecting, 10);
	assert_int_equal(m.syn_retry_waiting, 3);
	near("next_retry_s", 1.03, m.next_retry_s);
	assert_int_equal(m.served, 80);
	assert_int_equal(m.starved, 2);
	assert_int_equal(m.aq_len, 129);
	assert_int_equal(m.aq_limit, 128);
	assert_int_equal(m.listen_overflows, 45);
	assert_int_equal(m.server_accepted, 77);
	assert_int_equal(m.hist_n, 0); /* one tick: no rise yet */
	tick(0.2, 2000, ",\"accept_queue\":null,\"listen_overflows\":null,\"next_retry_s\":null");
	assert_int_equal(m.hist_n, 1);
	near("rate after 2 ticks", 10000, m.rate_now);
	assert_int_equal(m.aq_len, 129); /* null: no sample, the last one stays */
	assert_int_equal(m.aq_max, 129);
	assert_int_equal(m.listen_overflows, -1);
	near("next_retry_s null", -1, m.next_retry_s);
	/* the rate is over the last second: 11 ticks; steady 10000/s, then a
	 * burst shows as the rise over that window, not one tick's */
	for (int i = 3; i <= 20; i++)
		tick(i / 10.0, i * 1000LL, "");
	near("steady rate", 10000, m.rate_now);
	tick(2.1, 20000 + 10000, "");
	near("burst over the window", (30000.0 - 11000.0) / (2.1 - 1.1), m.rate_now);
	assert_int_equal(m.hist_n, 20);
	near("newest sample", m.rate_now, live_model_hist(&m, 0));
	near("peak", m.rate_now, m.rate_peak);
	/* the same tick twice, or time going back: no sample, no division by 0 */
	tick(2.1, 30000, "");
	assert_int_equal(m.hist_n, 20);
	tick(0.5, 10, "");
	assert_int_equal(m.hist_n, 20);
	assert_int_equal(m.malformed, 0);
}

static void test_interval_and_end(void **state)
{
	(void)state;
	live_model_init(&m);
	feed(start_rr);
	feed("{\"kind\":\"interval\",\"t_s\":1.0,\"requests\":5,\"connects\":100,\"bytes\":320,"
	     "\"errors\":0,\"p50_us\":40.5,\"p99_us\":990,\"established\":97,\"served\":95,"
	     "\"starved\":1,\"syn_retry_waiting\":2,\"listen_overflows\":3,"
	     "\"accept_queue\":{\"len\":4,\"limit\":128},\"server_accepted\":null}\n");
	assert_int_equal(m.intervals, 1);
	near("p50", 40.5, m.p50_us);
	near("p99", 990, m.p99_us);
	assert_int_equal(m.open, 97); /* no tick said: the interval's stands */
	assert_int_equal(m.aq_len, 4);
	feed("{\"kind\":\"interval\",\"t_s\":2.0,\"p50_us\":null,\"p99_us\":\"slow\"}\n");
	near("p50 null", -1, m.p50_us);
	near("p99 a string", -1, m.p99_us);
	feed("{\"kind\":\"end\",\"t_s\":4.01,\"error\":null,\"headline\":{\"name\":\"req/s\","
	     "\"value\":51234.5}}\n");
	assert_int_equal(m.ended, 1);
	assert_string_equal(m.end_error, "");
	assert_string_equal(m.headline_name, "req/s");
	near("headline", 51234.5, m.headline_value);
	feed("{\"kind\":\"end\",\"error\":\"SIGINT\\u001b[2J\",\"headline\":7}\n");
	assert_string_equal(m.end_error, "SIGINT?[2J"); /* no escape reaches the screen */
	near("headline not an object", -1, m.headline_value);
	assert_int_equal(m.malformed, 0);
}

static void test_sweep(void **state)
{
	(void)state;
	char line[512];
	live_model_init(&m);
	feed("{\"kind\":\"run\",\"i\":1,\"n\":3,\"cell\":\"backlog-8\",\"values\":{\"backlog\":"
	     "\"8\","
	     "\"conns\":100,\"x\":[1]},\"eta_s\":42}\n");
	assert_int_equal(m.run_i, 1);
	assert_int_equal(m.run_n, 3);
	assert_string_equal(m.cell, "backlog-8");
	assert_string_equal(m.values, "backlog=8 conns=100"); /* an array is left out */
	near("eta", 42, m.eta_s);
	feed(start_rr);
	assert_int_equal(m.run_n, 3); /* a run's start keeps the sweep */
	feed("{\"kind\":\"run_end\",\"i\":1,\"headline\":{\"name\":\"req/s\",\"value\":900},"
	     "\"error\":null}\n");
	feed("{\"kind\":\"run\",\"i\":2,\"n\":3,\"cell\":\"backlog-64\",\"values\":{}}\n");
	feed(
	    "{\"kind\":\"run_end\",\"i\":2,\"headline\":{\"value\":null},\"error\":\"timeout\"}\n");
	assert_int_equal(m.runs_n, 2);
	assert_string_equal(m.runs[0].cell, "backlog-8");
	near("run 1", 900, m.runs[0].value);
	assert_int_equal(m.runs[0].failed, 0);
	assert_string_equal(m.runs[1].cell, "backlog-64");
	near("run 2 no value", -1, m.runs[1].value);
	assert_int_equal(m.runs[1].failed, 1);
	/* more runs than the panel keeps: the newest LIVE_RUNS, oldest first */
	for (int i = 3; i < LIVE_RUNS + 10; i++) {
		snprintf(line, sizeof line,
			 "{\"kind\":\"run\",\"i\":%d,\"n\":99,\"cell\":\"c%d\"}\n"
			 "{\"kind\":\"run_end\",\"i\":%d,\"headline\":{\"value\":%d}}\n",
			 i, i, i, i);
		feed(line);
	}
	assert_int_equal(m.runs_n, LIVE_RUNS);
	assert_int_equal(m.runs[LIVE_RUNS - 1].i, LIVE_RUNS + 9);
	assert_int_equal(m.runs[0].i, 10);
	assert_int_equal(m.malformed, 0);
}

/* Each of these is counted as malformed and changes nothing. */
static void test_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "not json\n",
	    "{\n",
	    "[1,2,3]\n",
	    "\"tick\"\n",
	    "{\"kind\":5}\n",
	    "{}\n",
	    "{\"kind\":\"tick\",\"kind\":\"end\"}\n", /* a duplicate key */
	    "{\"kind\":\"tick\"} trailing\n",
	    "\xff\xfe{\"kind\":\"tick\"}\n",
	    "null\n",
	    "42\n",
	};
	live_model_init(&m);
	feed(start_rr);
	tick(0.1, 10, "");
	struct live_model before = m;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		feed(bad[i]);
	live_model_bytes(&m, "{\"kind\":\0\"tick\"}\n", 17); /* a NUL inside */
	assert_int_equal(m.malformed, (long long)(sizeof bad / sizeof bad[0]) + 1);
	assert_int_equal(m.requests, before.requests);
	assert_int_equal(m.ticks, before.ticks);
	/* blank lines and CRLF are no records, and no errors */
	feed("\n\r\n   \n");
	tick(0.2, 20, "");
	feed("{\"kind\":\"tick\",\"t_s\":0.3,\"requests\":30}\r\n");
	assert_int_equal(m.requests, 30);
	assert_int_equal(m.malformed, (long long)(sizeof bad / sizeof bad[0]) + 1);
	/* a kind of a newer producer: skipped, counted apart */
	feed("{\"kind\":\"hello\",\"x\":1}\n");
	assert_int_equal(m.unknown, 1);
}

/* A line longer than LIVE_LINE_MAX is one malformed line, and the next
 * line reads as it should. */
static void test_long_line(void **state)
{
	(void)state;
	size_t n = LIVE_LINE_MAX * 3;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'a', n);
	big[0] = '{';
	big[n] = '\n';
	live_model_init(&m);
	live_model_bytes(&m, big, n + 1);
	free(big);
	assert_int_equal(m.malformed, 1);
	feed(start_rr);
	assert_int_equal(m.started, 1);
	assert_int_equal(m.malformed, 1);
}

/* The stream cut anywhere (a pipe's reads) gives the same state as whole
 * lines. */
static void test_cut_anywhere(void **state)
{
	(void)state;
	static const char text[] =
	    "{\"kind\":\"start\",\"mode\":\"connect\",\"conns\":20,\"backlog\":4}\n"
	    "{\"kind\":\"tick\",\"t_s\":0.1,\"connects\":3,\"accept_queue\":{\"len\":5,\"limit\":4}"
	    "}\n"
	    "garbage\n"
	    "{\"kind\":\"tick\",\"t_s\":0.2,\"connects\":5,\"listen_overflows\":12}\n";
	for (size_t step = 1; step < 9; step++) {
		live_model_init(&m);
		for (size_t at = 0; at < sizeof text - 1; at += step) {
			size_t k = sizeof text - 1 - at < step ? sizeof text - 1 - at : step;
			live_model_bytes(&m, text + at, k);
		}
		assert_int_equal(m.lines, 4);
		assert_int_equal(m.malformed, 1);
		assert_int_equal(m.connects, 5);
		assert_int_equal(m.aq_len, 5);
		assert_int_equal(m.listen_overflows, 12);
		near("connects/s", 20, m.rate_now);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_start),
	    cmocka_unit_test(test_ticks),
	    cmocka_unit_test(test_interval_and_end),
	    cmocka_unit_test(test_sweep),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_long_line),
	    cmocka_unit_test(test_cut_anywhere),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

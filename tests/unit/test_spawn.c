/* test_spawn.c - spawn_stop against real child processes (sh scripts).
 *
 * How the server under test is stopped decides whether a run keeps its
 * numbers: SIGTERM, a grace period, SIGKILL, and the exit status read.
 * Each case starts a real process through spawn_cmd (READY line), stops
 * it with spawn_stop and checks the verdict, the message and the time.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sbunit.h"
#include "sockbench/spawn.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Start `script` under sh; when `with_stats`, give the spawn a --serve
 * style stats file in a fresh directory (the script writes it as STATS). */
static void start(struct spawn *sp, const char *script, bool with_stats)
{
	char cmd[1024], err[256], dir[] = "/tmp/sbspawn-XXXXXX";
	const char *stats = "";
	char path[256] = "";
	if (with_stats) {
		assert_non_null(mkdtemp(dir));
		snprintf(path, sizeof path, "%s/server.json", dir);
		stats = path;
	}
	/* 'STATS' in the script becomes the path (sh sees it as a literal). */
	char body[768];
	size_t k = 0;
	for (const char *p = script; *p && k < sizeof body - 300;) {
		if (!strncmp(p, "STATS", 5)) {
			k += (size_t)snprintf(body + k, sizeof body - k, "%s", stats);
			p += 5;
		} else {
			body[k++] = *p++;
		}
	}
	body[k] = '\0';
	/* stderr closed: sh's "Terminated" for its killed sleep is noise. */
	snprintf(cmd, sizeof cmd, "sh -c 'exec 2>/dev/null; %s'", body);
	int rc = spawn_cmd(sp, cmd, 16, 1024, err, sizeof err);
	if (rc < 0)
		fail_msg("spawn_cmd %s: %s", cmd, err);
	if (with_stats) {
		snprintf(sp->stats_path, sizeof sp->stats_path, "%s", path);
		snprintf(sp->tmpdir, sizeof sp->tmpdir, "%s", dir);
	}
}

#define LOOP "echo READY port={port}; while :; do sleep 0.05; done"

/* Writes its stats at once, exits 0: a clean stop, stats handed over. */
static void test_clean_stop(void **state)
{
	(void)state;
	struct spawn sp;
	start(&sp, "trap \"echo {} > STATS; exit 0\" TERM; " LOOP, true);
	char err[256] = "";
	json_t *stats = NULL;
	double t0 = now_s();
	int rc = spawn_stop(&sp, &stats, err, sizeof err);
	double took = now_s() - t0;
	assert_int_equal(rc, 0);
	assert_non_null(stats);
	assert_true(json_is_object(stats)); /* the "{}" the script wrote */
	assert_true(took < 1.5);
	assert_int_equal(access(sp.tmpdir, F_OK), -1); /* temp dir removed */
	json_decref(stats);
}

/* Writes its stats, then takes 3 s to exit and exits 3: the way a
 * sanitizer build's leak check ends.  It must get past the 2 s grace (it
 * is exiting), and its status must fail the stop although stats exist. */
static void test_slow_exit_after_stats(void **state)
{
	(void)state;
	struct spawn sp;
	start(&sp, "trap \"echo {} > STATS; sleep 3; exit 3\" TERM; " LOOP, true);
	char err[256] = "";
	json_t *stats = NULL;
	double t0 = now_s();
	int rc = spawn_stop(&sp, &stats, err, sizeof err);
	double took = now_s() - t0;
	assert_int_equal(rc, -1);
	if (!strstr(err, "server failed while stopping (status 3)"))
		fail_msg("err: %s", err);
	assert_non_null(stats); /* the stats it wrote are still read */
	if (took < 2.9 || took > 14)
		fail_msg("stopped after %.2f s, want the 3 s it took", took);
	json_decref(stats);
}

/* Ignores SIGTERM and writes nothing: SIGKILL after 2 s, and the message
 * says where the process was waiting. */
static void test_hung(void **state)
{
	(void)state;
	struct spawn sp;
	start(&sp, "trap \"\" TERM; " LOOP, false);
	pid_t pid = sp.pid;
	char err[256] = "";
	double t0 = now_s();
	int rc = spawn_stop(&sp, NULL, err, sizeof err);
	double took = now_s() - t0;
	assert_int_equal(rc, -1);
	if (!strstr(err, "did not stop within 2 s of SIGTERM (state ") ||
	    !strstr(err, ", wchan ") || !strstr(err, "); killed"))
		fail_msg("err: %s", err);
	if (took < 1.9 || took > 4)
		fail_msg("killed after %.2f s, want 2 s", took);
	print_message("%s\n", err);
	assert_int_equal(kill(pid, 0), -1); /* gone, and reaped */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean_stop),
	    cmocka_unit_test(test_slow_exit_after_stats),
	    cmocka_unit_test(test_hung),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

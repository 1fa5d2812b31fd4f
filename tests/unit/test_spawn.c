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

/* Start `script` under sh, from a file: `sh FILE {port} STATS`, the
 * script reading the port as $1 and the stats path as $STATS ($2): the
 * path is an argument, never pasted into shell text.  When `with_stats`,
 * the spawn gets a --serve style stats file in a fresh directory. */
static void start(struct spawn *sp, const char *script, bool with_stats)
{
	char cmd[1024], err[256], dir[] = "/tmp/sbspawn-XXXXXX", sdir[] = "/tmp/sbspawn-XXXXXX";
	char path[256] = "-", file[300];
	if (with_stats) {
		assert_non_null(mkdtemp(dir));
		snprintf(path, sizeof path, "%s/server.json", dir);
	}
	assert_non_null(mkdtemp(sdir));
	snprintf(file, sizeof file, "%s/server.sh", sdir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	/* stderr closed: sh's "Terminated" for its killed sleep is noise. */
	fprintf(f, "exec 2>/dev/null\nSTATS=$2\n%s\n", script);
	fclose(f);
	snprintf(cmd, sizeof cmd, "sh %s {port} %s", file, path);
	int rc = spawn_cmd(sp, cmd, 16, 1024, err, sizeof err);
	unlink(file); /* sh has it open: READY came from it */
	rmdir(sdir);
	if (rc < 0)
		fail_msg("spawn_cmd %s: %s", cmd, err);
	if (with_stats) {
		snprintf(sp->stats_path, sizeof sp->stats_path, "%s", path);
		snprintf(sp->tmpdir, sizeof sp->tmpdir, "%s", dir);
	}
}

#define LOOP "echo READY port=$1; while :; do sleep 0.05; done"

/* What spawn_stop said and how long it took. */
struct stopped {
	int rc;
	json_t *stats;
	char err[256];
	double took;
};

static void stop_timed(struct spawn *sp, bool want_stats, struct stopped *out)
{
	memset(out, 0, sizeof *out);
	double t0 = now_s();
	out->rc = spawn_stop(sp, want_stats ? &out->stats : NULL, out->err, sizeof out->err);
	out->took = now_s() - t0;
}

/* Writes its stats at once, exits 0: a clean stop, stats handed over. */
static void test_clean_stop(void **state)
{
	(void)state;
	struct spawn sp;
	struct stopped r;
	start(&sp, "trap \"echo {} > $STATS; exit 0\" TERM; " LOOP, true);
	stop_timed(&sp, true, &r);
	assert_int_equal(r.rc, 0);
	assert_non_null(r.stats);
	assert_true(json_is_object(r.stats)); /* the "{}" the script wrote */
	assert_true(r.took < 1.5);
	assert_int_equal(access(sp.tmpdir, F_OK), -1); /* temp dir removed */
	json_decref(r.stats);
}

/* Writes its stats, then takes 3 s to exit and exits 3: the way a
 * sanitizer build's leak check ends.  It must get past the 2 s grace (it
 * is exiting), and its status must fail the stop although stats exist. */
static void test_slow_exit_after_stats(void **state)
{
	(void)state;
	struct spawn sp;
	struct stopped r;
	start(&sp, "trap \"echo {} > $STATS; sleep 3; exit 3\" TERM; " LOOP, true);
	stop_timed(&sp, true, &r);
	assert_int_equal(r.rc, -1);
	if (!strstr(r.err, "server failed while stopping (status 3)"))
		fail_msg("err: %s", r.err);
	assert_non_null(r.stats); /* the stats it wrote are still read */
	if (r.took < 2.9 || r.took > 14)
		fail_msg("stopped after %.2f s, want the 3 s it took", r.took);
	json_decref(r.stats);
}

/* Ignores SIGTERM and writes nothing: SIGKILL after 2 s, and the message
 * says where the process was waiting. */
static void test_hung(void **state)
{
	(void)state;
	struct spawn sp;
	struct stopped r;
	start(&sp, "trap \"\" TERM; " LOOP, false);
	pid_t pid = sp.pid;
	stop_timed(&sp, false, &r);
	assert_int_equal(r.rc, -1);
	if (!strstr(r.err, "did not stop within 2 s of SIGTERM (state ") ||
	    !strstr(r.err, ", wchan ") || !strstr(r.err, "); killed"))
		fail_msg("err: %s", r.err);
	if (r.took < 1.9 || r.took > 4)
		fail_msg("killed after %.2f s, want 2 s", r.took);
	print_message("%s\n", r.err);
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

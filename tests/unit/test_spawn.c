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
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
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
 * the spawn gets a --serve style stats descriptor (inherited, like
 * --stats-fd's; $STATS is its /proc/self/fd path as the server sees it). */
static void start(struct spawn *sp, const char *script, bool with_stats)
{
	char cmd[1024], err[256], sdir[] = "/tmp/sbspawn-XXXXXX";
	char path[64] = "-", file[300];
	int fd = -1;
	if (with_stats) {
		fd = memfd_create("test stats", 0);
		assert_true(fd >= 0);
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
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
		sp->stats_fd = fd;
		fcntl(fd, F_SETFD, FD_CLOEXEC); /* no later child of ours gets it */
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
	free(sp->err_tail); /* the caller's, after a failed stop */
	sp->err_tail = NULL;
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
	assert_int_equal(sp.stats_fd, -1); /* closed: nothing left to remove */
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

/* The inode of a process's PID namespace (0 once it has gone). */
static unsigned long pidns_of(pid_t pid)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)pid);
	return stat(path, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

/* The last field of NSpid: the pid a process has in its own namespace. */
static int inner_pid(pid_t pid)
{
	char path[64], line[256];
	int inner = -1;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "NSpid:", 6)) {
			char *p = strrchr(line, '\t');
			inner = p ? atoi(p + 1) : -1;
		}
	if (f)
		fclose(f);
	return inner;
}

/* How many processes the PID namespace whose inode is ino holds. */
static int left_in(unsigned long ino)
{
	int n = 0;
	DIR *d = opendir("/proc");
	for (struct dirent *e; d && (e = readdir(d));)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && pidns_of(atoi(e->d_name)) == ino)
			n++;
	if (d)
		closedir(d);
	return n;
}

/* The server runs as PID 2 of a namespace of its own, under our init;
 * a setsid daemon it started is gone when the stop returns. */
static void test_own_pid_namespace(void **state)
{
	(void)state;
	struct spawn sp;
	struct stopped r;
	start(&sp, "setsid sleep 301 & " LOOP, false);
	if (sp.ns.init <= 0)
		skip(); /* no PID namespace here: the run says so (warning) */
	assert_true(sp.ns.payload > 0);
	assert_int_equal(inner_pid(sp.ns.payload), 2);
	assert_int_equal(inner_pid(sp.ns.init), 1);
	unsigned long ino = pidns_of(sp.ns.payload);
	assert_true(ino != 0 && ino != pidns_of(getpid()));
	assert_true(left_in(ino) >= 3); /* init, sh, the daemon */
	stop_timed(&sp, false, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(left_in(ino), 0);
}

/* A server killed by a signal is reported as such: PID 1 cannot die of
 * its own signal, so the init passes the status on, not its exit code. */
static void test_signal_status(void **state)
{
	(void)state;
	struct spawn sp;
	struct stopped r;
	start(&sp, "trap \"echo {} > $STATS; kill -KILL \\$\\$\" TERM; " LOOP, true);
	stop_timed(&sp, true, &r);
	assert_int_equal(r.rc, -1);
	if (!strstr(r.err, "server failed while stopping (signal 9, SIGKILL)"))
		fail_msg("err: %s", r.err);
	assert_non_null(r.stats);
	json_decref(r.stats);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean_stop),	  cmocka_unit_test(test_slow_exit_after_stats),
	    cmocka_unit_test(test_hung),	  cmocka_unit_test(test_own_pid_namespace),
	    cmocka_unit_test(test_signal_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

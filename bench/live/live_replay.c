/* live_replay.c - `sockbench replay RUN.json [--speed X]`: a finished run
 * played through the live view, or, without a terminal, as its
 * per-interval lines (paced the same way).
 *
 * The records are made from the run (live_series.c) and written to the
 * view's pipe as a live run writes them: "start", a "tick" every 0.1 s of
 * run time, each "interval" at its t_s, the last tick with the run's
 * totals, "end".  Ctrl-C stops within 100 ms: the terminal is restored and
 * the exit status is 130 (143 for SIGTERM). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sockbench/live.h"
#include "sockbench/stopsig.h"

#include "live_series.h"

#define REPLAY_USAGE "usage: sockbench replay RUN.json [--speed X]\n"
#define TICK_S	     0.1
#define HOLD_S	     1.0 /* the last frame stays this long (real time) */

struct player {
	const struct live_series *s;
	double speed;
	struct timespec t0;
	int fd;		   /* the view's pipe, or -1: lines on stdout */
	long long dropped; /* lines the view's full pipe did not take */
};

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Sleeps until `real` seconds after t0, in steps of at most 100 ms so
 * that a stop signal is seen; -1 when one came. */
static int wait_until(const struct timespec *t0, double real)
{
	for (;;) {
		if (stopsig_caught())
			return -1;
		double left = real - since(t0);
		if (left <= 0)
			return 0;
		if (left > 0.1)
			left = 0.1;
		struct timespec d = {0, (long)(left * 1e9)};
		nanosleep(&d, NULL); /* EINTR: the loop looks at the signal */
	}
}

/* One record, at run time t: to the view, or as a line when it is an
 * interval and there is no view.  Takes o. */
static int emit(struct player *p, json_t *o, double t)
{
	if (!o)
		return 0;
	if (wait_until(&p->t0, t / p->speed) < 0) {
		json_decref(o);
		return -1;
	}
	if (p->fd >= 0) {
		char *line = json_dumps(o, JSON_COMPACT);
		size_t n = line ? strlen(line) : 0;
		if (line) {
			line[n] = '\n'; /* replaces the NUL: one write() per line */
			if (write(p->fd, line, n + 1) != (ssize_t)(n + 1))
				p->dropped++;
		}
		free(line);
	} else if (!strcmp(json_string_value(json_object_get(o, "kind")), "interval")) {
		char buf[512];
		live_series_line(o, p->s->mode, buf, sizeof buf);
		printf("%s\n", buf);
		fflush(stdout);
	}
	json_decref(o);
	return 0;
}

/* The whole run: 0, or -1 when a stop signal ended it. */
static int play(struct player *p)
{
	const struct live_series *s = p->s;
	size_t k = 0;
	double tiv;
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	if (emit(p, live_series_start(s), 0) < 0)
		return -1;
	long long nticks = (long long)ceil(s->duration_s / TICK_S - 1e-9);
	for (long long i = 1; i <= nticks; i++) {
		double t = i == nticks ? s->duration_s : (double)i * TICK_S;
		for (; k < s->n_iv; k++) {
			json_t *iv = live_series_interval(s, k, &tiv);
			if (tiv > t + 1e-9) {
				json_decref(iv);
				break;
			}
			if (emit(p, iv, tiv) < 0)
				return -1;
		}
		if (emit(p, live_series_tick(s, t, i == nticks), t) < 0)
			return -1;
	}
	for (; k < s->n_iv; k++) /* intervals past the duration (a late end) */
		if (emit(p, live_series_interval(s, k, &tiv), s->duration_s) < 0)
			return -1;
	if (emit(p, live_series_end(s), s->duration_s) < 0)
		return -1;
	if (p->fd >= 0 && wait_until(&p->t0, s->duration_s / p->speed + HOLD_S) < 0)
		return -1;
	return 0;
}

static int parse_speed(const char *text, double *speed)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || end == text || *end || !(v > 0 && v <= 100))
		return -1;
	*speed = v;
	return 0;
}

void live_replay_usage(FILE *f)
{
	fprintf(f, REPLAY_USAGE "\nPlays a finished run's time series (load.intervals, the "
				"accept queue's\nsamples) through the live view on the "
				"terminal, X times as fast\n(0 < X <= 100, default 1); "
				"Ctrl-C stops.  Without a terminal it prints\none line per "
				"interval.  docs/live.md: what a replay shows.\n");
}

static int parse_args(int argc, char **argv, const char **file, double *speed)
{
	static const struct option opts[] = {
	    {"speed", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {0}};
	int c;
	optind = 0; /* glibc: 0 starts getopt over (options after RUN.json too) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h') {
			live_replay_usage(stdout);
			return 0;
		}
		if (c == 's' && parse_speed(optarg, speed) == 0)
			continue;
		if (c == 's')
			fprintf(stderr,
				"sockbench replay: --speed '%s': expected a number, 0 < X <= 100\n",
				optarg);
		else
			fprintf(stderr, "sockbench replay: '%s': unknown option (see --help)\n",
				argv[optind - 1]);
		return 2;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "sockbench replay: expected one RUN.json, got %d (see --help)\n",
			argc - optind);
		return 2;
	}
	*file = argv[optind];
	return -1;
}

/* The run JSON, or NULL after one line: 1 when it cannot be read, 2 when
 * it is no run. */
static json_t *load_run(const char *file, int *rc)
{
	struct stat st = {0};
	json_error_t je;
	errno = 0;
	if (stat(file, &st) < 0 || S_ISDIR(st.st_mode)) {
		int e = errno;
		fprintf(stderr, "sockbench replay: %s: %s\n", file,
			e == 0 || S_ISDIR(st.st_mode) ? "a directory, not a run's JSON"
						      : strerror(e));
		*rc = 1;
		return NULL;
	}
	json_t *run = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
	if (!run) {
		fprintf(stderr, "sockbench replay: %s: line %d: %s\n", file, je.line, je.text);
		*rc = je.position == 0 && access(file, R_OK) < 0 ? 1 : 2;
	}
	return run;
}

static int replay(const struct live_series *s, double speed)
{
	char err[256], title[48];
	struct player p = {.s = s, .speed = speed, .fd = -1};
	struct live_cost cost;
	snprintf(title, sizeof title, "replay x%g", speed);
	live_set_title(NULL, title); /* before the view's process starts */
	struct live *lv = live_start(&p.fd, err, sizeof err);
	if (!lv)
		fprintf(stderr, "sockbench replay: no live view (%s): one line per interval\n",
			err);
	int stopped = play(&p) < 0;
	if (lv) {
		live_stop(lv, &cost); /* the terminal back before any line */
		fprintf(stderr,
			"sockbench replay: view: %lld redraws in %.1f s, %.3f s CPU (%.2f%% of a "
			"core)%s\n",
			cost.redraws, cost.wall_s, cost.cpu_s,
			cost.wall_s > 0 ? 100 * cost.cpu_s / cost.wall_s : 0.0,
			p.dropped ? ", some lines dropped: the view fell behind" : "");
	}
	if (stopped) {
		fprintf(stderr, "sockbench replay: stopped by %s\n",
			stopsig_name(stopsig_caught()));
		return 128 + stopsig_caught();
	}
	return 0;
}

int live_replay_main(int argc, char **argv)
{
	const char *file = NULL;
	double speed = 1;
	int rc = parse_args(argc, argv, &file, &speed);
	if (rc >= 0)
		return rc;
	/* first: ncurses leaves a SIGINT handler it finds alone (live_term.c) */
	stopsig_install();
	json_t *run = load_run(file, &rc);
	if (!run)
		return rc;
	struct live_series s;
	char err[256];
	if (live_series_open(&s, run, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench replay: %s: %s\n", file, err);
		json_decref(run);
		return 2;
	}
	rc = replay(&s, speed);
	json_decref(run);
	return rc;
}

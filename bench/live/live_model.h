/* live_model.h - what the live view knows: the stream's records read into
 * one struct (bench/live only, and the tests).
 *
 * Bytes in (live_model_bytes: any cut, any garbage), state out.  A number
 * the stream has not given, or gave as null, is -1 (counts) or a negative
 * double (seconds, microseconds): the view shows it as "-".  Malformed
 * lines are counted and skipped; a record of an unknown kind is counted in
 * `unknown` and skipped (a newer producer may add kinds). */
#ifndef SOCKBENCH_LIVE_MODEL_H
#define SOCKBENCH_LIVE_MODEL_H

#include <stddef.h>

#define LIVE_LINE_MAX 16384 /* a longer line is malformed, skipped whole */
#define LIVE_HIST     240   /* rate samples kept: 24 s at 10 ticks/s */
#define LIVE_WIN      11    /* ticks in the rolling rate: 1 s at 10/s */
#define LIVE_RUNS     48    /* a sweep's previous runs kept for the bars */

enum live_unit { LIVE_REQS, LIVE_MBYTES, LIVE_CONNECTS };

struct live_run_bar {
	int i;	       /* run number, 1-based as the stream gives it */
	char cell[48]; /* "backlog-8" */
	double value;  /* the run's headline; < 0 when it had none */
	int failed;    /* its run_end named an error */
};

struct live_model {
	/* "start": the run being watched */
	int started;
	char mode[16], target[64];
	long long conns, backlog; /* backlog -1: the server's default, not told */
	double interval_s, duration_s;
	enum live_unit unit;

	/* the last "tick" */
	long long ticks;
	double t_s;
	long long requests, bytes, connects, errors;
	long long open, connecting, syn_retry_waiting, served, starved;
	double next_retry_s;
	long long aq_len, aq_limit, aq_max; /* aq_max: the longest seen this run */
	long long listen_overflows, server_accepted;

	/* the headline rate over the last second, one sample per tick (a ring
	 * of LIVE_HIST) */
	double hist[LIVE_HIST];
	int hist_n, hist_head; /* hist_head: where the next sample goes */
	double rate_now, rate_peak;
	double win_t[LIVE_WIN], win_c[LIVE_WIN]; /* the last ticks' (t, count) */
	int win_n, win_head;

	/* the last "interval" */
	long long intervals;
	double iv_t_s, p50_us, p99_us;

	/* "end" */
	int ended;
	char end_error[160];
	char headline_name[16];
	double headline_value;

	/* a sweep or lesson: "run" and "run_end" */
	int run_i, run_n; /* run_n 0: not a sweep */
	char cell[48], values[200];
	double eta_s;
	struct live_run_bar runs[LIVE_RUNS]; /* the last LIVE_RUNS runs, oldest first */
	int runs_n;

	/* the stream itself */
	long long lines, malformed, unknown;
	size_t buflen;
	int discarding; /* in a line longer than LIVE_LINE_MAX */
	char buf[LIVE_LINE_MAX];
};

void live_model_init(struct live_model *m);
/* Feeds n bytes of the stream; whole lines are parsed as they complete. */
void live_model_bytes(struct live_model *m, const char *p, size_t n);
/* One line (no newline needed); 0, or -1 when it is malformed (counted). */
int live_model_line(struct live_model *m, const char *line, size_t len);
/* The k-th newest rate sample (k = 0: the newest); k < hist_n. */
double live_model_hist(const struct live_model *m, int k);
/* "req/s", "MB/s", "connects/s" */
const char *live_model_unit(const struct live_model *m);

#endif

/* live.h - the full-screen live view (`--live`, `sockbench replay`).
 *
 * The view reads the run's stream of JSON lines (docs/live.md: "start",
 * "tick" ten times a second, "interval", "end", and in a sweep "run" and
 * "run_end") from a pipe and draws it with ncurses on the terminal,
 * /dev/tty, never on stdout: `--json -` and pipes keep working.  Its own
 * thread reads the pipe and redraws about 10 times a second; the terminal
 * is restored by live_stop(), at exit(), and on SIGSEGV, SIGABRT and SIGBUS
 * (then the signal is raised again).
 *
 * How a command uses it:
 *
 *     stopsig_install();               // first: ncurses then leaves
 *                                      // SIGINT and SIGTERM to us
 *     int fd;
 *     struct live *lv = live_start(&fd, err, sizeof err);
 *     if (!lv) -> no terminal: print per-interval lines instead (err says why)
 *     ... write the stream's lines to fd (or pass it to a child as
 *         --live-fd N: dup2 it there, it is O_CLOEXEC) ...
 *     struct live_cost c;
 *     live_stop(lv, &c);               // before printing anything else and
 *                                      // before exit 130/143
 *     json_object_set_new(run, "live", live_cost_json(&c));
 *
 * The write end is O_NONBLOCK and the pipe holds 1 MiB: a view that falls
 * behind (a terminal stopped by Ctrl-S) makes write() fail with EAGAIN, and
 * the producer drops that line; the view never slows the run.  Write each
 * line in one write() of at most PIPE_BUF (4096) bytes so that lines from
 * several writers do not interleave.
 */
#ifndef SOCKBENCH_LIVE_H
#define SOCKBENCH_LIVE_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

struct live;

/* What the view cost, measured by its own thread. */
struct live_cost {
	double cpu_s;	     /* the view thread's user + system CPU (RUSAGE_THREAD) */
	double wall_s;	     /* from live_start to live_stop */
	long long redraws;   /* frames drawn */
	long long lines;     /* stream lines read */
	long long malformed; /* lines that were not a stream record (skipped) */
};

/* Opens /dev/tty, starts the view and its thread; *write_fd is the pipe's
 * write end for the stream.  NULL when there is no terminal (no /dev/tty,
 * no terminfo for $TERM) or the thread could not start: err says which, and the caller falls back
 * to per-interval lines.  One view per process at a time. */
struct live *live_start(int *write_fd, char *err, size_t errlen);

/* What the next view's first line calls itself ("live" unless set,
 * "replay"): call it before live_start(), lv NULL.  The string must
 * outlive the view. */
void live_set_title(struct live *lv, const char *title);

/* Stops the thread (within 100 ms), restores the terminal, closes both
 * ends of the pipe (do not close *write_fd yourself) and frees lv; *out (may be NULL) gets the
 * cost. 0, or -errno of a failed join (the terminal is restored all the same). */
int live_stop(struct live *lv, struct live_cost *out);

/* {"cpu_s", "wall_s", "redraws", "redraws_per_s", "core_share", "lines",
 * "malformed"} for the run JSON. */
json_t *live_cost_json(const struct live_cost *c);

/* `sockbench replay RUN.json [--speed X]` (argv[0] is "replay"). */
int live_replay_main(int argc, char **argv);
void live_replay_usage(FILE *f);

/* The view is laid out for this much and more; a smaller terminal gets
 * what fits and a line asking for more. */
#define LIVE_MIN_COLS 100
#define LIVE_MIN_ROWS 30

#endif

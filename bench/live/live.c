/* live.c - the view's process: read the stream's pipe, feed the model,
 * redraw about 10 times a second (live.h).
 *
 * A process, not a thread: the command goes on forking servers and runs
 * into PID namespaces of their own (lib/pidns.c), which it can only do
 * while it has one thread (a raw clone() child would inherit a malloc or
 * stdio lock another thread held).  The terminal is opened and checked
 * here, then the view forks; from then on only the view's process calls
 * ncurses.  It waits in poll() on the stream and on a stop pipe, at most
 * 100 ms at a time, so it stops within 100 ms even when the stream is
 * quiet; it leaves by itself when the command is gone (its parent
 * changes), restoring the terminal.  Ctrl-C is the command's: the view
 * ignores SIGINT and SIGTERM and is stopped by live_stop(). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sockbench/live.h"

#include "live_draw.h"
#include "live_model.h"
#include "live_term.h"

#define FRAME_NS 100000000ll /* 10 redraws a second */

static const char *next_title = "live"; /* live_set_title() */

/* What the view's process counted, for live_stop() (shared memory). */
struct live_shared {
	long long redraws, lines, malformed;
};

struct live {
	struct live_term term;
	struct live_model model;
	struct live_self self;
	pid_t pid, parent;
	struct live_shared *sh;
	int rfd, wfd;	    /* the stream */
	int stop_r, stop_w; /* live_stop() writes a byte */
	long long t0_ns;
	double cpu_s; /* the thread's own, measured by it as it ends */
	int rows, cols;
};

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static double thread_cpu_s(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_THREAD, &ru) < 0)
		return -1;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void frame(struct live *lv)
{
	int rows, cols;
	live_term_size(&lv->term, &rows, &cols);
	if (rows != lv->rows || cols != lv->cols) {
		resizeterm(rows, cols);
		lv->rows = rows;
		lv->cols = cols;
		clearok(curscr, TRUE); /* a resized terminal is redrawn whole */
	}
	double wall = (double)(now_ns() - lv->t0_ns) / 1e9, cpu = thread_cpu_s();
	lv->self.cpu_share = wall > 0 && cpu >= 0 ? cpu / wall : -1;
	lv->self.redraws++;
	live_draw(&lv->model, &lv->self);
	refresh(); /* ncurses sends only the cells that changed: no flicker */
}

/* Everything the pipe holds now; 0 at EOF (every writer closed it). */
static int drain(struct live *lv)
{
	char buf[8192];
	for (;;) {
		ssize_t n = read(lv->rfd, buf, sizeof buf);
		if (n > 0) {
			live_model_bytes(&lv->model, buf, (size_t)n);
			continue;
		}
		if (n == 0)
			return 0;
		return errno == EAGAIN || errno == EINTR ? 1 : 0;
	}
}

static void *view_thread(void *arg)
{
	struct live *lv = arg;
	long long next = now_ns();
	struct pollfd p[2] = {{.fd = lv->stop_r, .events = POLLIN},
			      {.fd = lv->rfd, .events = POLLIN}};
	for (;;) {
		long long now = now_ns();
		if (now >= next) {
			frame(lv);
			next = now + FRAME_NS;
		}
		int wait_ms = (int)((next - now) / 1000000) + 1;
		int nfds = lv->self.eof ? 1 : 2;
		int n = poll(p, (nfds_t)nfds, wait_ms > 100 ? 100 : wait_ms);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && p[0].revents)
			break;
		if (getppid() != lv->parent) /* the command is gone */
			break;
		if (n > 0 && nfds == 2 && p[1].revents && !drain(lv))
			lv->self.eof = 1;
	}
	drain(lv); /* the last lines written before the stop, if any */
	frame(lv);
	lv->cpu_s = thread_cpu_s();
	return NULL;
}

/* Every descriptor but the view's own and 0-2 closed.  A fork without an
 * exec keeps the command's, O_CLOEXEC or not: an ssh channel's stdin
 * (load --server-host) held open here would keep the remote server and
 * probe --sysctl from ever seeing their EOF. */
static void keep_only(const struct live *lv)
{
	int keep[3] = {lv->rfd, lv->stop_r, lv->term.f ? fileno(lv->term.f) : -1};
	for (int i = 0; i < 3; i++) /* sorted, for the ranges between them */
		for (int j = i + 1; j < 3; j++)
			if (keep[j] < keep[i]) {
				int t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	unsigned from = 3;
	for (int i = 0; i < 3; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned)keep[i] > from)
			close_range(from, (unsigned)keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	close_range(from, ~0u, 0);
}

/* The view's process: draws until stopped, puts the terminal back, says
 * what it counted, and ends. */
static _Noreturn void view_process(struct live *lv)
{
	signal(SIGINT, SIG_IGN); /* the command's, which then stops us */
	signal(SIGTERM, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	close(lv->wfd);
	close(lv->stop_w);
	keep_only(lv);
	view_thread(lv);
	live_term_close(&lv->term);
	lv->sh->redraws = lv->self.redraws;
	lv->sh->lines = lv->model.lines;
	lv->sh->malformed = lv->model.malformed;
	_exit(0);
}

static int pipes(struct live *lv, char *err, size_t errlen)
{
	int s[2], d[2];
	if (pipe2(s, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(d, O_CLOEXEC | O_NONBLOCK) < 0) {
		int e = errno;
		snprintf(err, errlen, "live view: pipe: %s", strerror(e));
		return -e;
	}
	/* room for seconds of ticks when the terminal falls behind; the
	 * default 64 KiB holds a few hundred lines */
	fcntl(d[1], F_SETPIPE_SZ, 1 << 20);
	lv->stop_r = s[0];
	lv->stop_w = s[1];
	lv->rfd = d[0];
	lv->wfd = d[1];
	return 0;
}

static void close_fds(struct live *lv)
{
	int *fds[] = {&lv->stop_r, &lv->stop_w, &lv->rfd, &lv->wfd};
	for (size_t i = 0; i < 4; i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

/* Fork the view; the command keeps the write ends only.  0 or -errno. */
static int start_process(struct live *lv)
{
	lv->sh =
	    mmap(NULL, sizeof *lv->sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lv->sh == MAP_FAILED) {
		lv->sh = NULL;
		return -errno;
	}
	lv->parent = getpid();
	fflush(NULL); /* nothing buffered is written twice */
	lv->pid = fork();
	if (lv->pid < 0)
		return -errno;
	if (lv->pid == 0)
		view_process(lv);
	close(lv->rfd);
	close(lv->stop_r);
	lv->rfd = lv->stop_r = -1;
	live_term_forget(&lv->term);
	return 0;
}

struct live *live_start(int *write_fd, char *err, size_t errlen)
{
	struct live *lv = calloc(1, sizeof *lv);
	if (!lv) {
		snprintf(err, errlen, "live view: out of memory");
		return NULL;
	}
	lv->stop_r = lv->stop_w = lv->rfd = lv->wfd = -1;
	live_model_init(&lv->model);
	lv->self.title = next_title;
	if (pipes(lv, err, errlen) < 0 || live_term_open(&lv->term, err, errlen) < 0) {
		close_fds(lv);
		free(lv);
		return NULL;
	}
	lv->self.utf8 = lv->term.utf8;
	lv->self.colors = lv->term.colors;
	if (lv->term.colors)
		live_draw_colors();
	lv->t0_ns = now_ns();
	int rc = start_process(lv);
	if (rc < 0) {
		live_term_close(&lv->term);
		snprintf(err, errlen, "live view: fork: %s", strerror(-rc));
		close_fds(lv);
		free(lv);
		return NULL;
	}
	*write_fd = lv->wfd;
	return lv;
}

/* For replay: its title in the next view's first line (the view is a
 * process of its own from live_start() on: set it before). */
void live_set_title(struct live *lv, const char *title)
{
	(void)lv;
	next_title = title ? title : "live";
}

int live_stop(struct live *lv, struct live_cost *out)
{
	if (!lv)
		return 0;
	ssize_t w = write(lv->stop_w, "x", 1);
	(void)w; /* a full stop pipe already holds a stop */
	/* it stops within 100 ms; one that does not in 2 s is killed */
	struct rusage ru = {0};
	int st = 0, rc = 0;
	pid_t got = 0;
	for (int i = 0; i < 200 && got == 0; i++) {
		got = wait4(lv->pid, &st, WNOHANG, &ru);
		if (got == 0)
			usleep(10000);
	}
	if (got == 0) {
		kill(lv->pid, SIGKILL);
		got = wait4(lv->pid, &st, 0, &ru);
		rc = -ETIMEDOUT;
	}
	if (out) {
		out->cpu_s = got > 0 && rc == 0
				 ? (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
				       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6
				 : -1;
		out->wall_s = (double)(now_ns() - lv->t0_ns) / 1e9;
		out->redraws = lv->sh->redraws;
		out->lines = lv->sh->lines;
		out->malformed = lv->sh->malformed;
	}
	munmap(lv->sh, sizeof *lv->sh);
	close_fds(lv);
	free(lv);
	return rc;
}

json_t *live_cost_json(const struct live_cost *c)
{
	double w = c->wall_s > 0 ? c->wall_s : 0;
	return json_pack("{s:f, s:f, s:I, s:f, s:f, s:I, s:I}", "cpu_s", c->cpu_s, "wall_s", w,
			 "redraws", (json_int_t)c->redraws, "redraws_per_s",
			 w > 0 ? (double)c->redraws / w : 0.0, "core_share",
			 w > 0 && c->cpu_s >= 0 ? c->cpu_s / w : 0.0, "lines", (json_int_t)c->lines,
			 "malformed", (json_int_t)c->malformed);
}

/* sweep_live.c - a sweep's live stream (--live-fd N, docs/live.md): a
 * "run" line before each run, the run's own load stream (its child
 * writes to the same descriptor, passed down through the run's PID and
 * network namespaces as an inherited fd), a "run_end" line after it. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/live.h"
#include "sweep_run.h"

/* --live: the view on /dev/tty reads the stream through a pipe; no
 * terminal: the progress lines, as without it. */
static void view_start(struct sweep *w)
{
	char why[256];
	int fd;
	if (w->sp.live_fd >= 0) {
		fprintf(stderr, "sockbench sweep: --live with --live-fd: the stream goes to %d, "
				"no view\n", w->sp.live_fd);
		return;
	}
	w->view = live_start(&fd, why, sizeof why);
	if (w->view)
		w->sp.live_fd = fd;
	else
		fprintf(stderr, "sockbench sweep: --live: %s: the progress lines instead\n", why);
}

void sweep_live_stop(struct sweep *w)
{
	if (!w->view)
		return;
	struct live_cost c;
	live_stop(w->view, &c);
	w->view = NULL;
	w->live.fd = -1; /* closed with the view */
	w->live_cost = live_cost_json(&c);
}

void sweep_live_init(struct sweep *w)
{
	if (w->sp.live)
		view_start(w);
	int fd = w->sp.live_fd;
	/* a run's child gets /dev/null and a file as its stdout and stderr:
	 * a stream on 0-2 travels on a copy above them */
	if (fd >= 0 && fd <= 2) {
		int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		fd = d >= 0 ? d : fd;
	}
	livefd_init(&w->live, fd);
}

void sweep_live_run(struct sweep *w, const int *idx)
{
	if (!livefd_on(&w->live))
		return;
	char key[80];
	axis_cell_key(w->sp.axes, w->sp.naxes, idx, key, sizeof key);
	int ran = w->done - w->skipped;
	double el = clock_now_s() - w->t0;
	json_t *o = json_pack("{s:s, s:i, s:i, s:s, s:o}", "kind", "run", "i", w->done, "n",
			      w->nruns, "cell", key, "values", sweep_values_json(w, idx));
	/* as the progress bar's: the runs so far, their mean time each */
	json_object_set_new(o, "eta_s",
			    ran > 0 ? json_real(el / ran * (w->nruns - w->done)) : json_null());
	livefd_put(&w->live, o, false);
}

void sweep_live_run_end(struct sweep *w, json_t *run)
{
	if (livefd_on(&w->live)) {
		json_t *err = json_object_get(run, "error");
		livefd_put(&w->live,
			   json_pack("{s:s, s:i, s:o, s:O}", "kind", "run_end", "i", w->done,
				     "headline", livefd_headline(run), "error",
				     err ? err : json_null()),
			   false);
	}
	char why[300];
	livefd_trouble(&w->live, "sockbench sweep: --live-fd", why, sizeof why);
	if (why[0] && w->live.stopped && !w->live_warned) {
		fprintf(stderr, "%s\n", why);
		w->live_warned = true;
	}
}

void sweep_live_child(const struct sweep *w, char **argv)
{
	static char num[16];
	if (!livefd_on(&w->live) || fcntl(w->live.fd, F_SETFD, 0) < 0)
		return;
	snprintf(num, sizeof num, "%d", w->live.fd);
	int n = 0;
	while (argv[n])
		n++;
	argv[n] = "--live-fd";
	argv[n + 1] = num;
	argv[n + 2] = NULL;
}

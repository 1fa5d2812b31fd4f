/* plot.c - from a sweep's JSON to gnuplot figures a viewer understands at
 * a glance: data files, one gnuplot script per figure kind
 * (scripts/plots/), PNG + SVG, and an index.html with captions computed
 * from the numbers. */
#include <errno.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "sockbench/hist.h"
#include "sockbench/kstat.h"
#include "sockbench/opt.h"
#include "sockbench/plot.h"
#include "plot_int.h"
#include "sockbench/summ.h"
#include "sockbench/strbuf.h"

/* The data file of series ns of figure `fig` (DDIR/FIG-NS.dat), opened for
 * writing; its path in path[900] and the series title of run r in s[128]. */
static FILE *series_file(const struct plot *p, const struct prun *r, const char *fig, int ns,
			 char path[900], char s[128])
{
	plot_series_of(p, r, NULL, s, 128);
	snprintf(path, 900, "%s/%s-%d.dat", p->ddir, fig, ns);
	return fopen(path, "w");
}

/* --- figures over an x axis (median over repeats, min-max bars) ------- */

static double y_established_fast(json_t *run)
{
	/* connections whose handshake needed no SYN retry */
	struct hist h;
	json_t *hj = json_path(run, "load.connections.latency_us.histogram");
	if (!hj || hist_from_json(&h, hj, NULL, 0) < 0)
		return json_path_num(run, "load.connections.established");
	double n = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		if (h.b[i] && hist_bucket_upper(i) < TCP_SYN_RETRY_NS)
			n += (double)h.b[i];
	return n;
}
static double y_overflows(json_t *r)
{
	return json_path_num(r, "kernel.delta.ListenOverflows");
}
static double y_rps(json_t *r)
{
	return json_path_num(r, "load.throughput.requests_per_s");
}
static double y_p99(json_t *r)
{
	/* The histogram counts every request that timed out or was still
	 * waiting at the end at its waiting time, and in a closed loop the
	 * requests those clients could not send meanwhile ("censored",
	 * "omitted"): the blocking server's waiting clients are in its p99. */
	if (json_path(r, "load.requests.latency_us.censored"))
		return json_path_num(r, "load.requests.latency_us.p99");
	/* A run from before: its histogram holds completed requests only.
	 * When more than 1% of the requests never completed, the true p99 is
	 * at least the timeout: plot that, not the p99 of the lucky ones. */
	double ok = json_path_num(r, "load.requests.completed"),
	       bad = json_path_num(r, "load.requests.failed");
	if (ok + bad > 0 && bad / (ok + bad) > 0.01)
		return json_path_num(r, "config.load.timeout") * 1000;
	return json_path_num(r, "load.requests.latency_us.p99");
}
static double y_mbps(json_t *r)
{
	return json_path_num(r, "load.throughput.bytes_per_s") / 1e6;
}
static double y_recv_calls(json_t *r)
{
	return json_path_num(r, "server.recv_calls") / json_path_num(r, "duration_s");
}
static double y_established(json_t *r)
{
	return json_path_num(r, "load.connections.established");
}
static double y_eaddrnotavail(json_t *r)
{
	double v = json_path_num(r, "load.errors.EADDRNOTAVAIL");
	return isnan(v) ? 0 : v;
}

struct row {
	double x;
	struct summ y;
	double extra;
};

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	return (x->x > y->x) - (x->x < y->x);
}

/* Write one data file per series (DDIR/FIG-K.dat): x median min max
 * [extra median].  Returns the number of series, their titles in names. */
static int xy_series(struct plot *p, const char *fig, const char *x, yfn y, yfn extra,
		     char names[][128], json_t *rows_out)
{
	int ns = 0;
	json_t *all = json_object(); /* every series, drawn or not */
	for (int i = 0; i < p->n; i++) {
		char s[128];
		plot_series_of(p, &p->r[i], x, s, sizeof s);
		json_object_set_new(all, s, json_true());
		int k;
		for (k = 0; k < ns && strcmp(names[k], s); k++)
			;
		if (k == ns && ns < MAX_SERIES)
			snprintf(names[ns++], 128, "%s", s);
	}
	if (json_object_size(all) > (size_t)ns)
		plot_warn(p,
			  "%s: drew %d of %zu series (at most %d a figure); the rest are left "
			  "out",
			  fig, ns, json_object_size(all), MAX_SERIES);
	json_decref(all);
	for (int k = 0; k < ns; k++) {
		struct row rows[512];
		int nr = 0;
		for (int i = 0;
		     i < p->n;) { /* runs are sorted by cell: a cell's repeats are adjacent */
			int j = i;
			double ys[256], es[256];
			int m = 0;
			char s[128];
			plot_series_of(p, &p->r[i], x, s, sizeof s);
			while (j < p->n && p->r[j].cell == p->r[i].cell) {
				if (m < 256) {
					ys[m] = y(p->r[j].j);
					es[m] = extra ? extra(p->r[j].j) : NAN;
					m++;
				}
				j++;
			}
			if (!strcmp(s, names[k]) && nr < 512) {
				const char *xv = plot_val(&p->r[i], x);
				rows[nr].x = xv ? plot_xnum(xv) : 0;
				summ_compute(ys, m, &rows[nr].y);
				struct summ es_s;
				summ_compute(es, m, &es_s);
				rows[nr].extra = es_s.median;
				nr++;
			}
			i = j;
		}
		qsort(rows, (size_t)nr, sizeof *rows, cmp_row);
		char path[900];
		snprintf(path, sizeof path, "%s/%s-%d.dat", p->ddir, fig, k);
		FILE *f = fopen(path, "w");
		if (!f)
			return -1;
		fprintf(f, "# %s: %s median min max%s (series %s)\n", fig, x, extra ? " extra" : "",
			names[k]);
		json_t *sr = json_array();
		for (int r = 0; r < nr; r++) {
			fprintf(f, "%g %g %g %g", rows[r].x, rows[r].y.median, rows[r].y.min,
				rows[r].y.max);
			if (extra)
				fprintf(f, " %g", rows[r].extra);
			fputc('\n', f);
			json_array_append_new(sr, json_pack("[f,f]", rows[r].x, rows[r].y.median));
		}
		fclose(f);
		if (rows_out)
			json_object_set_new(rows_out, names[k], sr);
		else /* fairness wants none: it was leaked (LeakSanitizer) */
			json_decref(sr);
	}
	return ns;
}

/* The caption's numbers, as "name V at X" phrases: each series' last
 * (largest x) point; a figure of one series gives all of its points (the
 * trend is what it shows: "2 at backlog 1, 9 at backlog 8, ..."). */
static void last_points(json_t *rows, const char *xname, const char *fmt, char *out, size_t len)
{
	const char *k;
	json_t *v;
	size_t n = 0;
	out[0] = '\0';
	if (json_object_size(rows) == 1) { /* one series: every point, the trend */
		json_object_foreach(rows, k, v)
		{
			size_t i;
			json_t *pt;
			n = sb_appendf(out, len, n, "%s:", k);
			json_array_foreach(v, i, pt)
			{
				char num[64];
				snprintf(num, sizeof num, fmt, json_number_value(json_array_get(pt, 1)));
				n = sb_appendf(out, len, n, "%s %s at %s %.0f", i ? "," : "", num, xname,
					       json_number_value(json_array_get(pt, 0)));
			}
		}
		return;
	}
	json_object_foreach(rows, k, v)
	{
		json_t *last = json_array_get(v, json_array_size(v) - 1);
		if (!last)
			continue;
		char num[64];
		snprintf(num, sizeof num, fmt, json_number_value(json_array_get(last, 1)));
		n = sb_appendf(out, len, n, "%s%s: %s at %s %.0f", n ? "; " : "", k, num, xname,
			       json_number_value(json_array_get(last, 0)));
	}
}

/* note: a sentence after the caption's numbers, or NULL. */
static void fig_xy(struct plot *p, const char *fig, const char *script, const char *x, yfn y,
		   yfn extra, const char *title, const char *lead, const char *fmt,
		   const char *note)
{
	char titles[MAX_SERIES][128], phr[2048], cap[3200];
	json_t *rows = json_object();
	int ns = xy_series(p, fig, x, y, extra, titles, rows);
	if (ns > 0) {
		phr[0] = '\0'; /* fmt NULL: the lead is the whole caption */
		if (fmt)
			last_points(rows, x, fmt, phr, sizeof phr);
		snprintf(cap, sizeof cap, "%s%s%s%s%s", lead, phr[0] ? " " : "", phr,
			 phr[0] ? "." : "", note && *note ? " " : "");
		if (note)
			snprintf(cap + strlen(cap), sizeof cap - strlen(cap), "%s", note);
		plot_gnuplot(p, script, fig, title, titles, ns, cap);
	}
	json_decref(rows);
}

/* A figure drawn with MAX_SERIES series: how many cells from run index i
 * on were left out (first repeats only when first_only), as a warning. */
static void cells_left_out(struct plot *p, const char *fig, int i, bool first_only)
{
	int n = 0;
	for (int j = i; j < p->n; j++)
		n += (j == i || p->r[j].cell != p->r[j - 1].cell) &&
		     (!first_only || p->r[j].repeat == 1);
	if (n)
		plot_warn(p, "%s: drew %d series (at most %d a figure); %d more cells are left out",
			  fig, MAX_SERIES, MAX_SERIES, n);
}

/* Connect-time CDF per cell, from the exact histograms of its repeats. */
static void fig_connect_cdf(struct plot *p)
{
	char titles[MAX_SERIES][128], cap[6000] = "";
	int ns = 0;
	size_t cn = 0;
	bool mean = false;
	int i = 0;
	while (i < p->n && ns < MAX_SERIES) {
		struct hist h, x;
		hist_init(&h);
		int j = i;
		for (; j < p->n && p->r[j].cell == p->r[i].cell; j++) {
			json_t *hj = json_path(p->r[j].j, "load.connections.latency_us.histogram");
			if (hj && hist_from_json(&x, hj, NULL, 0) == 0)
				hist_merge(&h, &x);
		}
		double attempted = json_path_num(p->r[i].j, "load.connections.attempted") * (j - i);
		if (h.count && attempted > 0) {
			char path[900], *s = titles[ns];
			FILE *f = series_file(p, &p->r[i], "connect_cdf", ns, path, s);
			if (!f)
				return;
			/* fraction of all attempted connections: those that never
			 * connected keep the curve below 1 */
			fprintf(f, "# connect time (ms), fraction of %g attempted (%s)\n",
				attempted, s);
			double cum = 0, fast = 0;
			fprintf(f, "%g 0\n", (double)h.min / 1e6 * 0.999);
			for (unsigned b = 0; b < HIST_BUCKETS; b++) {
				if (!h.b[b])
					continue;
				cum += (double)h.b[b];
				if (hist_bucket_upper(b) < TCP_SYN_RETRY_NS)
					fast += (double)h.b[b];
				fprintf(f, "%g %g\n", (double)hist_bucket_upper(b) / 1e6,
					cum / attempted);
			}
			fclose(f);
			/* every series in the caption: the takeaway is across them */
			double runs = j - i;
			cn = sb_appendf(cap, sizeof cap, cn,
					ns ? "; %s: %g at once, %g after a retry, %g never"
					   : "%s: %g connections completed at once (under 0.9 s), "
					     "%g waited >= 1 s for a SYN retry and %g never "
					     "connected",
					s, fast / runs, (cum - fast) / runs, (attempted - cum) / runs);
			mean = mean || runs > 1;
			ns++;
		}
		i = j;
	}
	if (mean)
		sb_appendf(cap, sizeof cap, cn, " (per run, mean over repeats)");
	if (ns == MAX_SERIES)
		cells_left_out(p, "connect_cdf", i, false);
	if (ns)
		plot_gnuplot(p, "connect_cdf", "connect_cdf",
			     "Connect latency: the SYN retry steps", titles, ns, cap);
}

/* Accept queue over time, first repeat of each cell. */
static void fig_accept_queue(struct plot *p)
{
	char titles[MAX_SERIES][128], cap[4000] = "";
	int ns = 0;
	size_t cn = 0;
	int i = 0;
	for (; i < p->n && ns < MAX_SERIES; i++) {
		if (p->r[i].repeat != 1)
			continue;
		json_t *aq = json_object_get(p->r[i].j, "accept_queue"),
		       *smp = json_object_get(aq, "samples");
		if (!json_array_size(smp))
			continue;
		char path[900], *s = titles[ns];
		FILE *f = series_file(p, &p->r[i], "accept_queue", ns, path, s);
		if (!f)
			return;
		long limit = (long)json_integer_value(json_object_get(aq, "limit"));
		fprintf(f, "# t_s queue_len limit (%s)\n", s);
		size_t k;
		json_t *v;
		json_array_foreach(smp, k, v) fprintf(
		    f, "%g %lld %ld\n", (double)json_integer_value(json_array_get(v, 0)) / 1e3,
		    (long long)json_integer_value(json_array_get(v, 1)), limit);
		fclose(f);
		cn = sb_appendf(cap, sizeof cap, cn, "%s%s: peak %lld, limit %ld",
				ns ? "; " : "The accept queue holds its limit + 1 at most - ", s,
				(long long)json_integer_value(json_object_get(aq, "max_seen")),
				limit);
		ns++;
	}
	if (ns == MAX_SERIES)
		cells_left_out(p, "accept_queue", i, true);
	if (ns)
		plot_gnuplot(p, "accept_queue", "accept_queue", "The accept queue during the run",
			     titles, ns, cap);
}

/* "Requests per second by model": what the series of a conns figure
 * are - the models, or (a sweep of one model) the axis that varies. */
static void by_what(const struct plot *p, const char *what, char *out, size_t len)
{
	const char *by = "model";
	size_t i;
	json_t *a;
	json_array_foreach(p->varying, i, a)
	{
		const char *n = json_string_value(a);
		if (!strcmp(n, "models") || !strcmp(n, "model") || !strcmp(n, "server")) {
			by = "server";
			break;
		}
		if (strcmp(n, "conns") && !strcmp(by, "model"))
			by = !strcmp(n, "bind") ? "transport (TCP or Unix socket)" : n;
	}
	if (plot_varies(p, "models") || plot_varies(p, "model"))
		by = "model";
	snprintf(out, len, "%s by %s", what, by);
}

/* Clients served by series over conns (plot_fair.c has the numbers). */
static void fig_fairness(struct plot *p)
{
	char titles[MAX_SERIES][128], cap[3000];
	int ns = plot_fair_any(p) ? xy_series(p, "fairness", "conns", plot_y_served_pct,
					      plot_y_jain, titles, NULL)
				  : 0;
	if (ns <= 0)
		return;
	plot_fair_caption(p, cap, sizeof cap);
	char title[128];
	by_what(p, "Clients served", title, sizeof title);
	plot_gnuplot(p, "fairness", "fairness", title, titles, ns, cap);
}

/* The names want() is asked about, in the order plot_usage lists them
 * (the man page and the shell completion read them too). */
const char *const plot_figures[] = {
    "connect_cdf", "established", "overflows", "accept_queue", "models",
    "tail",	   "fairness",	  "recv_size", "send",	       "ports",
    "herd",	   "outcomes",	  "close",     "restart",      "accept_queue_anim",
    NULL};

static bool want(const struct plot *p, const char *fig)
{
	return !p->only || !strcmp(p->only, fig);
}

static void figures(struct plot *p)
{
	const char *mode = plot_val(&p->r[0], "mode");
	bool connect = mode && !strcmp(mode, "connect");
	if (plot_cases_only(p)) {
		plot_cases_figures(p, want);
		return;
	}
	if (want(p, "connect_cdf") && (connect || plot_varies(p, "backlog")) &&
	    !plot_varies(p, "conns"))
		fig_connect_cdf(p);
	if (want(p, "established") && plot_varies(p, "backlog"))
		fig_xy(p, "established", "established", "backlog", y_established_fast, NULL,
		       "Connections completed without a SYN retry",
		       "The accept queue holds min(backlog, somaxconn) + 1;", "%g", NULL);
	if (want(p, "overflows") && plot_varies(p, "backlog"))
		fig_xy(p, "overflows", "overflows", "backlog", y_overflows, NULL,
		       "SYNs and ACKs dropped on a full accept queue",
		       "ListenOverflows counts each SYN or final ACK dropped;", "%g", NULL);
	/* models and tail mark the runs where clients starved (open circles):
	 * the req/s of a server that serves one client is that client's */
	char starved[1024], t_rps[128], t_p99[128];
	plot_starved_note(p, "conns", starved, sizeof starved);
	by_what(p, "Requests per second", t_rps, sizeof t_rps);
	by_what(p, "p99 latency", t_p99, sizeof t_p99);
	if (want(p, "models") && plot_varies(p, "conns") && !connect)
		fig_xy(p, "models", "models", "conns", y_rps, plot_y_starved,
		       t_rps, "Requests/s at the highest concurrency -",
		       "%.0f/s", starved);
	if (want(p, "tail") && plot_varies(p, "conns") && !connect)
		fig_xy(p, "tail", "tail", "conns", y_p99, plot_y_starved, t_p99,
		       "p99 latency at the highest concurrency (requests that timed out or were "
		       "still waiting count at their waiting time, with those their clients could "
		       "not send meanwhile) -",
		       "%.0f us", starved);
	if (want(p, "fairness") && plot_varies(p, "conns") && !connect)
		fig_fairness(p);
	if (want(p, "recv_size") && plot_varies(p, "recv_size")) {
		char rc[2048];
		plot_recv_caption(p, rc, sizeof rc);
		fig_xy(p, "recv_size", "recv_size", "recv_size", y_mbps, y_recv_calls,
		       "Throughput and recv() calls by recv size", rc, NULL, NULL);
	}
	if (want(p, "send") && plot_varies(p, "send") && plot_has_axis(p, "resp_size"))
		plot_fig_send(p);
	if (want(p, "accept_queue") && connect && !plot_varies(p, "conns"))
		fig_accept_queue(p);
	if (want(p, "ports") && connect && plot_varies(p, "conns"))
		fig_xy(p, "ports", "ports", "conns", y_established, y_eaddrnotavail,
		       "Out of local ports: EADDRNOTAVAIL",
		       "Connections established when the port range runs out -", "%g", NULL);
	if (want(p, "herd") && plot_varies(p, "accept_mode"))
		plot_fig_herd(p);
	plot_cases_figures(p, want);
}

/* ndirs 0: dirs[0] alone, as `plot DIR`; else its runs labelled.  out:
 * where the figures go (NULL: DIR/plots). */
int plot_dirs(const char *const *dirs, const char *const *labels, int ndirs, const char *out,
	      const char *only, bool animate)
{
	static struct plot p;
	char err[1024];
	memset(&p, 0, sizeof p);
	p.dir = dirs[0];
	p.dirs = dirs;
	p.labels = labels;
	p.ndirs = ndirs;
	p.only = only;
	p.animate = animate;
	p.figs = json_array();
	int rc = 0;
	if (out)
		snprintf(p.pdir, sizeof p.pdir, "%s", out);
	else
		snprintf(p.pdir, sizeof p.pdir, "%s/plots", p.dir);
	snprintf(p.ddir, sizeof p.ddir, "%s/data", p.pdir);
	if (plot_absdir(&p, err, sizeof err) < 0 || plot_load_runs(&p, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench plot: %s\n", err);
		rc = 1;
		goto out;
	}
	mkdir(p.pdir, 0755);
	if (mkdir(p.ddir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "sockbench plot: %s: %s\n", p.ddir, strerror(errno));
		rc = 1;
		goto out;
	}
	bool gp = plot_have_gnuplot(p.term, sizeof p.term);
	if (!gp) /* the data files are still written: any plotting tool reads them */
		snprintf(p.term, sizeof p.term, "none");
	figures(&p);
	if (animate && want(&p, "accept_queue_anim")) /* also of a lesson's cases */
		plot_anim(&p);
	size_t wi;
	json_t *wv;
	json_array_foreach(p.warnings, wi, wv)
	    fprintf(stderr, "sockbench plot: %s\n", json_string_value(wv));
	if (!gp) {
		fprintf(stderr,
			"sockbench plot: gnuplot not found on PATH (apt-get install gnuplot-nox); "
			"data files are in %s\n",
			p.ddir);
		rc = 1;
	} else if (plot_write_index(&p, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench plot: %s\n", err);
		rc = 1;
	} else if (p.gp_failed) {
		fprintf(stderr,
			"sockbench plot: gnuplot could not draw %d figure%s (its words "
			"above); %zu drawn in %s\n",
			p.gp_failed, p.gp_failed == 1 ? "" : "s", json_array_size(p.figs), p.pdir);
		rc = 1;
	} else if (!json_array_size(p.figs)) {
		fprintf(stderr, "sockbench plot: no figure fits the axes this sweep varied%s\n",
			only ? " (or --figure names none)" : "");
		rc = 1;
	} else {
		printf("sockbench plot: %zu figures in %s/index.html\n", json_array_size(p.figs),
		       p.pdir);
		size_t i;
		json_t *v;
		json_array_foreach(p.figs, i, v)
		    printf("  %s: %s\n", json_string_value(json_object_get(v, "name")),
			   json_string_value(json_object_get(v, "caption")));
	}
out: /* what the runs loaded, also when loading stopped halfway */
	for (int i = 0; i < p.n; i++)
		json_decref(p.r[i].j);
	free(p.r);
	json_decref(p.varying);
	json_decref(p.dvarying);
	json_decref(p.figs);
	json_decref(p.warnings);
	return rc;
}

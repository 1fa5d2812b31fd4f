/* plot_send.c - the send figure: replies lost (data) apart from
 * connections that got nothing (scheduling).
 *
 * Two different things make a client's reply fail.  A non-blocking
 * server's single send() takes what fits in the socket buffer and drops
 * the rest: the client waits for bytes that never come (data lost).  A
 * blocking server serves one client at a time: the second client's
 * request waits, unanswered, until --timeout (nothing was lost; that
 * client starved).  Both end as a request timeout in the client's
 * counters, so the figure tells them apart by the server's side: a
 * starved client slot the server never held open beside the others
 * (config.load.conns - server.peak_connections of them, at most) was
 * waiting to be served; every other failed reply is a lost one. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot_int.h"
#include "sockbench/strbuf.h"
#include "sockbench/summ.h"

/* Client slots that got nothing because the server never had them open
 * while it served the others (it serves one client at a time). */
static double y_waiting(json_t *r)
{
	double conns = json_path_num(r, "config.load.conns"),
	       peak = json_path_num(r, "server.peak_connections");
	if (isnan(conns) || isnan(peak))
		return 0;
	return fmin(plot_y_starved(r), fmax(0, conns - peak));
}

/* Replies cut short, corrupt, or waited for in vain on a connection the
 * server held open: the data the server did not deliver.  (Not the
 * server's short_sends: a blocking send() interrupted by the stop signal
 * is short too, at the very end, and no client waited for it in the run.
 * A lesson's --timeout is shorter than its --duration so that a cut reply
 * times out in the run.) */
static double y_lost(json_t *r)
{
	double l = plot_num0(r, "load.errors.short_reply") +
		   plot_num0(r, "load.errors.integrity_error") +
		   plot_num0(r, "load.errors.request_timeout") - y_waiting(r);
	return fmax(0, l);
}

/* Percent of the replies the server answered (not those of a waiting
 * client) that arrived whole. */
static double y_whole(json_t *r)
{
	double ok = plot_num0(r, "load.requests.completed"), lost = y_lost(r);
	return ok + lost > 0 ? 100 * ok / (ok + lost) : NAN;
}

static double y_conns(json_t *r)
{
	return json_path_num(r, "config.load.conns");
}

/* "4k", "16M": a reply size as the axis labels it. */
static void size_str(double v, char *out, size_t len)
{
	if (v >= 1048576)
		snprintf(out, len, "%gM", v / 1048576);
	else if (v >= 1024)
		snprintf(out, len, "%gk", v / 1024);
	else
		snprintf(out, len, "%g", v);
}

struct srow {
	double x, whole, wmin, wmax, lost, waiting, conns;
};

/* The cells of series s (sorted by x) into rows; how many. */
static int series_rows(const struct plot *p, const char *s, struct srow *rows, int max)
{
	int nr = 0;
	for (int i = 0, j; i < p->n && nr < max; i = j) {
		char name[128];
		plot_series_of(p, &p->r[i], "resp_size", name, sizeof name);
		double w[256], l[256], t[256];
		int m = 0;
		for (j = i; j < p->n && p->r[j].cell == p->r[i].cell; j++)
			if (m < 256) {
				w[m] = y_whole(p->r[j].j);
				l[m] = y_lost(p->r[j].j);
				t[m++] = y_waiting(p->r[j].j);
			}
		if (strcmp(name, s))
			continue;
		struct summ sw, sl, st;
		summ_compute(w, m, &sw);
		summ_compute(l, m, &sl);
		summ_compute(t, m, &st);
		rows[nr++] = (struct srow){plot_xnum(plot_val(&p->r[i], "resp_size") ?: "0"),
					   sw.median,
					   sw.min,
					   sw.max,
					   sl.median,
					   st.median,
					   y_conns(p->r[i].j)};
	}
	for (int a = 1; a < nr; a++) /* insertion sort by x: a few cells */
		for (int b = a; b > 0 && rows[b].x < rows[b - 1].x; b--) {
			struct srow t = rows[b];
			rows[b] = rows[b - 1];
			rows[b - 1] = t;
		}
	return nr;
}

/* One series' share of the caption: where it lost replies, where a
 * connection waited. */
static size_t series_caption(const char *s, const struct srow *rows, int nr, char *lost, size_t ll,
			     size_t nl, char *wait, size_t wl, size_t *nw)
{
	int first = -1, nwait = 0;
	double wmax = 0, conns = 0;
	for (int k = 0; k < nr; k++) {
		if (rows[k].lost > 0 && first < 0)
			first = k;
		if (rows[k].waiting > 0)
			nwait++;
		if (rows[k].waiting > wmax) {
			wmax = rows[k].waiting;
			conns = rows[k].conns;
		}
	}
	char a[32], b[32];
	if (first >= 0) {
		const struct srow *z = &rows[nr - 1];
		size_str(rows[first].x, a, sizeof a);
		size_str(z->x, b, sizeof b);
		nl =
		    sb_appendf(lost, ll, nl, "%s%s from %s replies on (%.0f%% arrived whole at %s)",
			       nl ? "; " : "", s, a, z->whole, b);
	}
	if (nwait)
		*nw = sb_appendf(wait, wl, *nw, "%s%s: %g of %g connections at %d of %d sizes",
				 *nw ? "; " : "", s, wmax, conns, nwait, nr);
	return nl;
}

void plot_fig_send(struct plot *p)
{
	char titles[MAX_SERIES][128], lost[1200] = "", wait[1200] = "", whole[1200] = "", cap[4000];
	int ns = 0;
	for (int i = 0; i < p->n && ns < MAX_SERIES; i++) {
		char s[128];
		plot_series_of(p, &p->r[i], "resp_size", s, sizeof s);
		int k;
		for (k = 0; k < ns && strcmp(titles[k], s); k++)
			;
		if (k == ns)
			snprintf(titles[ns++], 128, "%s", s);
	}
	size_t nl = 0, nw = 0, nh = 0;
	for (int k = 0; k < ns; k++) {
		struct srow rows[512];
		int nr = series_rows(p, titles[k], rows, 512);
		char path[900];
		snprintf(path, sizeof path, "%s/send-%d.dat", p->ddir, k);
		FILE *f = fopen(path, "w");
		if (!f)
			return;
		fprintf(f,
			"# send: resp_size whole_pct median min max, lost replies, connections "
			"that waited (served one at a time), conns (series %s)\n",
			titles[k]);
		for (int r = 0; r < nr; r++)
			fprintf(f, "%g %g %g %g %g %g %g\n", rows[r].x, rows[r].whole, rows[r].wmin,
				rows[r].wmax, rows[r].lost, rows[r].waiting, rows[r].conns);
		fclose(f);
		size_t was = nl;
		nl = series_caption(titles[k], rows, nr, lost, sizeof lost, nl, wait, sizeof wait,
				    &nw);
		if (nl == was && nr)
			nh = sb_appendf(whole, sizeof whole, nh, "%s%s", nh ? ", " : "", titles[k]);
	}
	size_t n = sb_appendf(cap, sizeof cap, 0,
			      "Replies lost (cut short, corrupt, or never "
			      "finished on a connection being served): %s.",
			      nl ? lost : "none, in any series");
	if (nl && nh)
		n = sb_appendf(cap, sizeof cap, n, " Every reply arrived whole with %s.", whole);
	if (nw)
		n = sb_appendf(cap, sizeof cap, n,
			       " Connections that got nothing because the server serves one "
			       "client at a time (open circles; no data lost) - %s.",
			       wait);
	if (ns)
		plot_gnuplot(p, "send", "send", "send() vs sendall: replies that arrived whole",
			     titles, ns, cap);
}

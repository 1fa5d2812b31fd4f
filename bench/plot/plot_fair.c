/* plot_fair.c - the clients behind the totals: which were served and
 * which starved, by model and concurrency (each run's
 * load.connections.served and .starved, load.fairness.jain).
 *
 * A server that serves one client at a time gives that one client its
 * whole speed: by requests/s it can beat a forking server, and by the
 * latency of completed requests it looks best of all, while 99 of 100
 * clients wait.  The fairness figure (plot.c) shows the clients; the
 * models and tail figures mark the runs where clients starved. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot_int.h"
#include "sockbench/strbuf.h"
#include "sockbench/summ.h"

double plot_y_starved(json_t *r)
{
	json_t *v = json_path(r, "load.connections.starved");
	return json_is_integer(v) ? (double)json_integer_value(v) : 0;
}

static double y_served(json_t *r)
{
	json_t *v = json_path(r, "load.connections.served");
	return json_is_integer(v) ? (double)json_integer_value(v) : NAN;
}

double plot_y_served_pct(json_t *r)
{
	return 100 * y_served(r) / json_path_num(r, "config.load.conns");
}

double plot_y_jain(json_t *r)
{
	return json_path_num(r, "load.fairness.jain");
}

/* The median of y over the repeats of the cell that starts at run i;
 * *next: where the next cell starts (runs are sorted by cell). */
static double cell_median(const struct plot *p, int i, yfn y, int *next)
{
	double v[256];
	int m = 0, j = i;
	for (; j < p->n && p->r[j].cell == p->r[i].cell; j++)
		if (m < 256)
			v[m++] = y(p->r[j].j);
	struct summ s;
	summ_compute(v, m, &s);
	*next = j;
	return s.median;
}

void plot_starved_note(const struct plot *p, const char *x, char *out, size_t len)
{
	size_t k = 0;
	out[0] = '\0';
	for (int i = 0, j; i < p->n; i = j) {
		double st = cell_median(p, i, plot_y_starved, &j);
		if (!(st > 0))
			continue;
		char s[128];
		plot_series_of(p, &p->r[i], x, s, sizeof s);
		k = sb_appendf(out, len, k, "%s%s: %g of %g at %s %s",
			       k ? "; "
				 : "Open circles: clients that got no reply in --timeout or "
				   "the whole run - ",
			       s, st, json_path_num(p->r[i].j, "config.load.conns"), x,
			       plot_val(&p->r[i], x) ?: "?");
	}
	if (k)
		sb_appendf(out, len, k, ".");
}

void plot_fair_caption(const struct plot *p, char *out, size_t len)
{
	char names[MAX_SERIES][128];
	double at[MAX_SERIES], served[MAX_SERIES], jain[MAX_SERIES];
	int ns = 0;
	for (int i = 0, j; i < p->n; i = j) {
		double sv = cell_median(p, i, y_served, &j),
		       jn = cell_median(p, i, plot_y_jain, &j);
		double x = json_path_num(p->r[i].j, "config.load.conns");
		char s[128];
		plot_series_of(p, &p->r[i], "conns", s, sizeof s);
		int k;
		for (k = 0; k < ns && strcmp(names[k], s); k++)
			;
		if (k == ns && ns == MAX_SERIES)
			continue;
		if (k == ns)
			snprintf(names[ns++], sizeof names[0], "%s", s);
		else if (!(x > at[k]))
			continue;
		at[k] = x;
		served[k] = sv;
		jain[k] = jn;
	}
	size_t n = sb_appendf(out, len, 0,
			      "Clients that got at least one reply at the highest concurrency "
			      "(Jain's index: 1 is equal service, 1/n one client served) -");
	for (int k = 0; k < ns; k++) {
		char j[32] = "-"; /* no request anywhere: no index */
		if (!isnan(jain[k]))
			snprintf(j, sizeof j, "%.2f", jain[k]);
		n = sb_appendf(out, len, n, "%s %s: %g of %g (Jain %s)", k ? ";" : "", names[k],
			       served[k], at[k], j);
	}
	sb_appendf(out, len, n, ".");
}

bool plot_fair_any(const struct plot *p)
{
	for (int i = 0; i < p->n; i++)
		if (!isnan(y_served(p->r[i].j)))
			return true;
	return false; /* runs from before slots were counted, or a mode without */
}

/* plot_recv.c - the recv-size figure's caption: the trend, not a dip.
 *
 * Throughput follows the recv() call rate while reads are small (a system
 * call each) and stops depending on the size once the bytes, not the
 * calls, are the work.  The caption says both with this run's numbers:
 * MB/s at the smallest and at the largest size asked, and the first size
 * that reaches half the best MB/s (one run's ups and downs past that
 * point are noise to a reader, not the lesson). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "plot_int.h"
#include "sockbench/strbuf.h"
#include "sockbench/summ.h"

struct rrow {
	double x, mbps, calls;
};

static double y_mbps(json_t *r)
{
	return json_path_num(r, "load.throughput.bytes_per_s") / 1e6;
}

static double y_calls(json_t *r)
{
	return json_path_num(r, "server.recv_calls") / json_path_num(r, "duration_s");
}

static void size_str(double v, char *out, size_t len)
{
	if (v >= 1024 * 1024)
		snprintf(out, len, "%g MiB", v / (1024 * 1024));
	else if (v >= 1024)
		snprintf(out, len, "%g KiB", v / 1024);
	else
		snprintf(out, len, "%g B", v);
}

static void calls_str(double v, char *out, size_t len)
{
	if (v >= 1e6)
		snprintf(out, len, "%.1fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(out, len, "%.0fk", v / 1e3);
	else
		snprintf(out, len, "%.0f", v);
}

/* Series s's cells, sorted by recv size; how many. */
static int recv_rows(const struct plot *p, const char *s, struct rrow *rows, int max)
{
	int nr = 0;
	for (int i = 0, j; i < p->n && nr < max; i = j) {
		char name[128];
		double mb[256], ca[256];
		int m = 0;
		plot_series_of(p, &p->r[i], "recv_size", name, sizeof name);
		for (j = i; j < p->n && p->r[j].cell == p->r[i].cell; j++)
			if (m < 256) {
				mb[m] = y_mbps(p->r[j].j);
				ca[m++] = y_calls(p->r[j].j);
			}
		if (strcmp(name, s))
			continue;
		struct summ a, b;
		summ_compute(mb, m, &a);
		summ_compute(ca, m, &b);
		rows[nr++] = (struct rrow){plot_xnum(plot_val(&p->r[i], "recv_size") ?: "0"),
					   a.median, b.median};
	}
	for (int a = 1; a < nr; a++)
		for (int b = a; b > 0 && rows[b].x < rows[b - 1].x; b--) {
			struct rrow t = rows[b];
			rows[b] = rows[b - 1];
			rows[b - 1] = t;
		}
	return nr;
}

/* One series' sentence. */
static size_t recv_series(const char *s, const struct rrow *r, int nr, char *out, size_t len,
			  size_t n, bool first)
{
	int best = 0, from = nr - 1;
	for (int k = 0; k < nr; k++)
		if (r[k].mbps > r[best].mbps)
			best = k;
	/* the first size that reaches half the best: one slow run past it
	 * (a dip) does not move where the size stopped mattering */
	for (from = 0; from < best && r[from].mbps < r[best].mbps / 2; from++)
		;
	char a[32], b[32], c[32], d[32], e[32], f[32];
	size_str(r[0].x, a, sizeof a);
	size_str(r[nr - 1].x, b, sizeof b);
	size_str(r[from].x, c, sizeof c);
	size_str(r[best].x, d, sizeof d);
	calls_str(r[0].calls, e, sizeof e);
	calls_str(r[nr - 1].calls, f, sizeof f);
	n = sb_appendf(out, len, n,
		       "%s%s: %.0f MB/s at %s, %.0f MB/s at %s (%.0fx), with %s vs %s recv() "
		       "calls/s; by %s it reaches half the best (%.0f MB/s at %s)",
		       first ? "" : ". ", s, r[0].mbps, a, r[nr - 1].mbps, b,
		       r[0].mbps > 0 ? r[nr - 1].mbps / r[0].mbps : NAN, e, f, c, r[best].mbps, d);
	/* what larger reads did, as measured: a plateau, or slower (a big
	 * buffer costs cache misses on every copy) */
	if (best < nr - 1 && r[nr - 1].mbps < 0.8 * r[best].mbps)
		return sb_appendf(out, len, n, ", and larger reads were slower here (%.0f MB/s at %s)",
				  r[nr - 1].mbps, b);
	return sb_appendf(out, len, n, "%s", best < nr - 1 ? ": past that the size matters little" : "");
}

void plot_recv_caption(const struct plot *p, char *out, size_t len)
{
	char seen[MAX_SERIES][128];
	int ns = 0;
	size_t n = sb_appendf(out, len, 0,
			      "Small reads cost a system call each: throughput follows the call "
			      "rate until the size is large enough - ");
	for (int i = 0; i < p->n && ns < MAX_SERIES; i++) {
		char s[128];
		plot_series_of(p, &p->r[i], "recv_size", s, sizeof s);
		int k;
		for (k = 0; k < ns && strcmp(seen[k], s); k++)
			;
		if (k < ns)
			continue;
		snprintf(seen[ns++], sizeof seen[0], "%s", s);
		struct rrow rows[512];
		int nr = recv_rows(p, s, rows, 512);
		if (nr)
			n = recv_series(s, rows, nr, out, len, n, ns == 1);
	}
	sb_appendf(out, len, n, ".");
}

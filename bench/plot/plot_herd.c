/* plot_herd.c - the thundering herd: for each prefork accept mode, the
 * wake-ups that found nothing per connection accepted, and how the
 * accepts spread over the workers.
 *
 * Two numbers a viewer needs side by side: how often a worker woke for a
 * connection another worker took (server.workers[].empty_wakeups over
 * .accepts), and what each fix costs: EPOLLEXCLUSIVE wakes one waiter,
 * often the same one, so a few workers take most connections; SO_REUSEPORT
 * hashes each connection to one worker's own queue. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot_int.h"
#include "sockbench/strbuf.h"
#include "sockbench/summ.h"

#define HERD_MAXW 64

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x < y) - (x > y);
}

/* A run's workers' accepts, busiest first, into acc; how many workers. */
static int worker_accepts(json_t *r, double *acc, double *empty)
{
	size_t i;
	json_t *w;
	int n = 0;
	*empty = 0;
	json_array_foreach(json_path(r, "server.workers"), i, w)
	{
		if (n == HERD_MAXW)
			break;
		acc[n++] = json_number_value(json_object_get(w, "accepts"));
		*empty += json_number_value(json_object_get(w, "empty_wakeups"));
	}
	qsort(acc, (size_t)n, sizeof *acc, cmp_desc);
	return n;
}

/* "12,640": a count with thousands separated, as the caption says it. */
static void count_str(double v, char *out, size_t len)
{
	long long n = llround(v);
	if (n >= 1000)
		snprintf(out, len, "%lld,%03lld", n / 1000, n % 1000);
	else
		snprintf(out, len, "%lld", n);
}

/* One accept mode (the cell from run i to j): its line of herd-0.dat
 * (empty wake-ups per accept, median min max; the busiest and idlest
 * worker's accepts), its workers' accepts by rank in herd-1.dat, its
 * phrase of the caption. */
static void herd_cell(const struct plot *p, int i, int j, int k, FILE *f0, FILE *f1, char *cap,
		      size_t len, size_t *cn)
{
	double epa[64] = {0}, acc[64][HERD_MAXW], rank[64];
	int m = 0, nw = 0;
	for (int r = i; r < j && m < 64; r++, m++) {
		double empty, sum = 0;
		nw = worker_accepts(p->r[r].j, acc[m], &empty);
		for (int w = 0; w < nw; w++)
			sum += acc[m][w];
		epa[m] = sum > 0 ? empty / sum : NAN;
	}
	struct summ se, sr;
	summ_compute(epa, m, &se);
	double hi = 0, lo = 0;
	for (int w = 0; w < nw; w++) { /* each rank's median over the repeats */
		for (int r = 0; r < m; r++)
			rank[r] = acc[r][w];
		summ_compute(rank, m, &sr);
		fprintf(f1, "%g %d %g\n", k + (w - (nw - 1) / 2.0) * 0.8 / nw, w + 1, sr.median);
		hi = w == 0 ? sr.median : hi;
		lo = sr.median;
	}
	fputs("\n\n", f1); /* one gnuplot data block per mode */
	const char *mode = plot_val(&p->r[i], "accept_mode");
	char lab[64], a[32], b[32]; /* one quoted column of the data file, one line */
	snprintf(lab, sizeof lab, "%s", mode ? mode : "?");
	for (char *c = lab; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == '"')
			*c = '_';
	fprintf(f0, "%d \"%s\" %g %g %g %g %g\n", k, lab, se.median, se.min, se.max, hi, lo);
	count_str(lo, a, sizeof a);
	count_str(hi, b, sizeof b);
	*cn = sb_appendf(cap, len, *cn, "%s%s %.2f empty wake-ups per accept, %s to %s accepts per worker",
			 *cn ? "; " : "", lab, se.median, a, b);
	if (lo > 0 && hi / lo >= 3)
		*cn = sb_appendf(cap, len, *cn, " (busiest %.0fx the idlest)", hi / lo);
	else if (lo == 0 && hi > 0)
		*cn = sb_appendf(cap, len, *cn, " (a worker took none)");
}

void plot_fig_herd(struct plot *p)
{
	char path[900], cap[1500] = "", full[1800], title[1][128] = {"prefork"};
	snprintf(path, sizeof path, "%s/herd-0.dat", p->ddir);
	FILE *f0 = fopen(path, "w");
	snprintf(path, sizeof path, "%s/herd-1.dat", p->ddir);
	FILE *f1 = fopen(path, "w");
	if (!f0 || !f1) {
		if (f0)
			fclose(f0);
		if (f1)
			fclose(f1);
		return;
	}
	fprintf(f0, "# index mode empty_per_accept_median min max accepts_busiest "
		    "accepts_idlest (workers' accepts: medians over repeats)\n");
	fprintf(f1, "# x worker_rank accepts (one block per accept mode, busiest first; "
		    "median over repeats)\n");
	int k = 0;
	size_t cn = 0;
	for (int i = 0, j; i < p->n; i = j) {
		for (j = i; j < p->n && p->r[j].cell == p->r[i].cell; j++)
			;
		herd_cell(p, i, j, ++k, f0, f1, cap, sizeof cap, &cn);
	}
	fclose(f0);
	fclose(f1);
	snprintf(full, sizeof full,
		 "Per accept mode, the wake-ups that found no connection (accept() said "
		 "EAGAIN) per connection accepted, and how the accepts spread over the workers: "
		 "%s.",
		 cap);
	plot_gnuplot(p, "herd", "herd", "The thundering herd: prefork accept modes", title, 1,
		     full);
}

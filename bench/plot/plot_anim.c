/* plot_anim.c - `plot --animate`: the accept queue and the connect CDF
 * growing over a connect-mode run, as an animated GIF for clips and slides
 * (DIR/plots/accept_queue_anim.gif, scripts/plots/animate.gp).
 *
 * One series per cell (its first repeat: a queue is one run's), one frame
 * per 100 ms of run time up to the longest run's duration, at most 60
 * frames (a longer run gets a longer step).  Frame k at time t: left, the
 * queue samples up to t; right, the connections completed by t.
 *
 * "Completed by t" is read from the connect-latency histogram: a
 * connection that took L completed at its start + L, and in connect mode
 * every connection is opened at the start of the run (t = 0 of the queue's
 * samples, within the time the burst of connect() calls takes), so
 * completed by t = latency <= t.  That does not hold when the connects
 * are spread out (--connect-rate): a connection started at s counts from
 * t = L, not s + L; the panel then shows too many too early, and plot
 * says so.  Histogram buckets are at most 1/128 wide: the time is the
 * bucket's upper edge. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "sockbench/hist.h"
#include "sockbench/jsonio.h"
#include "sockbench/kstat.h"
#include "sockbench/strbuf.h"
#include "plot_int.h"

#define ANIM_FIG	"accept_queue_anim"
#define ANIM_MAX_SERIES 8   /* a GIF's 256 colours, a legend read in a clip */
#define ANIM_MAX_FRAMES 60  /* a few hundred KB; a longer run takes a longer step */
#define ANIM_STEP_MS	100 /* shown for 100 ms (GIF delay 10): real time */
#define ANIM_HOLD	10  /* the last frame again: 1 s before the loop restarts */
#define MAX(a, b)	((a) > (b) ? (a) : (b))

/* A run the GIF can show: connect mode (its connections all start at
 * t = 0), accept-queue samples, a connect-latency histogram. */
static bool anim_fits(const struct prun *r)
{
	const char *mode = json_string_value(json_path(r->j, "config.load.mode"));
	return r->repeat == 1 && mode && !strcmp(mode, "connect") &&
	       json_array_size(json_path(r->j, "accept_queue.samples")) &&
	       json_path(r->j, "load.connections.latency_us.histogram") &&
	       json_path_num(r->j, "load.connections.attempted") > 0;
}

/* Block 0: the queue samples (t_s queue_len limit); block k (1..nf):
 * the CDF at frame k (connect_time_s fraction_of_attempted), from (0, 0)
 * to (t_k, what completed by t_k).  Blocks are two blank lines apart:
 * gnuplot's `index`. */
static void write_blocks(FILE *f, json_t *aq, const struct hist *h, double attempted, int nf,
			 double step_s, double tmax)
{
	size_t k;
	json_t *v;
	long limit = (long)json_integer_value(json_object_get(aq, "limit"));
	json_array_foreach(json_object_get(aq, "samples"), k, v)
	    fprintf(f, "%g %lld %ld\n", (double)json_integer_value(json_array_get(v, 0)) / 1e3,
		    (long long)json_integer_value(json_array_get(v, 1)), limit);
	for (int fr = 1; fr <= nf; fr++) {
		double t = fmin(fr * step_s, tmax), cum = 0;
		fprintf(f, "\n\n# frame %d: t = %g s\n0 0\n", fr, t);
		for (unsigned b = 0; b < HIST_BUCKETS; b++) {
			double up = (double)hist_bucket_upper(b) / 1e9;
			if (!h->b[b])
				continue;
			if (up > t)
				break;
			cum += (double)h->b[b];
			fprintf(f, "%g %g\n", up, cum / attempted);
		}
		fprintf(f, "%g %g\n", t, cum / attempted);
	}
}

/* The caption's words for one series: when the queue filled (limit + 1:
 * sk_acceptq_is_full uses >) or how high it got, and how the connections
 * ended - at once, after the 1 s SYN retry, after a later one, never. */
static size_t anim_phrase(char *cap, size_t len, size_t n, bool first_series, const char *s,
			  json_t *aq, const struct hist *h, double attempted)
{
	long limit = (long)json_integer_value(json_object_get(aq, "limit"));
	long long peak = -1, at = 0;
	size_t k;
	json_t *v;
	json_array_foreach(json_object_get(aq, "samples"), k, v)
	{
		long long q = (long long)json_integer_value(json_array_get(v, 1));
		if (q > peak) {
			peak = q;
			at = (long long)json_integer_value(json_array_get(v, 0));
		}
	}
	n = sb_appendf(cap, len, n, "%s%s: ", first_series ? "" : "; ", s);
	if (peak > limit)
		n = sb_appendf(cap, len, n, "queue full at %lld from %g s", peak, (double)at / 1e3);
	else
		n = sb_appendf(cap, len, n, "queue at most %lld (limit %ld) from %g s", peak, limit,
			       (double)at / 1e3);
	double fast = 0, first = 0, later = 0;
	for (unsigned b = 0; b < HIST_BUCKETS; b++) {
		uint64_t up = hist_bucket_upper(b);
		if (up < TCP_SYN_RETRY_NS)
			fast += (double)h->b[b];
		else if (up < TCP_SYN_RETRY_NS + 1000000000ull) /* before the 2nd retry */
			first += (double)h->b[b];
		else
			later += (double)h->b[b];
	}
	n = sb_appendf(cap, len, n, "; %g connected at once", fast);
	if (first)
		n = sb_appendf(cap, len, n, ", %g waited for the 1 s SYN retry", first);
	if (later)
		n = sb_appendf(cap, len, n, ", %g for a later one", later);
	if (attempted > (double)h->count)
		n = sb_appendf(cap, len, n, ", %g never connected", attempted - (double)h->count);
	return n;
}

/* The runs to draw (first repeats of connect mode with queue samples) in
 * sel, their longest duration in *tmax; how many. */
static int anim_select(struct plot *p, const struct prun **sel, double *tmax)
{
	int ns = 0, more = 0;
	*tmax = 0;
	for (int i = 0; i < p->n; i++) {
		if (!anim_fits(&p->r[i]))
			continue;
		if (ns == ANIM_MAX_SERIES) {
			more++;
			continue;
		}
		sel[ns++] = &p->r[i];
		double d = json_path_num(p->r[i].j, "duration_s");
		if (!(d > 0)) { /* no duration: up to its last sample */
			json_t *smp = json_path(p->r[i].j, "accept_queue.samples");
			d = (double)json_integer_value(
				json_array_get(json_array_get(smp, json_array_size(smp) - 1), 0)) /
			    1e3;
		}
		*tmax = fmax(*tmax, d);
	}
	if (more)
		plot_warn(p,
			  "%s: drew %d series (at most %d in the GIF); %d more cells are left out",
			  ANIM_FIG, ANIM_MAX_SERIES, ANIM_MAX_SERIES, more);
	return ns;
}

/* One series' data file, its words in cap; the queue's top in *ymax.
 * -1 when a file cannot be written. */
static int anim_series(struct plot *p, const struct prun *r, int k, int nf, double step_s,
		       double tmax, char *title, char *cap, size_t caplen, size_t *cn, double *ymax)
{
	static struct hist h; /* 59 KB: not on the stack */
	json_t *aq = json_object_get(r->j, "accept_queue");
	double attempted = json_path_num(r->j, "load.connections.attempted");
	char path[900];
	if (hist_from_json(&h, json_path(r->j, "load.connections.latency_us.histogram"), NULL, 0) <
	    0)
		hist_init(&h); /* an unreadable histogram: nothing completed */
	plot_series_of(p, r, NULL, title, 128);
	snprintf(path, sizeof path, "%s/%s-%d.dat", p->ddir, ANIM_FIG, k);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f,
		"# %s (%s): block 0: t_s queue_len limit; block k = 1..%d: the connect CDF at "
		"frame k, connect_time_s fraction_of_%g_attempted\n",
		ANIM_FIG, title, nf, attempted);
	write_blocks(f, aq, &h, attempted, nf, step_s, tmax);
	if (fclose(f))
		return -1;
	*cn = anim_phrase(cap, caplen, *cn, k == 0, title, aq, &h, attempted);
	*ymax = fmax(*ymax, (double)json_integer_value(json_object_get(aq, "max_seen")));
	*ymax = fmax(*ymax, (double)json_integer_value(json_object_get(aq, "limit")));
	json_t *rate = json_path(r->j, "config.load.connect_rate");
	if (rate && !json_is_null(rate))
		plot_warn(p,
			  "%s: %s: connects were paced (--connect-rate): the right panel counts a "
			  "connection as done at its connect time, before it truly completed",
			  ANIM_FIG, title);
	return 0;
}

void plot_anim(struct plot *p)
{
	const struct prun *sel[ANIM_MAX_SERIES];
	char titles[ANIM_MAX_SERIES][128], cap[4000];
	double tmax, ymax = 1;
	int ns = anim_select(p, sel, &tmax);
	if (!ns || !(tmax > 0)) {
		const char *mode =
		    p->n ? json_string_value(json_path(p->r[0].j, "config.load.mode")) : NULL;
		plot_warn(p,
			  "--animate: nothing to animate: the GIF follows the accept queue and the "
			  "connect CDF of a connect-mode run (this sweep's mode: %s); the other "
			  "figures are drawn",
			  mode ? mode : "?");
		return;
	}
	long tms = lround(tmax * 1e3), step = ANIM_STEP_MS;
	if ((tms + step - 1) / step > ANIM_MAX_FRAMES) /* a step of whole 100 ms */
		step = (tms + ANIM_MAX_FRAMES * ANIM_STEP_MS - 1) /
		       (ANIM_MAX_FRAMES * ANIM_STEP_MS) * ANIM_STEP_MS;
	int nf = (int)((tms + step - 1) / step);
	size_t cn = sb_appendf(cap, sizeof cap, 0,
			       "The accept queue (left) and the connections completed (right), "
			       "%ld ms of the run a frame - ",
			       step);
	for (int k = 0; k < ns; k++)
		if (anim_series(p, sel[k], k, nf, (double)step / 1e3, tmax, titles[k], cap,
				sizeof cap, &cn, &ymax) < 0) {
			plot_warn(p, "%s: %s/%s-%d.dat: cannot write it", ANIM_FIG, p->ddir,
				  ANIM_FIG, k);
			return;
		}
	size_t nsamp = 0;
	bool paced = false;
	for (int k = 0; k < ns; k++) {
		json_t *rate = json_path(sel[k]->j, "config.load.connect_rate");
		paced = paced || (rate && !json_is_null(rate));
		nsamp = MAX(nsamp, json_array_size(json_path(sel[k]->j, "accept_queue.samples")));
	}
	sb_appendf(cap, sizeof cap, cn,
		   paced ? ". Completed by t is read as connect time <= t, which holds when every "
			   "connect starts at t = 0 - not here (--connect-rate): the right panel "
			   "runs ahead."
			 : ". Completed by t is read as connect time <= t: every connect starts at "
			   "t = 0.");
	/* numbers only: the params file takes them as they are */
	snprintf(p->gp_extra, sizeof p->gp_extra,
		 "NF = %d\nDT = %g\nTMAX = %g\nYMAX = %g\nNSAMP = %zu\ndelay = %d\nhold = %d\n", nf,
		 (double)step / 1e3, tmax, ymax, nsamp, ANIM_STEP_MS / 10, ANIM_HOLD);
	int rc = plot_gnuplot(p, "animate", ANIM_FIG, "Connections arriving at the accept queue",
			      titles, ns, cap);
	p->gp_extra[0] = '\0';
	if (rc == 0) /* index.html shows it as a GIF, with no SVG */
		json_object_set_new(json_array_get(p->figs, json_array_size(p->figs) - 1), "ext",
				    json_string("gif"));
}

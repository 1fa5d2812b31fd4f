/* diff.c - `sockbench diff DIR_A DIR_B`: are two result sets different?
 *
 * Two sweeps of the same axes (the same code before and after a change,
 * one kernel against another): cell by cell, matched by their values,
 * each headline figure's median in A and in B, the ratio B/A with a 95%
 * bootstrap interval, and the Mann-Whitney p-value that says whether the
 * difference is more than the noise between repeats (diffstat.h: why
 * these).  benchstat's table is the model; `scripts/compare` compares
 * sockbench with other tools, this compares result sets.
 *
 * The headline figures (diff_read.c's diff_figs) are the sweep's
 * (sweep_report.c's summary, the live view's headline) that fit each
 * cell's --mode: req/s and p99 latency of requests; MB/s of stream;
 * connections established and their p99 of connect.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockbench/jsonio.h"
#include "sockbench/opt.h"
#include "sockbench/optab.h"
#include "sockbench/plot.h"
#include "diff_int.h"
#include "diffstat.h"

struct diff_config {
	char json[4096];
	double alpha;
	int resamples;
	int64_t seed;
};

static int set_alpha(void *cfg, const struct optab_row *r, const char *arg, char *err,
		     size_t errlen)
{
	char *e;
	double v = strtod(arg, &e);
	if (!*arg || *e || !(v > 0 && v <= 0.5))
		return opt_errf(err, errlen, r->name,
				"expected a level above 0, at most 0.5 (0.05: 5%%), got '%s'", arg);
	memcpy((char *)cfg + r->off, &v, sizeof v);
	return 0;
}

#define C struct diff_config
static const struct optab_row diff_rows[] = {
    {"json", OPTK_STR, NULL, "FILE", "the comparison as JSON too (schema sockbench.diff/1)",
     OPTAB_STR(C, json), .str_bad = "expected a file name", .flags = OPTF_NOJSON},
    {"alpha", OPTK_CUSTOM, "0.05", "A", "claim a difference when p < A", .off = offsetof(C, alpha),
     .size = sizeof(double), .set = set_alpha},
    {"resamples", OPTK_INT, "10000", "N", "bootstrap resamples for each interval",
     OPTAB_NUM(C, resamples), .min = 100, .max = 1000000},
    {"seed", OPTK_INT, "1", "N", "the bootstrap's seed: the same runs and seed, the same output",
     OPTAB_NUM(C, seed), .min = 0, .max = INT64_MAX},
    {NULL},
};
#undef C
const struct optab diff_optab = {"diff", diff_rows};

/* --- the figures of a cell ------------------------------------------------ */

/* rr, crr, echo, http count requests; stream bytes; connect connections. */
static unsigned mode_bit(const struct dcell *x, const struct dcell *y)
{
	json_t *run = x->first ? x->first : y->first;
	const char *m = json_string_value(json_path(run, "config.load.mode"));
	return !m		       ? DIFF_M_REQ
	       : !strcmp(m, "stream")  ? DIFF_M_STREAM
	       : !strcmp(m, "connect") ? DIFF_M_CONNECT
				       : DIFF_M_REQ;
}

/* jansson has no NaN (JSON has none): null. */
static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* One side's values of a figure: the runs that have it (a failed run,
 * or one without the figure, is left out and counted). */
struct side {
	double *x;
	int n, left_out;
};

static int side_values(const struct dcell *c, int f, struct side *s)
{
	s->n = 0;
	s->left_out = c->failed;
	s->x = malloc((size_t)(c->n ? c->n : 1) * sizeof *s->x);
	if (!s->x)
		return -ENOMEM;
	for (int i = 0; i < c->n; i++) {
		double v = c->x[i * DIFF_NFIGS + f];
		if (isfinite(v))
			s->x[s->n++] = v;
		else
			s->left_out++;
	}
	return 0;
}

/* The largest distance of a run from the median, as a fraction of it
 * (benchstat's "± 3%"); NaN with fewer than 2 runs. */
static double spread(const struct side *s, double median)
{
	double d = 0;
	for (int i = 0; i < s->n; i++)
		d = fmax(d, fabs(s->x[i] - median));
	return s->n > 1 && median != 0 ? d / fabs(median) : NAN;
}

static const char *verdict(const struct side *a, const struct side *b, const struct diffstat_mw *m,
			   const struct dfig *f, double alpha)
{
	if (a->n < DIFF_MIN_REPEATS || b->n < DIFF_MIN_REPEATS)
		return "too_few";
	if (!(m->p < alpha))
		return "same";
	bool b_higher = m->u > (double)a->n * b->n / 2; /* B's runs rank above A's */
	return b_higher != f->lower_better ? "better" : "worse";
}

/* {median_a, median_b, n_a, n_b, ratio, ci95, p, verdict, ...} */
static json_t *cell_figure(const struct dcell *ca, const struct dcell *cb, int fi,
			   const struct diff_config *cfg)
{
	const struct dfig *f = &diff_figs[fi];
	struct side a = {0}, b = {0};
	json_t *o = NULL;
	if (side_values(ca, fi, &a) < 0 || side_values(cb, fi, &b) < 0)
		goto out;
	double ma = diffstat_median(a.x, a.n), mb = diffstat_median(b.x, b.n);
	double lo = NAN, hi = NAN;
	struct diffstat_mw mw = {.u = NAN, .p = NAN};
	if (a.n && b.n && diffstat_mw(a.x, a.n, b.x, b.n, DIFFSTAT_AUTO, &mw) < 0)
		mw.p = NAN;
	if (a.n > 1 && b.n > 1)
		diffstat_boot_ratio(a.x, a.n, b.x, b.n, cfg->resamples, (uint64_t)cfg->seed, 0.95,
				    &lo, &hi);
	o = json_pack(
	    "{s:o, s:o, s:i, s:i, s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s}", "median_a",
	    num(ma), "median_b", num(mb), "n_a", a.n, "n_b", b.n, "left_out_a", a.left_out,
	    "left_out_b", b.left_out, "spread_a", num(spread(&a, ma)), "spread_b",
	    num(spread(&b, mb)), "ratio", num(ma > 0 ? mb / ma : NAN), "ci95",
	    isfinite(lo) && isfinite(hi) ? json_pack("[ff]", lo, hi) : json_null(), "p", num(mw.p),
	    "p_method", isnan(mw.p) ? json_null() : json_string(mw.exact ? "exact" : "normal"), "u",
	    num(mw.u), "verdict", verdict(&a, &b, &mw, f, cfg->alpha));
out:
	free(a.x);
	free(b.x);
	return o;
}

/* --- the report ------------------------------------------------------------ */

/* Every cell of A that B has, each figure of its mode; *used: which
 * figures any cell has. */
static json_t *cells_json(const struct dset *a, const struct dset *b, const struct diff_config *cfg,
			  unsigned *used)
{
	json_t *cells = json_array();
	for (int i = 0; i < a->ncells; i++) {
		const struct dcell *ca = &a->c[i], *cb = diff_cell_find(b, ca->key);
		if (!cb)
			continue;
		unsigned mode = mode_bit(ca, cb);
		json_t *fo = json_object();
		for (int f = 0; f < DIFF_NFIGS; f++)
			if (diff_figs[f].modes & mode) {
				json_object_set_new(fo, diff_figs[f].name,
						    cell_figure(ca, cb, f, cfg));
				*used |= 1u << f;
			}
		json_array_append_new(cells, json_pack("{s:s, s:O, s:o}", "cell", ca->key, "values",
						       ca->values, "figures", fo));
	}
	return cells;
}

/* The keys of x's cells that y lacks. */
static json_t *only_in(const struct dset *x, const struct dset *y)
{
	json_t *o = json_array();
	for (int i = 0; i < x->ncells; i++)
		if (!diff_cell_find(y, x->c[i].key))
			json_array_append_new(o, json_string(x->c[i].key));
	return o;
}

static json_t *set_json(const struct dset *s)
{
	json_t *id = json_object_get(s->sweep, "sweep_id");
	return json_pack("{s:s, s:O, s:i, s:i, s:i}", "dir", s->dir, "sweep_id",
			 id ? id : json_null(), "cells", s->ncells, "runs", s->runs, "failed",
			 s->failed);
}

static json_t *report(const struct dset *a, const struct dset *b, const struct diff_config *cfg)
{
	unsigned used = 0;
	json_t *cells = cells_json(a, b, cfg, &used), *fl = json_array();
	for (int f = 0; f < DIFF_NFIGS; f++)
		if (used & (1u << f))
			json_array_append_new(
			    fl,
			    json_pack("{s:s, s:s, s:s, s:s}", "name", diff_figs[f].name, "label",
				      diff_figs[f].label, "unit", diff_figs[f].unit, "better",
				      diff_figs[f].lower_better ? "lower" : "higher"));
	json_t *settings = json_array(), *env = json_array(), *notes = json_array();
	diff_compare_settings(a, b, settings, env);
	json_array_extend(notes, a->notes);
	json_array_extend(notes, b->notes);
	json_t *methods = json_pack(
	    "{s:s, s:s, s:s, s:s}", "center",
	    "median (of an even count: the mean of the middle two)", "test",
	    "Mann-Whitney U, two-sided; exact (every split of the pooled runs counted, ties at "
	    "their mid-rank) up to 50 runs in all, else the normal approximation with tie and "
	    "continuity corrections",
	    "ci95", "percentile bootstrap of median(B)/median(A)", "verdict",
	    "better or worse when p < alpha and both sides have min_repeats runs");
	return json_pack("{s:s, s:o, s:o, s:O, s:f, s:i, s:o, s:{s:i, s:I, s:f, s:s}, s:o, s:o, "
			 "s:o, s:o, s:o, s:o, s:o}",
			 "schema", "sockbench.diff/1", "a", set_json(a), "b", set_json(b), "axes",
			 a->axes, "alpha", cfg->alpha, "min_repeats", DIFF_MIN_REPEATS, "methods",
			 methods, "bootstrap", "resamples", cfg->resamples, "seed",
			 (json_int_t)cfg->seed, "level", 0.95, "method", "percentile", "figures",
			 fl, "settings_differ", settings, "environment_differ", env, "only_a",
			 only_in(a, b), "only_b", only_in(b, a), "notes", notes, "cells", cells);
}

/* --- the command ------------------------------------------------------------ */

void diff_usage(FILE *f)
{
	fprintf(f,
		"usage: sockbench diff DIR_A DIR_B [--json FILE] [--alpha A]\n\n"
		"Are two result sets (two sweeps' --out directories of the same axes)\n"
		"different?  Cell by cell (matched by their values), each headline figure's\n"
		"median in A and in B, the ratio B/A with a 95%% bootstrap interval, and the\n"
		"Mann-Whitney U p-value (exact for small samples).  `~`: p >= A, no\n"
		"difference claimed; a verdict needs %d runs a side (\"too few repeats\"\n"
		"below: with 3 + 3 no difference can reach p < 0.05).\n\n",
		DIFF_MIN_REPEATS);
	optab_usage(&diff_optab, f);
}

/* "no cell in both sets" with the first few of each, for the one line. */
static void no_common(json_t *r, char *err, size_t errlen)
{
	char *x = json_dumps(json_object_get(r, "only_a"), JSON_COMPACT);
	char *y = json_dumps(json_object_get(r, "only_b"), JSON_COMPACT);
	snprintf(err, errlen, "no cell in both sets (A has %.150s, B %.150s)", x ? x : "?",
		 y ? y : "?");
	free(x);
	free(y);
}

static int diff_sets(const char *da, const char *db, const struct diff_config *cfg)
{
	struct dset a, b;
	char err[1024];
	int rc = 1;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	json_t *r = NULL;
	if (diff_set_read(&a, da, err, sizeof err) < 0 ||
	    diff_set_read(&b, db, err, sizeof err) < 0 ||
	    diff_axes_check(&a, &b, err, sizeof err) < 0)
		goto fail;
	if (!(r = report(&a, &b, cfg))) {
		snprintf(err, sizeof err, "out of memory");
		goto fail;
	}
	if (!json_array_size(json_object_get(r, "cells"))) {
		no_common(r, err, sizeof err);
		goto fail;
	}
	if (cfg->json[0] && json_write_atomic(r, cfg->json, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench diff: --json %s\n", err);
		goto out;
	}
	if (!cfg->json[0] || json_named_fd(cfg->json) != 1) /* stdout: the JSON alone */
		diff_print_table(stdout, r);
	rc = 0;
	if (fflush(stdout) == EOF || ferror(stdout)) { /* `diff A B > full-disk` */
		snprintf(err, sizeof err, "writing to stdout: %s", strerror(errno));
		goto fail;
	}
	goto out;
fail:
	fprintf(stderr, "sockbench diff: %s\n", err);
	rc = 1;
out:
	json_decref(r);
	diff_set_free(&a);
	diff_set_free(&b);
	return rc;
}

int diff_main(int argc, char **argv)
{
	struct diff_config cfg;
	char err[512];
	int first = argc;
	memset(&cfg, 0, sizeof cfg);
	if (optab_defaults(&diff_optab, &cfg, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench diff: %s\n", err);
		return 1;
	}
	int rc = optab_parse_operands(&diff_optab, &cfg, argc, argv, &first, err, sizeof err);
	if (rc == 1) {
		diff_usage(stdout);
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "sockbench diff: %s (see --help)\n", err);
		return 2;
	}
	if (argc - first != 2) {
		fprintf(stderr,
			"sockbench diff: expected two results directories, DIR_A DIR_B; got %d "
			"(see --help)\n",
			argc - first);
		return 2;
	}
	return diff_sets(argv[first], argv[first + 1], &cfg);
}

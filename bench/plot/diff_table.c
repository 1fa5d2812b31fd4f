/* diff_table.c - `sockbench diff`'s report as text: what was compared,
 * what differs besides, and one aligned table per headline figure, like
 * benchstat's:
 *
 *   req/s (higher is better)
 *   cell        req/s A      req/s B      B/A   95% CI        p      n    verdict
 *   backlog=8   41.2k ± 2%   45.9k ± 3%   1.11  [1.06, 1.17]  0.008  5+5  B faster
 *   backlog=64  43.0k ± 1%   43.1k ± 1%   ~     [0.97, 1.04]  0.69   5+5
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockbench/strbuf.h"
#include "diff_int.h"

#define NCOLS 8
#define COLW  96

struct row {
	char col[NCOLS][COLW];
};

static double get(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Three significant digits, "k", "M", "G" (or a time from us: "812us",
 * "1.23ms", "2.50s"). */
static void fmt_num(double v, const char *unit, char *out, size_t len)
{
	static const char *const si[] = {"", "k", "M", "G"}, *const us[] = {"us", "ms", "s", "ks"};
	const char *const *names = strcmp(unit, "us") ? si : us;
	int i = 0;
	if (!isfinite(v)) {
		snprintf(out, len, "-");
		return;
	}
	while (i < 3 && fabs(v) >= 999.5) {
		v /= 1000;
		i++;
	}
	double a = fabs(v);
	snprintf(out, len, a >= 99.95 ? "%.0f%s" : a >= 9.995 ? "%.1f%s" : "%.2f%s", v, names[i]);
}

/* A ratio: two decimals, three near 1 (1.004 is not 1.00). */
static void fmt_ratio(double r, char *out, size_t len)
{
	snprintf(out, len, !isfinite(r) ? "-" : fabs(r - 1) < 0.01 ? "%.3f" : "%.2f", r);
}

static void fmt_p(double p, char *out, size_t len)
{
	snprintf(out, len,
		 !isfinite(p) ? "-"
		 : p < 0.001  ? "<0.001"
		 : p < 0.01   ? "%.3f"
			      : "%.2f",
		 p);
}

/* "B faster", "B worse (higher)", "too few repeats (3+3)". */
static void fmt_verdict(json_t *c, json_t *fig, char *out, size_t len)
{
	const char *v = json_string_value(json_object_get(c, "verdict")) ?: "";
	int na = (int)get(c, "n_a"), nb = (int)get(c, "n_b");
	bool lower = !strcmp(json_string_value(json_object_get(fig, "better")) ?: "", "lower");
	bool rate = !strcmp(json_string_value(json_object_get(fig, "unit")) ?: "", "") &&
		    strcmp(json_string_value(json_object_get(fig, "name")) ?: "", "connects");
	out[0] = '\0';
	if (!na || !nb)
		snprintf(out, len, "no runs in %s", !na ? "A" : "B");
	else if (!strcmp(v, "too_few"))
		snprintf(out, len, "too few repeats (%d+%d)", na, nb);
	else if (!strcmp(v, "better") || !strcmp(v, "worse")) {
		bool better = !strcmp(v, "better"), higher = better != lower;
		if (rate)
			snprintf(out, len, "B %s", better ? "faster" : "slower");
		else
			snprintf(out, len, "B %s (%s)", v, higher ? "higher" : "lower");
	}
}

static void fmt_side(json_t *c, const char *side, const char *unit, char *out, size_t len)
{
	char m[32], k[16];
	snprintf(k, sizeof k, "median_%s", side);
	fmt_num(get(c, k), unit, m, sizeof m);
	snprintf(k, sizeof k, "spread_%s", side);
	double s = get(c, k);
	snprintf(out, len, isfinite(s) ? "%s ± %.0f%%" : "%s", m, s * 100);
}

static void fill_row(struct row *r, const char *cell, json_t *c, json_t *fig)
{
	const char *unit = json_string_value(json_object_get(fig, "unit")) ?: "";
	json_t *ci = json_object_get(c, "ci95");
	char lo[16], hi[16];
	snprintf(r->col[0], COLW, "%s", cell);
	fmt_side(c, "a", unit, r->col[1], COLW);
	fmt_side(c, "b", unit, r->col[2], COLW);
	if (!strcmp(json_string_value(json_object_get(c, "verdict")) ?: "", "same"))
		snprintf(r->col[3], COLW, "~");
	else
		fmt_ratio(get(c, "ratio"), r->col[3], COLW);
	fmt_ratio(json_number_value(json_array_get(ci, 0)), lo, sizeof lo);
	fmt_ratio(json_number_value(json_array_get(ci, 1)), hi, sizeof hi);
	snprintf(r->col[4], COLW, json_is_array(ci) ? "[%s, %s]" : "-", lo, hi);
	fmt_p(get(c, "p"), r->col[5], COLW);
	snprintf(r->col[6], COLW, "%d+%d", (int)get(c, "n_a"), (int)get(c, "n_b"));
	fmt_verdict(c, fig, r->col[7], COLW);
}

/* Display width: "±" is two bytes, one column. */
static int width(const char *s)
{
	int w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void print_rows(FILE *f, const struct row *rows, int n)
{
	int w[NCOLS] = {0};
	for (int i = 0; i < n; i++)
		for (int c = 0; c < NCOLS; c++)
			if (width(rows[i].col[c]) > w[c])
				w[c] = width(rows[i].col[c]);
	for (int i = 0; i < n; i++) {
		char line[NCOLS * (COLW + 4)];
		size_t k = 0;
		for (int c = 0; c < NCOLS; c++)
			k = sb_appendf(line, sizeof line, k, "%s%*s", rows[i].col[c],
				       c + 1 < NCOLS ? w[c] - width(rows[i].col[c]) + 2 : 0, "");
		while (k > 0 && line[k - 1] == ' ')
			line[--k] = '\0';
		fprintf(f, "%s\n", line);
	}
}

/* One figure's table; the cells whose runs left some out, below it. */
static void print_figure(FILE *f, json_t *r, json_t *fig)
{
	const char *name = json_string_value(json_object_get(fig, "name"));
	const char *label = json_string_value(json_object_get(fig, "label"));
	json_t *cells = json_object_get(r, "cells"), *cell;
	size_t i, n = json_array_size(cells);
	struct row *rows = calloc(n + 1, sizeof *rows);
	char left[600] = "";
	size_t k = 0;
	int nr = 1;
	if (!rows)
		return;
	const char *head[NCOLS] = {"cell", "A", "B", "B/A", "95% CI", "p", "n", "verdict"};
	for (int c = 0; c < NCOLS; c++)
		if (c == 1 || c == 2)
			snprintf(rows[0].col[c], COLW, "%s %s", label, head[c]);
		else
			snprintf(rows[0].col[c], COLW, "%s", head[c]);
	json_array_foreach(cells, i, cell)
	{
		json_t *c = json_object_get(json_object_get(cell, "figures"), name);
		const char *key = json_string_value(json_object_get(cell, "cell"));
		if (!c)
			continue;
		fill_row(&rows[nr++], key, c, fig);
		int la = (int)get(c, "left_out_a"), lb = (int)get(c, "left_out_b");
		if (la || lb)
			k = sb_appendf(left, sizeof left, k, "%s%s: %d in A, %d in B",
				       k ? "; " : "", key, la, lb);
	}
	fprintf(f, "\n%s (%s is better)\n", label,
		json_string_value(json_object_get(fig, "better")) ?: "?");
	print_rows(f, rows, nr);
	if (k)
		fprintf(f, "runs left out (failed, or no %s): %s\n", label, left);
	free(rows);
}

/* "what: A x, B y" for each entry of a list of differences. */
static void print_differences(FILE *f, json_t *list, const char *field, const char *intro)
{
	size_t i;
	json_t *d;
	json_array_foreach(list, i, d)
	{
		/* 12 digits: 0.2, not the 0.20000000000000001 of %.17g */
		size_t fl = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12);
		char *a = json_dumps(json_object_get(d, "a"), fl);
		char *b = json_dumps(json_object_get(d, "b"), fl);
		fprintf(f, "%s %s: A %s, B %s\n", intro,
			json_string_value(json_object_get(d, field)) ?: "?", a ? a : "(none)",
			b ? b : "(none)");
		free(a);
		free(b);
	}
}

static void print_head(FILE *f, json_t *r)
{
	static const char *const sides[] = {"a", "b"};
	for (int s = 0; s < 2; s++) {
		json_t *x = json_object_get(r, sides[s]);
		fprintf(f, "%s: %s  (%d runs in %d cells, %d failed)\n", s ? "B" : "A",
			json_string_value(json_object_get(x, "dir")), (int)get(x, "runs"),
			(int)get(x, "cells"), (int)get(x, "failed"));
	}
	print_differences(f, json_object_get(r, "settings_differ"), "setting",
			  "warning: the runs were not made alike:");
	print_differences(f, json_object_get(r, "environment_differ"), "what",
			  "environment differs (informational):");
	static const char *const only[] = {"only_a", "only_b"};
	for (int s = 0; s < 2; s++) {
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(r, only[s]), i, v)
		{
			fprintf(f, "only in %s (not compared): %s\n", s ? "B" : "A",
				json_string_value(v));
		}
	}
}

void diff_print_table(FILE *f, json_t *r)
{
	size_t i;
	json_t *fig, *v;
	json_t *boot = json_object_get(r, "bootstrap");
	print_head(f, r);
	json_array_foreach(json_object_get(r, "figures"), i, fig)
	{
		print_figure(f, r, fig);
	}
	fprintf(f,
		"\nB/A: median(B) / median(A); 95%% CI: percentile bootstrap (%d resamples, "
		"seed %lld);\np: Mann-Whitney U, two-sided (exact up to 50 runs in all); ~: p >= "
		"%g, no difference\nclaimed; a verdict needs %d runs a side; ± the largest "
		"distance of a run from\nthe median.\n",
		(int)get(boot, "resamples"),
		(long long)json_integer_value(json_object_get(boot, "seed")), get(r, "alpha"),
		(int)get(r, "min_repeats"));
	json_array_foreach(json_object_get(r, "notes"), i, v)
	{
		fprintf(f, "note: %s\n", json_string_value(v));
	}
}

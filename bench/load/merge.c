/* merge.c - `sockbench merge RUN.json...`: one result from several load
 * generators that ran at the same time against one server.
 *
 * Counts add up; latency histograms merge bucket by bucket (exact: the
 * percentiles of the merge are those of one histogram fed every sample),
 * and the throughputs add (the generators ran side by side).  Histograms
 * of different schemes are refused, never approximated.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockbench/hist.h"
#include "report.h"
#include "merge_int.h"
#include "slots.h"

/* a + b for counts read from files: a corrupt (or hand-made) count near
 * 2^63 saturates instead of overflowing, which is undefined in C. */
static json_int_t sum_sat(json_int_t a, json_int_t b)
{
	json_int_t r;
	if (__builtin_add_overflow(a, b, &r))
		return a > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static void add_int(json_t *dst, json_t *src, const char *path)
{
	json_t *a = json_path(dst, path), *b = json_path(src, path);
	if (json_is_integer(a) && json_is_integer(b))
		json_integer_set(a, sum_sat(json_integer_value(a), json_integer_value(b)));
}

static void add_real(json_t *dst, json_t *src, const char *path)
{
	json_t *a = json_path(dst, path), *b = json_path(src, path);
	if (json_is_number(a) && json_is_number(b))
		json_real_set(a, json_number_value(a) + json_number_value(b));
}

/* Merge the histogram under path.latency_us into *h; -1 on a bad one. */
static int take_hist(json_t *run, const char *path, struct hist *h, const char *file, char *err,
		     size_t errlen)
{
	json_t *lat = json_path(run, path);
	if (json_is_null(lat) || !lat)
		return 0;
	json_t *hj = json_object_get(lat, "histogram");
	if (!hj)
		return 0; /* no samples: nothing to add */
	struct hist x;
	char e[256];
	if (hist_from_json(&x, hj, e, sizeof e) < 0) {
		snprintf(err, errlen, "%s: %s: %s", file, path, e);
		return -1;
	}
	hist_merge(h, &x);
	return 0;
}

/* Add the counts of the object at path (load.errors by kind, kernel.delta,
 * load.http.status) key by key; a key only in src joins dst. */
static void add_counts(json_t *dst, json_t *src, const char *path)
{
	const char *k;
	json_t *v, *od = json_path(dst, path);
	if (!json_is_object(od))
		return;
	json_object_foreach(json_path(src, path), k, v)
	{
		json_t *a = json_object_get(od, k);
		json_object_set_new(
		    od, k, json_integer(sum_sat(json_integer_value(a), json_integer_value(v))));
	}
}

/* Runs of sockbench.run/1 (intervals without the live view's keys) and
 * /2 are read; the merge is /2. */
static bool merge_schema_ok(const char *s)
{
	return s && (!strcmp(s, "sockbench.run/1") || !strcmp(s, "sockbench.run/2"));
}

/* Intervals line up by index (each generator's t_s from its own start).
 * Counts and the client-side gauges add (null when a side lacks them: a
 * /1 run); the p50, and what each side saw of its own server (accept
 * queue, accepted), are not the whole's. */
static void merge_intervals(json_t *out, json_t *in)
{
	static const char *const f[] = {"requests", "connects", "bytes", "errors", NULL};
	static const char *const g[] = {"established",	     "served",		 "starved",
					"syn_retry_waiting", "listen_overflows", NULL};
	json_t *oi = json_path(out, "load.intervals"), *ii = json_path(in, "load.intervals");
	for (size_t i = 0; i < json_array_size(ii); i++) {
		json_t *src = json_array_get(ii, i), *dst = json_array_get(oi, i);
		if (!dst) {
			json_array_append(oi, src);
			continue;
		}
		for (int k = 0; f[k]; k++)
			add_int(dst, src, f[k]);
		for (int k = 0; g[k]; k++) {
			json_t *a = json_object_get(dst, g[k]), *b = json_object_get(src, g[k]);
			if (json_is_integer(a) && json_is_integer(b))
				add_int(dst, src, g[k]);
			else
				json_object_set_new(dst, g[k], json_null());
		}
		json_object_set_new(dst, "p50_us", json_null());
		json_object_set_new(dst, "accept_queue", json_null());
		json_object_set_new(dst, "server_accepted", json_null());
		/* a p99 of parts is not the p99 of the whole: no histogram
		 * per interval is kept, so the merged interval has none */
		json_object_set_new(dst, "p99_us", json_null());
	}
}

/* The generators ran side by side: the longest duration, the busiest
 * thread of any, and generator bound if one of them was. */
static void merge_times(json_t *out, json_t *in)
{
	json_t *a = json_path(out, "duration_s"), *b = json_path(in, "duration_s");
	if (json_number_value(b) > json_number_value(a))
		json_object_set(out, "duration_s", b);
	if (json_is_true(json_object_get(in, "generator_bound")))
		json_object_set_new(out, "generator_bound", json_true());
	add_real(out, in, "load.cpu_s_threads");
	a = json_path(out, "load.cpu_s_busiest_thread");
	b = json_path(in, "load.cpu_s_busiest_thread");
	if (json_is_number(a) && json_number_value(b) > json_number_value(a))
		json_real_set(a, json_number_value(b));
}

/* A warning of any generator (a late --start-at, a saturated thread) is a
 * warning about the whole: keep them all; the first error stands. */
static void merge_verdicts(json_t *out, json_t *in)
{
	json_t *ow = json_object_get(out, "warnings"), *w;
	size_t i;
	json_array_foreach(json_object_get(in, "warnings"), i, w)
	{
		json_array_append(ow, w);
	}
	if (json_is_null(json_object_get(out, "error")) &&
	    json_is_string(json_object_get(in, "error")))
		json_object_set(out, "error", json_object_get(in, "error"));
}

/* load.fairness of generators side by side: their slots together.  min,
 * max and "slots" are exact, and so is Jain's index, from each side's
 * slots n, requests sum x (load.requests.completed: the sum over its
 * slots) and index J (sum x^2 = (sum x)^2 / (n J); J null: no request).
 * The median of parts is not the median of the whole: p50 becomes null.
 * A side without fairness (another mode, an older file) makes it null. */
static void merge_fairness(json_t *out, json_t *in)
{
	json_t *fo = json_path(out, "load.fairness"), *fi = json_path(in, "load.fairness");
	json_t *load = json_object_get(out, "load");
	double n[2], sum[2], sum2[2];
	json_t *f[2] = {fo, fi}, *run[2] = {out, in};
	for (int k = 0; k < 2; k++) {
		json_t *j = json_object_get(f[k], "jain"), *ns = json_object_get(f[k], "slots");
		json_int_t slots = json_integer_value(ns); /* 0 when not an integer */
		n[k] = (double)slots;
		sum[k] = json_number_value(json_path(run[k], "load.requests.completed"));
		/* read from files: a count out of reason is refused, not cast */
		if (!json_is_object(f[k]) || slots < 1 || slots > ((json_int_t)1 << 40) ||
		    (json_is_number(j) && !(json_number_value(j) > 0))) {
			if (json_is_object(load))
				json_object_set_new(load, "fairness", json_null());
			return;
		}
		sum2[k] = json_is_number(j) ? sum[k] * sum[k] / (n[k] * json_number_value(j)) : 0;
	}
	json_t *po = json_object_get(fo, "requests_per_conn"),
	       *pi = json_object_get(fi, "requests_per_conn");
	json_int_t lo = json_integer_value(json_object_get(pi, "min")),
		   hi = json_integer_value(json_object_get(pi, "max"));
	if (lo < json_integer_value(json_object_get(po, "min")))
		json_object_set_new(po, "min", json_integer(lo));
	if (hi > json_integer_value(json_object_get(po, "max")))
		json_object_set_new(po, "max", json_integer(hi));
	json_object_set_new(po, "p50", json_null());
	double jain = fairness_jain(n[0] + n[1], sum[0] + sum[1], sum2[0] + sum2[1]);
	json_object_set_new(fo, "jain", isfinite(jain) ? json_real(jain) : json_null());
	json_object_set_new(fo, "slots", json_integer((json_int_t)(n[0] + n[1])));
}

static void merge_counts(json_t *out, json_t *in)
{
	static const char *const ints[] = {"load.connections.attempted",
					   "load.connections.established",
					   "load.connections.failed",
					   "load.connections.served",
					   "load.connections.starved",
					   "load.connections.reconnects",
					   "load.requests.completed",
					   "load.requests.failed",
					   "load.requests.in_flight_at_end",
					   "load.bytes_out",
					   "load.bytes_in",
					   "load.http.not_2xx_3xx",
					   NULL};
	static const char *const reals[] = {"load.throughput.requests_per_s",
					    "load.throughput.bytes_per_s",
					    "load.throughput.connections_per_s", NULL};
	merge_fairness(out, in); /* first: it reads each side's own completed */
	for (int i = 0; ints[i]; i++)
		add_int(out, in, ints[i]);
	for (int i = 0; reals[i]; i++)
		add_real(out, in, reals[i]);
	add_counts(out, in, "load.errors");
	add_counts(out, in, "kernel.delta");
	add_counts(out, in, "load.http.status");
	merge_intervals(out, in);
	merge_times(out, in);
	merge_verdicts(out, in);
}

#define MERGE_USAGE "usage: sockbench merge RUN.json... [--json OUT] [--allow-sequential]"

/* The command line first, whole: a usage error before any file is read.
 * 0, or 2 after saying what is wrong. */
static int check_args(int argc, char **argv)
{
	int nfiles = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			if (++i == argc) {
				fprintf(stderr, "sockbench merge: --json: needs a value\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--allow-sequential")) {
			continue;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "sockbench merge: '%s': unknown option (" MERGE_USAGE ")\n",
				argv[i]);
			return 2;
		} else {
			nfiles++;
		}
	}
	if (!nfiles) {
		fprintf(stderr, "sockbench merge: no RUN.json given (" MERGE_USAGE ")\n");
		return 2;
	}
	return 0;
}

/* The latency histograms, merged as the files are read, and the counts
 * that live inside load.requests.latency_us (which is written anew). */
struct merged_hists {
	struct hist conn, fail, req, unc, done;
	json_int_t censored, omitted;
	bool have_censored;
};

static void merged_hists_init(struct merged_hists *h)
{
	hist_init(&h->conn);
	hist_init(&h->fail);
	hist_init(&h->req);
	hist_init(&h->unc);
	hist_init(&h->done);
	h->censored = h->omitted = 0;
	h->have_censored = false;
}

/* Every histogram of one run merged into h; -1 with err on a bad one. */
static int take_all(json_t *run, const char *name, struct merged_hists *h, char *err,
		    size_t errlen)
{
	if (take_hist(run, "load.connections.latency_us", &h->conn, name, err, errlen) ||
	    take_hist(run, "load.connections.failed_latency_us", &h->fail, name, err, errlen) ||
	    take_hist(run, "load.requests.latency_us", &h->req, name, err, errlen) ||
	    take_hist(run, "load.requests.latency_uncorrected_us", &h->unc, name, err, errlen) ||
	    take_hist(run, "load.requests.latency_completed_us", &h->done, name, err, errlen))
		return -1;
	json_t *c = json_path(run, "load.requests.latency_us.censored");
	if (json_is_integer(c)) {
		h->have_censored = true;
		h->censored = sum_sat(h->censored, json_integer_value(c));
		h->omitted =
		    sum_sat(h->omitted,
			    json_integer_value(json_path(run, "load.requests.latency_us.omitted")));
	}
	return 0;
}

/* One result file, its histograms merged into h; NULL after saying why. */
static json_t *read_run(const char *path, struct merged_hists *h)
{
	char err[512];
	json_error_t je;
	json_t *run = json_load_file(path, 0, &je);
	if (!run || !json_is_object(run) ||
	    !merge_schema_ok(json_string_value(json_object_get(run, "schema")))) {
		fprintf(stderr, "sockbench merge: %s: %s\n", path,
			run ? "not a sockbench.run/1 or /2 result" : je.text);
		json_decref(run);
		return NULL;
	}
	if (take_all(run, path, h, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench merge: %s\n", err);
		json_decref(run);
		return NULL;
	}
	return run;
}

/* The merged histograms in place of the first run's. */
static void apply_hists(json_t *out, const struct merged_hists *h)
{
	json_object_set_new(json_path(out, "load.connections"), "latency_us",
			    hist_latency_json(&h->conn));
	if (json_path(out, "load.connections.failed_latency_us")) /* older runs lack it */
		json_object_set_new(json_path(out, "load.connections"), "failed_latency_us",
				    hist_latency_json(&h->fail));
	json_t *req = hist_latency_json(&h->req);
	if (h->have_censored && req) {
		json_object_set_new(req, "censored", json_integer(h->censored));
		json_object_set_new(req, "omitted", json_integer(h->omitted));
	}
	json_object_set_new(json_path(out, "load.requests"), "latency_us", req);
	if (json_is_object(json_path(out, "load.requests.latency_completed_us")))
		json_object_set_new(json_path(out, "load.requests"), "latency_completed_us",
				    hist_latency_json(&h->done));
	if (!json_is_null(json_path(out, "load.requests.latency_uncorrected_us")))
		json_object_set_new(json_path(out, "load.requests"), "latency_uncorrected_us",
				    hist_latency_json(&h->unc));
}

/* The merged run out to outpath (or stdout); 0 or 1. */
static int write_merged(json_t *out, json_t *files, const struct merged_hists *h,
			const char *outpath)
{
	apply_hists(out, h);
	json_object_set(out, "merged_from", files);
	if (outpath) {
		char err[512];
		if (json_write_atomic(out, outpath, err, sizeof err) < 0) {
			fprintf(stderr, "sockbench merge: --json %s\n", err);
			return 1;
		}
	} else if (json_dumpf(out, stdout, JSON_INDENT(1) | JSON_REAL_PRECISION(9)) < 0 ||
		   fputc('\n', stdout) == EOF || fflush(stdout) == EOF || ferror(stdout)) {
		/* `merge > full-disk`: a result that did not reach its reader */
		fprintf(stderr, "sockbench merge: writing to stdout: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

/* Read every input (their histograms into h); NULL entries stop it. */
static int read_all(int argc, char **argv, struct merge_in *in, int *n, struct merged_hists *h,
		    const char **outpath, bool *allow_seq)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			*outpath = argv[++i]; /* present: checked before */
			continue;
		}
		if (!strcmp(argv[i], "--allow-sequential")) {
			*allow_seq = true;
			continue;
		}
		in[*n].path = argv[i];
		if (!(in[*n].run = read_run(argv[i], h)))
			return 1;
		(*n)++;
	}
	return 0;
}

void merge_usage(FILE *f)
{
	fprintf(f, MERGE_USAGE "\n"
			       "One result from several generators at once: counts added, "
			       "histograms\nmerged exactly.  Refuses runs of another mode or "
			       "protocol, the same run\ntwice, and runs that did not share at "
			       "least half of the shorter one's\ntime (--allow-sequential "
			       "takes them).\n");
}

int merge_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--help")) {
		merge_usage(stdout);
		return 0;
	}
	int rc = check_args(argc, argv), n = 0;
	if (rc)
		return rc;
	const char *outpath = NULL;
	bool allow_seq = false;
	struct merge_in *in = calloc((size_t)argc, sizeof *in);
	json_t *files = json_array(), *info = NULL;
	struct merged_hists h;
	merged_hists_init(&h);
	char err[1024];
	if (!in || (rc = read_all(argc, argv, in, &n, &h, &outpath, &allow_seq)))
		goto done;
	if (merge_check(in, n, allow_seq, &info, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench merge: %s\n", err);
		rc = 2;
		goto done;
	}
	for (int i = 0; i < n; i++) {
		json_array_append_new(files, json_string(in[i].path));
		if (i)
			merge_counts(in[0].run, in[i].run);
	}
	json_object_set(in[0].run, "merge", info);
	rc = write_merged(in[0].run, files, &h, outpath);
done:
	for (int i = 0; in && i < n; i++)
		json_decref(in[i].run);
	free(in);
	json_decref(files);
	json_decref(info);
	return rc;
}

int merge_runs(json_t *const *runs, const char *const *names, int n, bool allow_seq,
	       json_t **out, char *err, size_t errlen)
{
	struct merged_hists h;
	merged_hists_init(&h);
	struct merge_in *in = calloc((size_t)n, sizeof *in);
	json_t *info = NULL, *files = json_array();
	int rc = -1, k = 0;
	*out = NULL;
	if (!in || !files) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (; k < n; k++) {
		if (!merge_schema_ok(json_string_value(json_object_get(runs[k], "schema")))) {
			snprintf(err, errlen, "%s: not a sockbench.run/1 or /2 result", names[k]);
			goto done;
		}
		if (take_all(runs[k], names[k], &h, err, errlen) < 0)
			goto done;
		in[k] = (struct merge_in){names[k], json_deep_copy(runs[k])};
		json_array_append_new(files, json_string(names[k]));
	}
	if (merge_check(in, n, allow_seq, &info, err, errlen) < 0)
		goto done;
	for (int i = 1; i < n; i++)
		merge_counts(in[0].run, in[i].run);
	json_object_set(in[0].run, "merge", info);
	apply_hists(in[0].run, &h);
	json_object_set(in[0].run, "merged_from", files);
	*out = json_incref(in[0].run);
	rc = 0;
done:
	for (int i = 0; in && i < k; i++)
		json_decref(in[i].run);
	free(in);
	json_decref(files);
	json_decref(info);
	return rc;
}

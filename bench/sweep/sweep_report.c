/* sweep_report.c - what a sweep writes besides its runs: summary.json,
 * sweep.json and the progress line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/jsonio.h"
#include "sockbench/kstat.h"
#include "sockbench/summ.h"
#include "sockbench/stopsig.h"
#include "sweep_run.h"

json_t *sweep_values_json(const struct sweep *w, const int *idx)
{
	json_t *o = json_object();
	for (int i = 0; i < w->sp.naxes; i++) {
		char key[48];
		snprintf(key, sizeof key, "%s", w->sp.knob[i]->name);
		for (char *p = key; *p; p++)
			if (*p == '-')
				*p = '_';
		json_object_set_new(o, key, json_string(w->sp.axes[i].v[idx[i]]));
	}
	return o;
}

void sweep_run_name(const struct sweep *w, uint64_t cell, const int *idx, int rep, char *out,
		    size_t len)
{
	char key[80];
	axis_cell_key(w->sp.axes, w->sp.naxes, idx, key, sizeof key);
	snprintf(out, len, "%04llu-%s-r%d.json", (unsigned long long)cell, key, rep);
}

/* --- summary over repeats ---------------------------------------------- */

static double error_total(json_t *run)
{
	json_t *e = json_object_get(json_object_get(run, "load"), "errors");
	const char *k;
	json_t *v;
	double n = 0;
	if (!json_is_object(e))
		return NAN;
	json_object_foreach(e, k, v) n += json_number_value(v);
	return n;
}

static const struct {
	const char *name, *path;
	double scale;
} figures[] = {
    {"requests_per_s", "load.throughput.requests_per_s", 1},
    {"mb_per_s", "load.throughput.bytes_per_s", 1e-6},
    {"p50_us", "load.requests.latency_us.p50", 1},
    {"p99_us", "load.requests.latency_us.p99", 1},
    {"connect_p99_us", "load.connections.latency_us.p99", 1},
    {"established", "load.connections.established", 1},
    {"accepted", "server.accepted", 1},
    {"listen_overflows", "kernel.delta.ListenOverflows", 1},
    {"errors", NULL, 1},
};
#define NFIG (sizeof figures / sizeof figures[0])

int sweep_write_summary(struct sweep *w, char *err, size_t errlen)
{
	json_t *cells = json_array();
	int idx[SWEEP_MAX_AXES];
	double *x = calloc((size_t)w->sp.repeat * NFIG, sizeof *x);
	for (uint64_t c = 0; c < w->ncells && x; c++) {
		axis_cell(w->sp.axes, w->sp.naxes, c, idx);
		int n = 0, failed = 0, missing = 0;
		for (int r = 1; r <= w->sp.repeat; r++) {
			char name[160], path[800];
			sweep_run_name(w, c, idx, r, name, sizeof name);
			snprintf(path, sizeof path, "%s/runs/%s", w->dir, name);
			json_t *run = json_load_file(path, 0, NULL);
			if (!run) {
				missing++;
				continue;
			}
			if (!json_is_null(json_object_get(run, "error"))) {
				failed++;
				json_decref(run);
				continue;
			}
			for (size_t f = 0; f < NFIG; f++)
				x[f * (size_t)w->sp.repeat + (size_t)n] =
				    figures[f].path
					? json_path_num(run, figures[f].path) * figures[f].scale
					: error_total(run);
			n++;
			json_decref(run);
		}
		char key[80];
		axis_cell_key(w->sp.axes, w->sp.naxes, idx, key, sizeof key);
		json_t *fig = json_object();
		for (size_t f = 0; f < NFIG; f++) {
			struct summ s;
			summ_compute(x + f * (size_t)w->sp.repeat, n, &s);
			json_object_set_new(fig, figures[f].name, summ_json(&s));
		}
		json_array_append_new(
		    cells, json_pack("{s:I, s:s, s:o, s:i, s:i, s:i, s:o}", "cell", (json_int_t)c,
				     "key", key, "values", sweep_values_json(w, idx), "runs", n,
				     "failed", failed, "missing", missing, "figures", fig));
	}
	free(x);
	json_t *o = json_pack("{s:s, s:i, s:o}", "schema", "sockbench.summary/1", "repeat",
			      w->sp.repeat, "cells", cells);
	char path[700];
	snprintf(path, sizeof path, "%s/summary.json", w->dir);
	int rc = json_write_atomic(o, path, err, errlen);
	json_decref(o);
	return rc;
}

/* The words of a --config file meant for readers ("question", "answer",
 * "caveat", "description": a lesson's), copied into sweep.json as
 * "lesson", so that plot's index.html opens with them and a results
 * directory keeps them wherever it goes; NULL when there are none. */
static json_t *config_words(const char *config)
{
	static const char *const keys[] = {"question", "answer", "caveat", "description"};
	json_t *j = config[0] ? json_load_file(config, 0, NULL) : NULL, *o = json_object();
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_t *v = json_object_get(j, keys[i]);
		if (json_is_string(v))
			json_object_set(o, keys[i], v);
	}
	json_decref(j);
	if (!json_object_size(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int sweep_write_sweep_json(struct sweep *w, int argc, char **argv, bool finished, char *err,
			   size_t errlen)
{
	json_t *axes = json_object(), *av = json_array(), *runs = json_array();
	for (int i = 0; i < w->sp.naxes; i++) {
		json_t *vals = json_array();
		for (int k = 0; k < w->sp.axes[i].n; k++)
			json_array_append_new(vals, json_string(w->sp.axes[i].v[k]));
		json_object_set_new(axes, w->sp.knob[i]->name, vals);
	}
	for (int i = 0; i < argc; i++)
		json_array_append_new(av, json_string(argv[i]));
	int idx[SWEEP_MAX_AXES];
	for (uint64_t c = 0; c < w->ncells; c++) {
		axis_cell(w->sp.axes, w->sp.naxes, c, idx);
		for (int r = 1; r <= w->sp.repeat; r++) {
			char name[160];
			sweep_run_name(w, c, idx, r, name, sizeof name);
			json_array_append_new(runs, json_string(name));
		}
	}
	time_t t = time(NULL);
	char when[32];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	json_t *o = json_pack(
	    "{s:s, s:s, s:o, s:o, s:i, s:b, s:b, s:s, s:o?, s:o, s:I, s:o, s:b, s:i, s:i, s:i}",
	    "schema", "sockbench.sweep/1", "written_at", when, "argv", av, "axes", axes, "repeat",
	    w->sp.repeat, "pause_accept", spec_flag_always(&w->sp, "pause-accept"), "host_netns",
	    w->sp.host_netns, "netns",
	    w->sp.host_netns ? "host"
	    : w->userns	     ? "private (user namespace)"
			     : "private",
	    "server_cmd", spec_server_cmd_json(&w->sp), "environment", env_json(), "cells",
	    (json_int_t)w->ncells, "runs", runs, "finished", finished, "done", w->done, "failed",
	    w->failed, "skipped", w->skipped);
	json_t *id = spec_identity(&w->sp);
	json_digest(id, w->sweep_id);
	json_object_set_new(o, "identity", id);
	json_object_set_new(o, "error",
			    stopsig_caught()
				? json_sprintf("interrupted by %s", stopsig_name(stopsig_caught()))
				: json_null());
	json_object_set_new(o, "sweep_id", json_string(w->sweep_id));
	json_t *words = config_words(w->sp.config);
	if (words)
		json_object_set_new(o, "lesson", words);
	json_object_set_new(o, "overhead_s",
			    w->overhead_n ? json_pack("{s:f, s:f, s:i}", "mean",
						      w->overhead_sum / w->overhead_n, "max",
						      w->overhead_max, "runs", w->overhead_n)
					  : json_null());
	if (w->live_cost) /* --live: the view's own CPU and redraws */
		json_object_set(o, "live", w->live_cost);
	char path[700];
	snprintf(path, sizeof path, "%s/sweep.json", w->dir);
	int rc = json_write_atomic(o, path, err, errlen);
	json_decref(o);
	return rc;
}

/* --- progress ------------------------------------------------------------ */

void sweep_progress(struct sweep *w, int i, const char *cell, const char *last, bool tty)
{
	if (w->sp.quiet || w->view) /* the view shows the progress */
		return;
	double el = clock_now_s() - w->t0;
	int ran = w->done - w->skipped;
	double eta = ran > 0 ? el / ran * (w->nruns - w->done) : 0;
	if (tty) {
		int width = 24, fill = w->nruns ? width * w->done / w->nruns : width;
		fprintf(stderr, "\r[%.*s%*s] %d/%d  %02d:%02d  ETA %02d:%02d  %-28.28s  %-30.30s",
			fill, "########################", width - fill, "", w->done, w->nruns,
			(int)el / 60, (int)el % 60, (int)eta / 60, (int)eta % 60, cell, last);
		fflush(stderr);
	} else {
		fprintf(stderr, "run %d/%d %s: %s\n", i, w->nruns, cell, last);
	}
}

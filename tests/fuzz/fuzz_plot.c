/* fuzz_plot.c - `sockbench plot DIR` over a results directory it did not write.
 *
 * Input: NUL-separated JSON texts: sweep.json, then up to 64 run files
 * (each with its "sweep": {"cell", "repeat", "values"} object). They are
 * written to a scratch results directory and plot_run() reads them as the
 * command does: every run file, the axes that vary, the figures that fit,
 * the data files, index.html.
 *
 * plot_load_runs (the reader) goes first on its own, with the series names
 * of every run for every varying axis at the callers' 128 bytes; plot_run
 * follows only when it succeeds (plot_run reads the same files again).
 *
 * gnuplot is not run: this file defines plot_gp_run() (bench/plot/plot_gp.c,
 * the one function of its file), so the linker never takes the real one
 * from the library. The stand-in answers "set terminal" with pngcairo
 * and every figure with success, so the whole path after gnuplot (the
 * figure list, index.html) is fuzzed too, at thousands of inputs a second
 * instead of one process each.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sockbench/plot.h"
#include "bench/plot/plot_int.h"

#define MAX_RUNS 64

int plot_gp_run(const char *const argv[], char *msg, size_t len)
{
	bool terms = argv[1] && argv[2] && !strcmp(argv[2], "set terminal");
	snprintf(msg, len, "%s",
		 terms ? "Available terminal types:\n  pngcairo  PNG images\n" : "");
	return 0; /* exit status 0: gnuplot succeeded */
}

static int last_runs; /* run files of the previous input, to remove */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *piece[1 + MAX_RUNS], *copy, path[512];
	int n = fuzz_split(data, size, piece, 1 + MAX_RUNS, &copy);
	const char *dir = fuzz_dir();

	for (int i = 0; i < last_runs; i++) {
		snprintf(path, sizeof path, "%s/runs/%04d.json", dir, i);
		remove(path);
	}
	snprintf(path, sizeof path, "%s/runs", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/sweep.json", dir);
	fuzz_write_file(path, piece[0], strlen(piece[0]));
	for (int i = 1; i < n; i++) {
		snprintf(path, sizeof path, "%s/runs/%04d.json", dir, i - 1);
		fuzz_write_file(path, piece[i], strlen(piece[i]));
	}
	last_runs = n - 1;

	static struct plot pre;
	char err[1024];
	memset(&pre, 0, sizeof pre);
	pre.dir = dir;
	int loaded = plot_load_runs(&pre, err, sizeof err);
	if (loaded == 0) {
		FUZZ_CHECK(pre.n > 0 && json_is_array(pre.varying), "%d runs loaded", pre.n);
		size_t k;
		json_t *axis;
		char *series = fuzz_errbuf(128);
		for (int i = 0; i < pre.n; i++) {
			plot_series_of(&pre, &pre.r[i], NULL, series, 128);
			json_array_foreach(pre.varying, k, axis)
			{
				FUZZ_CHECK(plot_varies(&pre, json_string_value(axis)),
					   "axis %zu is listed as varying, plot_varies says no", k);
				plot_series_of(&pre, &pre.r[i], json_string_value(axis), series,
					       128);
				FUZZ_CHECK(memchr(series, '\0', 128), "series name not terminated");
			}
		}
		free(series);
	} else {
		FUZZ_CHECK(loaded == -1 && memchr(err, '\0', sizeof err) && err[0],
			   "plot_load_runs returned %d", loaded);
	}
	bool safe = loaded == 0;
	for (int i = 0; i < pre.n; i++)
		json_decref(pre.r[i].j);
	free(pre.r);
	json_decref(pre.varying);
	json_decref(pre.warnings); /* the lines about what was left out */
	if (!safe) {
		free(copy);
		return 0;
	}

	int rc = plot_run(dir, NULL);
	FUZZ_CHECK(rc == 0 || rc == 1, "plot exited %d", rc);
	free(copy);
	return 0;
}

/* fuzz_merge.c - `sockbench merge` over run files it did not write.
 *
 * Input: NUL-separated run JSON texts (at most 4), each written to a file
 * of a scratch directory, then merge_main("merge", files..., "--json", out)
 * --allow-sequential as the command line would call it. merge must
 * refuse what is not a sockbench.run/1 result (exit 1) and what cannot be
 * summed (exit 2: another mode, the same run twice, writing nothing), and
 * merge the rest (exit 0) without a sanitizer report or a leak; what it
 * writes must be a JSON object that names the files it merged and whose
 * merged histograms read back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "fuzz.h"
#include "sockbench/hist.h"
#include "sockbench/load.h"

#define MAX_RUNS 4

static struct hist h;

/* The merged file must read back: a JSON object, its latency histograms
 * valid, merged_from listing every input. */
static void check_output(const char *path, int nruns)
{
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je);
	FUZZ_CHECK(json_is_object(o), "merge wrote no JSON object: %s", je.text);
	json_t *from = json_object_get(o, "merged_from");
	FUZZ_CHECK(json_is_array(from) && json_array_size(from) == (size_t)nruns,
		   "merged_from does not list the %d inputs", nruns);
	static const char *const lat[] = {"connections", "requests"};
	for (int i = 0; i < 2; i++) {
		json_t *l = json_object_get(json_object_get(json_object_get(o, "load"), lat[i]),
					    "latency_us");
		json_t *hj = json_object_get(l, "histogram");
		char e[256];
		if (hj)
			FUZZ_CHECK(hist_from_json(&h, hj, e, sizeof e) == 0,
				   "the merged %s histogram does not read back: %s", lat[i], e);
	}
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *piece[MAX_RUNS], *copy, path[MAX_RUNS][300], out[300];
	char *argv[MAX_RUNS + 5];
	int n = fuzz_split(data, size, piece, MAX_RUNS, &copy), argc = 0;
	const char *dir = fuzz_dir();

	argv[argc++] = "merge";
	for (int i = 0; i < n; i++) {
		snprintf(path[i], sizeof path[i], "%s/run%d.json", dir, i);
		fuzz_write_file(path[i], piece[i], strlen(piece[i]));
		argv[argc++] = path[i];
	}
	snprintf(out, sizeof out, "%s/merged.json", dir);
	remove(out);
	argv[argc++] = "--json";
	argv[argc++] = out;
	/* time overlap is not what this harness is after: the runs' clocks
	 * are whatever the input says */
	argv[argc++] = "--allow-sequential";
	argv[argc] = NULL;

	int rc = merge_main(argc, argv);
	FUZZ_CHECK(rc == 0 || rc == 1 || rc == 2, "merge exited %d", rc);
	if (rc == 0)
		check_output(out, n);
	else
		FUZZ_CHECK(access(out, F_OK) != 0, "merge exited %d but wrote %s", rc, out);
	free(copy);
	return 0;
}

/* merge_check.c - what `merge` refuses to add up.
 *
 * A merged result is one run seen by several generators at once: the same
 * mode and protocol, the same time.  Counts of an rr run and an http run
 * mean different things; the same file given twice counts every request
 * twice; two runs 3 s apart are not one run at twice the rate.  So inputs
 * of another mode or protocol, and duplicates, are refused, and inputs
 * must share at least half of the shorter one's measured time
 * (--allow-sequential takes them anyway, and the result says so).  Runs
 * started with --start-at overlap by construction.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sockbench/jsonio.h"
#include "merge_int.h"

static const char *str_at(json_t *run, const char *path)
{
	return json_string_value(json_path(run, path));
}

/* The measured window in ms since the epoch: from the load's start past
 * its warm-up, for duration_s. */
static int window(json_t *run, double *t0, double *t1)
{
	json_t *at = json_object_get(run, "started_at_ms"), *d = json_object_get(run, "duration_s");
	if (!json_is_integer(at) || !json_is_number(d))
		return -1;
	double warm = json_number_value(json_path(run, "config.load.warmup"));
	*t0 = (double)json_integer_value(at) + warm * 1000;
	*t1 = *t0 + json_number_value(d) * 1000;
	return 0;
}

static int same_kind(const struct merge_in *a, const struct merge_in *b, char *err, size_t errlen)
{
	const char *ma = str_at(a->run, "config.load.mode"),
		   *mb = str_at(b->run, "config.load.mode");
	const char *pa = str_at(a->run, "config.server.proto"),
		   *pb = str_at(b->run, "config.server.proto");
	if (!ma || !mb || strcmp(ma, mb))
		return snprintf(err, errlen, "%s is a %s run, %s a %s run: not one run", b->path,
				mb ? mb : "?", a->path, ma ? ma : "?"),
		       -1;
	if (pa && pb && strcmp(pa, pb))
		return snprintf(err, errlen, "%s drove a --proto %s server, %s a --proto %s one",
				b->path, pb, a->path, pa),
		       -1;
	struct stat sa, sb;
	if ((stat(a->path, &sa) == 0 && stat(b->path, &sb) == 0 && sa.st_dev == sb.st_dev &&
	     sa.st_ino == sb.st_ino) ||
	    json_equal(a->run, b->run))
		return snprintf(err, errlen, "%s and %s are the same run: it would count twice",
				a->path, b->path),
		       -1;
	return 0;
}

int merge_check(struct merge_in *in, int n, bool allow_sequential, json_t **info, char *err,
		size_t errlen)
{
	double lo = 0, hi = 0, shortest = 0;
	json_t *inputs = json_array();
	bool timed = true;
	*info = NULL;
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++)
			if (same_kind(&in[j], &in[i], err, errlen) < 0)
				return json_decref(inputs), -1;
		double t0, t1;
		if (window(in[i].run, &t0, &t1) < 0) {
			timed = false;
			json_array_append_new(inputs, json_pack("{s:s}", "file", in[i].path));
			continue;
		}
		json_array_append_new(inputs,
				      json_pack("{s:s, s:I, s:I}", "file", in[i].path, "start_ms",
						(json_int_t)t0, "end_ms", (json_int_t)t1));
		lo = i == 0 || t0 > lo ? t0 : lo;
		hi = i == 0 || t1 < hi ? t1 : hi;
		shortest = i == 0 || t1 - t0 < shortest ? t1 - t0 : shortest;
	}
	double overlap = timed && hi > lo ? (hi - lo) / 1000 : 0;
	if (!allow_sequential && n > 1 && (!timed || overlap * 1000 < shortest / 2)) {
		json_decref(inputs);
		if (!timed)
			return snprintf(err, errlen,
					"an input records no start time (started_at_ms): cannot "
					"tell the runs overlap (--allow-sequential to merge them "
					"anyway)"),
			       -1;
		return snprintf(err, errlen,
				"the runs share %.2f s of measured time, less than half of the "
				"shortest run's %.2f s: they ran one after another, not together "
				"(--start-at starts generators together; --allow-sequential "
				"merges them anyway)",
				overlap, shortest / 1000),
		       -1;
	}
	*info = json_pack("{s:o, s:f, s:b}", "inputs", inputs, "overlap_s", overlap,
			  "sequential_allowed", allow_sequential);
	return 0;
}

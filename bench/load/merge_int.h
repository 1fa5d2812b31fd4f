/* merge_int.h - `merge`'s inputs, shared by merge.c and merge_check.c. */
#ifndef SOCKBENCH_MERGE_INT_H
#define SOCKBENCH_MERGE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct merge_in {
	const char *path;
	json_t *run;
};

/* The inputs may be merged: one mode and protocol, no duplicate, and a
 * common measured time of at least half the shortest run's (unless
 * allow_sequential).  0 with *info = {"inputs": [{file, start_ms,
 * end_ms}], "overlap_s", "sequential_allowed"}, or -1 with err. */
int merge_check(struct merge_in *in, int n, bool allow_sequential, json_t **info, char *err,
		size_t errlen);

/* The merge of n runs already read (names: how the merged run's
 * merged_from and any error call them), as `sockbench merge` makes it:
 * 0 and a new *out, or -1 with err.  The runs are not changed. */
int merge_runs(json_t *const *runs, const char *const *names, int n, bool allow_seq,
	       json_t **out, char *err, size_t errlen);

#endif

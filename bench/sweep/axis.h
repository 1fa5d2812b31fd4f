/* axis.h - sweep axes: one option and the list of values a sweep gives it.
 *
 * `sockbench sweep --backlog 1,8,64 --recv-size 64..65536x2` runs every
 * combination (cell) of the axes' values. An axis keeps its values as the
 * text the option would receive, so the sweep hands them to the same option
 * parsers a single run uses: there is one place that knows what "64k" or
 * "500ms" means, and a sweep cannot accept a value a run would refuse.
 *
 * Library code: nothing here prints; errors fill `err`.
 */
#ifndef SOCKBENCH_AXIS_H
#define SOCKBENCH_AXIS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define AXIS_MAX_VALUES 4096	 /* per axis */
#define AXIS_MAX_CELLS	10000000 /* per sweep: beyond this axis_cells says 0 */

struct axis {
	char name[40]; /* option name without dashes, '-' turned into '_': "recv_size", "models" */
	int n;
	char **v; /* n values as strings, exactly as they would be passed to the option
		     (e.g. "65536", "sendall", "32768-60999") */
};

/* Values: comma list of items; an item is a plain value, or a range:
 *   A..BxF  geometric: A, A*F, A*F^2 ... while <= B (F integer >= 2), e.g. 64..65536x2
 *   A..B+S  arithmetic: A, A+S, ... while <= B (S >= 1), e.g. 1..10+3 -> 1,4,7,10
 *   A..B    arithmetic with step 1
 * A, B and S are non-negative and may carry size suffixes (64k, 1M: powers of
 * 1024, via opt_size); range values are printed as plain byte counts. Any item
 * without ".." is a plain value, kept as text ("send", "epoll", "32768-60999",
 * "500ms", "64k"). Blanks around an item are dropped. Duplicates are kept, in
 * order.
 * Errors (return -1): empty list, empty item (",,"), a range with B < A,
 * step 0, factor < 2, bad number, more than AXIS_MAX_VALUES values. `err`
 * starts with `name` as given (so pass "--recv-size" from the command line),
 * then names the item by position and text: "--recv-size: item 2 '64..32x2':
 * end 32 is below start 64".
 * On success `a` owns its values (axis_free); on failure it holds none. */
int axis_parse(const char *name, const char *text, struct axis *a, char *err, size_t errlen);

/* From a value of a JSON sweep config, key `name`:
 *   - an array of numbers, strings and booleans, each one value: integers
 *     printed plainly ("65536"), integral reals too, other reals in the
 *     shortest form that reads back the same ("0.5"), true/false as "1"/"0",
 *     strings verbatim (no range syntax inside an array; "" is refused);
 *   - one string, parsed as axis_parse does ("64..65536x2");
 *   - one number: a single value.
 * Anything else (object, null, bool on its own, an empty array, an element
 * that is an array/object/null) -> -1, err starting "key 'NAME': ". */
int axis_from_json(const char *name, const json_t *v, struct axis *a, char *err, size_t errlen);

/* Frees the values; `a` may be zeroed or already freed. */
void axis_free(struct axis *a);

/* Cells of the cartesian product of axes[0..n): the product of their sizes
 * (1 for n == 0: one cell, no axis varies), or 0 past AXIS_MAX_CELLS. */
uint64_t axis_cells(const struct axis *axes, int n);
/* Cell index -> value index per axis, like digits of a mixed-radix number:
 * the LAST axis varies fastest, so neighbouring cells differ in one value. */
void axis_cell(const struct axis *axes, int n, uint64_t cell, int *idx);
/* Short cell key for file names, "models-epoll_backlog-8": "<name>-<value>"
 * for each axis with more than one value, joined by "_"; values sanitised to
 * [A-Za-z0-9.], names to [A-Za-z0-9_], anything else becoming '-'; cut to
 * max-1 chars. "base" when no axis varies. The key need not be unique (the
 * run file name starts with the cell index); it is for a human reading ls. */
void axis_cell_key(const struct axis *axes, int n, const int *idx, char *out, size_t max);

#endif

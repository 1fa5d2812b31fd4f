/* fuzz_sweep_spec.c - a sweep's settings: --config JSON and the command line.
 *
 * Input: NUL-separated pieces. The first is a sweep config file (JSON, as
 * in the files in scripts/lessons); the others are command-line words after
 * "sweep". spec_parse gets "--config FILE" first when the config is not
 * empty, then the words (a word "--config" of the input itself is dropped:
 * it would read whatever file the input names). Accepted settings must be
 * within what the options promise: every axis a known knob with 1 to
 * AXIS_MAX_VALUES values, repeat 1 to 1000 (the --repeat range), sysctl
 * axes refused with --host-netns; refused ones an error in the buffer.
 * spec_free must release everything (LeakSanitizer checks).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "bench/sweep/sweep_spec.h"

#define MAX_WORDS 24

static struct sweep_spec sp; /* 3 KB of paths and 48 axes: not on the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *piece[1 + MAX_WORDS], *copy, cfg[300], err[512];
	char *argv[3 + MAX_WORDS + 1];
	int n = fuzz_split(data, size, piece, 1 + MAX_WORDS, &copy), argc = 0;

	argv[argc++] = "sweep";
	if (piece[0][0]) {
		snprintf(cfg, sizeof cfg, "%s/sweep-config.json", fuzz_dir());
		fuzz_write_file(cfg, piece[0], strlen(piece[0]));
		argv[argc++] = "--config";
		argv[argc++] = cfg;
	}
	for (int i = 1; i < n; i++)
		if (strcmp(piece[i], "--config") != 0)
			argv[argc++] = piece[i];
	argv[argc] = NULL;

	memset(err, 'X', sizeof err);
	int rc = spec_parse(&sp, argc, argv, err, sizeof err);
	if (rc == 0) {
		FUZZ_CHECK(sp.naxes >= 0 && sp.naxes <= SWEEP_MAX_AXES, "%d axes", sp.naxes);
		FUZZ_CHECK(sp.repeat >= 1 && sp.repeat <= 1000, "repeat %d accepted", sp.repeat);
		for (int i = 0; i < sp.naxes; i++) {
			/* the server axis (--models with named --server-cmd) is the
			 * sweep's own: no option of that name to find it by */
			FUZZ_CHECK(sp.knob[i] && (sp.knob[i]->kind == K_SERVER ||
						  knob_find(sp.knob[i]->name) == sp.knob[i]),
				   "axis %d has no knob", i);
			FUZZ_CHECK(sp.axes[i].n >= 1 && sp.axes[i].n <= AXIS_MAX_VALUES,
				   "axis %s has %d values", sp.knob[i]->name, sp.axes[i].n);
			for (int k = 0; k < sp.axes[i].n; k++)
				FUZZ_CHECK(sp.axes[i].v[k], "axis %s value %d is NULL",
					   sp.knob[i]->name, k);
			FUZZ_CHECK(!sp.host_netns || sp.knob[i]->kind != K_SYSCTL,
				   "sysctl axis %s with --host-netns", sp.knob[i]->name);
			for (int k = 0; k < i; k++)
				FUZZ_CHECK(sp.knob[k] != sp.knob[i], "knob %s twice",
					   sp.knob[i]->name);
		}
		FUZZ_CHECK(memchr(sp.out, '\0', sizeof sp.out) &&
			       memchr(sp.server_cmd, '\0', sizeof sp.server_cmd),
			   "unterminated path or command");
	} else {
		FUZZ_CHECK(rc == -1, "spec_parse returned %d", rc);
		FUZZ_CHECK(memchr(err, '\0', sizeof err) && err[0], "no error message");
	}
	spec_free(&sp);
	free(copy);
	return 0;
}

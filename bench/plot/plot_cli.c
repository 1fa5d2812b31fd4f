/* plot_cli.c - `sockbench plot DIR... [--label A,B,...] [--out DIR]
 * [--animate]`:
 * its arguments, the directories' labels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockbench/opt.h"
#include "sockbench/plot.h"
#include "plot_int.h"

int plot_run(const char *dir, const char *only)
{
	return plot_dirs(&dir, NULL, 0, NULL, only, false);
}

#define PLOT_MAX_DIRS 16

/* --label A,B,...: one label a directory (default: its base name), told
 * apart; 0, or 2 with the one line said. */
static int plot_labels(char *list, const char **dirs, int nd, const char **labels)
{
	int nl = 0;
	for (char *t = list, *save = NULL; list && (t = strtok_r(t, ",", &save)); t = NULL) {
		if (nl < PLOT_MAX_DIRS)
			labels[nl] = t;
		nl++;
	}
	if (list && nl != nd) {
		fprintf(stderr, "sockbench plot: --label: %d label%s for %d director%s\n", nl,
			nl == 1 ? "" : "s", nd, nd == 1 ? "y" : "ies");
		return 2;
	}
	for (int d = 0; !list && d < nd; d++) {
		static char base[PLOT_MAX_DIRS][SB_DIR_MAX + 1];
		snprintf(base[d], sizeof base[d], "%s", dirs[d]);
		size_t l = strlen(base[d]);
		while (l > 1 && base[d][l - 1] == '/')
			base[d][--l] = '\0';
		char *s = strrchr(base[d], '/');
		labels[d] = s && s[1] ? s + 1 : base[d];
	}
	for (int d = 0; d < nd; d++)
		for (int e = 0; e < d; e++)
			if (!strcmp(labels[d], labels[e])) {
				fprintf(stderr,
					"sockbench plot: two directories labelled '%s' (--label "
					"A,B,... names them apart)\n",
					labels[d]);
				return 2;
			}
	return 0;
}

void plot_usage(FILE *f)
{
	fprintf(f, "usage: sockbench plot RESULTS_DIR... [--label A,B,...] [--out DIR]\n"
		   "                      [--figure NAME] [--animate]\n"
		   "Figures (those that fit the axes the sweep varied; --figure NAME: one):");
	for (int i = 0, col = 67; plot_figures[i]; i++) {
		if (col + (int)strlen(plot_figures[i]) > 76)
			col = fprintf(f, "\n ");
		col += fprintf(f, " %s", plot_figures[i]);
	}
	fprintf(f, ".\nWrites DIR/plots/*.png, *.svg, index.html and the data files in\n"
		   "DIR/plots/data/.\n"
		   "Several directories: one set of figures, each series named by its\n"
		   "directory's label (default: its base name) before its usual name;\n"
		   "--out DIR (needed) holds them.\n"
		   "--animate: also accept_queue_anim.gif, the accept queue and the connect\n"
		   "CDF growing over each run of a connect-mode sweep, 100 ms a frame (at\n"
		   "most 60); of any other sweep one warning says there is nothing to\n"
		   "animate (exit 0).\n");
}

/* --figure NAME: one of plot_figures, else 2 with the one line said. */
static int figure_check(const char *name)
{
	char err[512];
	if (opt_choice_arg("figure", name, plot_figures, err, sizeof err) >= 0)
		return 0;
	fprintf(stderr, "sockbench plot: %s\n", err);
	return -1;
}

int plot_main(int argc, char **argv)
{
	const char *dirs[PLOT_MAX_DIRS], *labels[PLOT_MAX_DIRS], *only = NULL, *out = NULL;
	char *label = NULL;
	int nd = 0;
	bool animate = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			plot_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--animate")) {
			animate = true;
		} else if (!strcmp(argv[i], "--figure") && i + 1 < argc) {
			only = argv[++i];
			if (figure_check(only) < 0)
				return 2;
		} else if (!strcmp(argv[i], "--label") && i + 1 < argc) {
			label = argv[++i];
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			out = argv[++i];
			if (!*out || strlen(out) > SB_DIR_MAX) {
				fprintf(stderr, "sockbench plot: --out: takes 1 to %d bytes\n",
					SB_DIR_MAX);
				return 2;
			}
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "sockbench plot: %s: unexpected argument (see --help)\n",
				argv[i]);
			return 2;
		} else if (strlen(argv[i]) > SB_DIR_MAX) { /* refused, never cut */
			fprintf(stderr,
				"sockbench plot: %.40s...: %zu bytes; a results directory's name "
				"takes at most %d\n",
				argv[i], strlen(argv[i]), SB_DIR_MAX);
			return 2;
		} else if (nd == PLOT_MAX_DIRS) {
			fprintf(stderr, "sockbench plot: %s: at most %d results directories\n",
				argv[i], PLOT_MAX_DIRS);
			return 2;
		} else {
			dirs[nd++] = argv[i];
		}
	}
	if (!nd) {
		fprintf(stderr,
			"sockbench plot: RESULTS_DIR: missing (a sweep's --out directory)\n");
		return 2;
	}
	if (nd > 1 && !out) {
		fprintf(stderr,
			"sockbench plot: %d results directories: --out DIR says where "
			"their figures go\n",
			nd);
		return 2;
	}
	if (nd == 1 && !label)
		return plot_dirs(dirs, NULL, 0, out, only, animate);
	char *copy = label ? strdup(label) : NULL;
	int rc = plot_labels(copy, dirs, nd, labels);
	if (!rc)
		rc = plot_dirs(dirs, labels, nd, out, only, animate);
	free(copy);
	return rc;
}

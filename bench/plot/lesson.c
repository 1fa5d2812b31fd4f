/* lesson.c - `sockbench lesson NAME`: a ready sweep (a JSON file in
 * scripts/lessons/, data not code) plus its figures. */
#include <dirent.h>
#include <jansson.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#include "sockbench/plot.h"
#include "sockbench/sweep.h"

static void lesson_path(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/lessons/%s.json", plot_datadir(), name);
}

static int list(void)
{
	static const char *const order[] = {"backlog", "somaxconn",	  "models", "recv-size",
					    "send",    "thundering-herd", "ports",  NULL};
	for (int i = 0; order[i]; i++) {
		char path[600];
		lesson_path(order[i], path, sizeof path);
		json_t *j = json_load_file(path, 0, NULL);
		if (!j)
			continue;
		printf("%-16s %s\n", order[i],
		       json_string_value(json_object_get(j, "description")));
		json_decref(j);
	}
	return 0;
}

/* The figures a lesson file lists ("figures": ["models", ...]) are what it
 * teaches with: one that was not drawn fails the lesson (1), named. */
static int check_figures(const json_t *figs, const char *name, const char *dir)
{
	size_t i;
	json_t *v;
	int rc = 0;
	json_array_foreach(figs, i, v)
	{
		char png[800];
		struct stat st;
		snprintf(png, sizeof png, "%s/plots/%s.png", dir, json_string_value(v) ?: "?");
		if (stat(png, &st) < 0) {
			fprintf(stderr,
				"sockbench lesson %s: figure %s was not drawn (%s missing)\n", name,
				json_string_value(v) ?: "?", png);
			rc = 1;
		}
	}
	return rc;
}

/* --out, else results/<date>-<time>-lesson-NAME[-quick]. */
/* The lesson's --out, or results/<date>-<time>-lesson-NAME; -1 (said on
 * stderr) when results/ cannot be made here. */
static int lesson_dir(const char *out, const char *name, bool quick, char *dir, size_t len)
{
	if (out) {
		snprintf(dir, len, "%s", out);
		return 0;
	}
	char suffix[128], err[300];
	snprintf(suffix, sizeof suffix, "lesson-%s%s", name, quick ? "-quick" : "");
	if (sweep_results_dir(suffix, dir, len, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench lesson: %s\n", err);
		return -1;
	}
	return 0;
}

/* The command line: -1 to go on, else the exit status. */
static int lesson_args(int argc, char **argv, const char **name, const char **out, bool *quick)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--list"))
			return list();
		if (!strcmp(argv[i], "--help")) {
			printf("usage: sockbench lesson NAME [--quick] [--out DIR]   (--list: the "
			       "lessons)\n"
			       "A ready sweep and its figures for one teaching topic.\n");
			return 0;
		}
		if (!strcmp(argv[i], "--quick"))
			*quick = true;
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			*out = argv[++i];
		else if (argv[i][0] != '-' && !*name)
			*name = argv[i];
		else {
			fprintf(stderr, "sockbench lesson: %s: unexpected argument (see --help)\n",
				argv[i]);
			return 2;
		}
	}
	if (!*name) {
		fprintf(stderr, "sockbench lesson: NAME missing (sockbench lesson --list)\n");
		return 2;
	}
	if (*out && (!**out || strlen(*out) > SB_DIR_MAX)) { /* refused, never cut */
		fprintf(stderr,
			"sockbench lesson: --out: %zu bytes; a results directory's name takes 1 "
			"to %d\n",
			strlen(*out), SB_DIR_MAX);
		return 2;
	}
	return -1;
}

int lesson_main(int argc, char **argv)
{
	const char *name = NULL, *out = NULL;
	bool quick = false;
	int arc = lesson_args(argc, argv, &name, &out, &quick);
	if (arc >= 0)
		return arc;
	char path[600], dir[600];
	lesson_path(name, path, sizeof path);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j) {
		fprintf(stderr, "sockbench lesson: %s: no such lesson (%s; see --list)\n", name,
			je.text);
		return 2;
	}
	if (lesson_dir(out, name, quick, dir, sizeof dir) < 0) {
		json_decref(j);
		return 1;
	}
	/* The sweep reads the lesson file; --quick's smaller values go on its
	 * command line, which overrides the file. */
	char *args[128], vals[64][512];
	int n = 0, nv = 0;
	args[n++] = "sweep";
	args[n++] = "--config";
	args[n++] = path;
	const char *k;
	json_t *v;
	if (quick)
		json_object_foreach(json_object_get(j, "quick"), k, v)
		{
			if (n > 120 || nv > 60)
				break;
			snprintf(vals[nv], sizeof vals[nv], "--%s", k);
			args[n++] = vals[nv++];
			snprintf(vals[nv], sizeof vals[nv], "%s", json_string_value(v) ?: "");
			args[n++] = vals[nv++];
		}
	args[n++] = "--out";
	args[n++] = dir;
	args[n] = NULL;
	printf("lesson %s: %s\n", name, json_string_value(json_object_get(j, "description")));
	fflush(stdout);
	int rc = sweep_main(n, args);
	/* a usage error, a stop (128 + signal), or no results directory:
	 * there is nothing to plot */
	if (rc == 2 || rc >= 128 || access(dir, F_OK) != 0) {
		json_decref(j);
		return rc ? rc : 1;
	}
	int prc = plot_run(dir, NULL);
	if (!prc)
		prc = check_figures(json_object_get(j, "figures"), name, dir);
	json_decref(j);
	if (!prc) /* only an index that exists is named */
		printf("lesson %s: open %s/plots/index.html\n", name, dir);
	return rc ? rc : prc;
}

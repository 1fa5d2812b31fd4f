/* lesson.c - `sockbench lesson NAME`: a ready sweep (a JSON file in
 * lessons/ of the data directory, lib/datadir.c: data, not code) plus its
 * figures. */
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

#include "sockbench/datadir.h"
#include "sockbench/live.h"
#include "sockbench/plot.h"
#include "sockbench/stopsig.h"
#include "sockbench/sweep.h"
#include "plot_int.h"

static void lesson_path(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/lessons/%s.json", sb_datadir(), name);
}

static int list(void)
{
	static const char *const order[] = {"backlog", "somaxconn",	  "models", "recv-size",
					    "send",    "thundering-herd", "ports",  "python",
					    "reject",  "close",		  "unix",   "restart",
					    NULL};
	for (int i = 0; order[i]; i++) {
		char path[600];
		lesson_path(order[i], path, sizeof path);
		json_t *j = json_load_file(path, 0, NULL);
		if (!j)
			continue;
		/* its question: one line of what it answers */
		const char *q = json_string_value(json_object_get(j, "question"));
		printf("%-16s %s\n", order[i],
		       q ? q : json_string_value(json_object_get(j, "description")));
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
/* --live-fd N: passed on to each of the lesson's sweeps (docs/live.md);
 * --live: the view reads it, the sweeps are quiet meanwhile */
static const char *live_fd;
static bool want_view;
/* --server-host, --ssh-opt, --remote-bin, --remote-sysctl, --generators:
 * passed on to each sweep */
static const char *remote_args[40];
static int nremote;
static struct live *view;

/* --live: the view on /dev/tty for the lesson's sweeps, one after the
 * other; no terminal: the sweeps' progress lines, as without it. */
static void view_start(void)
{
	static char fdtext[16];
	char why[256];
	int fd;
	if (live_fd) {
		fprintf(stderr, "sockbench lesson: --live with --live-fd: no view\n");
		return;
	}
	stopsig_install(); /* first: ncurses then leaves SIGINT and SIGTERM to us */
	view = live_start(&fd, why, sizeof why);
	if (!view) {
		fprintf(stderr, "sockbench lesson: --live: %s: the progress lines instead\n", why);
		return;
	}
	snprintf(fdtext, sizeof fdtext, "%d", fd);
	live_fd = fdtext;
}

/* Before the figures and any last word: the terminal back. */
static void view_stop(void)
{
	if (!view)
		return;
	struct live_cost c;
	live_stop(view, &c);
	view = NULL;
	live_fd = NULL;
	printf("lesson: the live view drew %lld frames in %.1f s with %.2f s of CPU (%.2f%% of "
	       "a core)\n",
	       c.redraws, c.wall_s, c.cpu_s, c.wall_s > 0 ? 100 * c.cpu_s / c.wall_s : 0);
}

void lesson_usage(FILE *f)
{
	fprintf(f, "usage: sockbench lesson NAME [--quick] [--out DIR] [--live] [--live-fd N]\n"
		   "         [--server-host [USER@]HOST [--ssh-opt OPT]... [--remote-bin P]\n"
		   "          [--remote-sysctl] [--generators H1,H2]]\n"
		   "       sockbench lesson --list   (the lessons)\n"
		   "A ready sweep and its figures for one teaching topic.\n");
}

static int lesson_args(int argc, char **argv, const char **name, const char **out, bool *quick)
{
	live_fd = NULL;
	want_view = false;
	nremote = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--list"))
			return list();
		if (!strcmp(argv[i], "--help")) {
			lesson_usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--quick"))
			*quick = true;
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			*out = argv[++i];
		else if (!strcmp(argv[i], "--live"))
			want_view = true;
		else if ((!strcmp(argv[i], "--server-host") || !strcmp(argv[i], "--ssh-opt") ||
			  !strcmp(argv[i], "--remote-bin") || !strcmp(argv[i], "--generators")) &&
			 i + 1 < argc && nremote + 2 <= 40) {
			remote_args[nremote++] = argv[i]; /* checked by the sweep */
			remote_args[nremote++] = argv[++i];
		} else if (!strcmp(argv[i], "--remote-sysctl") && nremote + 1 <= 40)
			remote_args[nremote++] = argv[i];
		else if (!strcmp(argv[i], "--live-fd") && i + 1 < argc)
			live_fd = argv[++i]; /* checked by the sweep */
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

/* The sweep's arguments from a lesson: `sweep --config FILE`, then the
 * --quick values and a case's own values on the command line, which
 * override the file (the last one given wins). */
struct largs {
	char *v[160];
	char buf[96][512];
	int n, nb;
};

static void largs_put(struct largs *a, const char *s)
{
	if (a->n < 156)
		a->v[a->n++] = (char *)s;
}

static void largs_putf(struct largs *a, const char *fmt, const char *s)
{
	if (a->nb >= 96)
		return;
	snprintf(a->buf[a->nb], sizeof a->buf[a->nb], fmt, s);
	largs_put(a, a->buf[a->nb++]);
}

/* One key of a "quick" or case object as `--key value`: a string as
 * written, a number, true as 1 (a flag's axis on), an array joined by
 * commas. */
static void largs_key(struct largs *a, const char *key, json_t *v)
{
	char opt[80], val[512] = "";
	size_t l = 0;
	snprintf(opt, sizeof opt, "--%s", key);
	for (char *p = opt; *p; p++)
		if (*p == '_')
			*p = '-';
	json_t *one = json_is_array(v) ? NULL : v, *e;
	size_t i;
	json_array_foreach(json_is_array(v) ? v : NULL, i, e)
	{
		char *t = json_dumps(e, JSON_ENCODE_ANY);
		l += snprintf(val + l, l < sizeof val ? sizeof val - l : 0, "%s%s", i ? "," : "",
			      t && t[0] == '"' ? json_string_value(e)
			      : t	       ? t
					       : "");
		free(t);
	}
	if (one && json_is_string(one))
		snprintf(val, sizeof val, "%s", json_string_value(one));
	else if (one && json_is_boolean(one))
		snprintf(val, sizeof val, "%d", json_is_true(one));
	else if (one && json_is_integer(one))
		snprintf(val, sizeof val, "%" JSON_INTEGER_FORMAT, json_integer_value(one));
	else if (one && json_is_real(one))
		snprintf(val, sizeof val, "%.17g", json_real_value(one));
	largs_putf(a, "%s", opt);
	largs_putf(a, "%s", val);
}

/* A lesson's cases ("cases": [{"name": N, option: value, ...}]): each a
 * sweep of its own into DIR/N, the lesson's values with the case's on top
 * - what one sweep's product of axes cannot say (no listener; a full
 * queue; accept-then-close).  NULL for a lesson of one sweep. */
static const char *case_name(json_t *c)
{
	const char *s = json_string_value(json_object_get(c, "name"));
	if (!s || !*s || strlen(s) > 32)
		return NULL;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return NULL;
	return s;
}

/* One sweep of the lesson (of one case when c is not NULL) into dir. */
static int lesson_sweep(json_t *j, const char *path, bool quick, json_t *c, const char *dir)
{
	static struct largs a;
	const char *k;
	json_t *v;
	memset(&a, 0, sizeof a);
	largs_put(&a, "sweep");
	largs_put(&a, "--config");
	largs_put(&a, path);
	if (quick)
		json_object_foreach(json_object_get(j, "quick"), k, v) largs_key(&a, k, v);
	json_object_foreach(c, k, v) if (strcmp(k, "name") && strcmp(k, "quick"))
	    largs_key(&a, k, v);
	if (quick) /* a case's own --quick values, over the lesson's */
		json_object_foreach(json_object_get(c, "quick"), k, v) largs_key(&a, k, v);
	largs_put(&a, "--out");
	largs_put(&a, dir);
	if (live_fd) {
		largs_put(&a, "--live-fd");
		largs_put(&a, live_fd);
	}
	if (view)
		largs_put(&a, "--quiet");
	for (int i = 0; i < nremote; i++)
		largs_put(&a, remote_args[i]);
	a.v[a.n] = NULL;
	return sweep_main(a.n, a.v);
}

/* Every case's sweep, then one set of figures over their directories,
 * each labelled by its case. */
static int lesson_cases(json_t *j, const char *path, bool quick, const char *dir)
{
	json_t *cases = json_object_get(j, "cases"), *c;
	static char sub[16][SB_DIR_MAX + 40];
	const char *dirs[16], *labels[16];
	size_t i, n = json_array_size(cases);
	int worst = 0;
	if (n > 16 || (mkdir(dir, 0755) < 0 && errno != EEXIST)) {
		fprintf(stderr, "sockbench lesson: %s: %s\n", dir,
			n > 16 ? "more than 16 cases" : strerror(errno));
		return n > 16 ? 2 : 1;
	}
	json_array_foreach(cases, i, c)
	{
		const char *name = case_name(c);
		if (!name) {
			fprintf(stderr,
				"sockbench lesson: %s: case %zu: 'name' takes 1 to 32 of "
				"a-z 0-9 -\n",
				path, i + 1);
			return 2;
		}
		snprintf(sub[i], sizeof sub[i], "%s/%s", dir, name);
		dirs[i] = sub[i];
		labels[i] = name;
		if (!view) {
			printf("lesson case %zu of %zu: %s\n", i + 1, n, name);
			fflush(stdout);
		}
		int rc = lesson_sweep(j, path, quick, c, sub[i]);
		if (rc == 2 || rc >= 128)
			return rc;
		if (rc > worst)
			worst = rc;
	}
	view_stop();
	char out[SB_DIR_MAX + 40];
	snprintf(out, sizeof out, "%s/plots", dir);
	int prc = plot_dirs(dirs, labels, (int)n, out, NULL, false) ? 1 : 0;
	return worst ? worst : prc;
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
	printf("lesson %s: %s\n", name, json_string_value(json_object_get(j, "description")));
	fflush(stdout);
	int rc, prc = 0;
	if (want_view)
		view_start();
	if (json_is_array(json_object_get(j, "cases"))) {
		rc = lesson_cases(j, path, quick, dir);
		view_stop(); /* a case that stopped the lesson */
	} else {
		rc = lesson_sweep(j, path, quick, NULL, dir);
		view_stop();
		/* a usage error, a stop (128 + signal), or no results directory:
		 * there is nothing to plot */
		if (rc == 2 || rc >= 128 || access(dir, F_OK) != 0) {
			json_decref(j);
			return rc ? rc : 1;
		}
		prc = plot_run(dir, NULL);
	}
	if (rc == 2 || rc >= 128) {
		json_decref(j);
		return rc;
	}
	if (!prc)
		prc = check_figures(json_object_get(j, "figures"), name, dir);
	json_decref(j);
	if (!prc) /* only an index that exists is named */
		printf("lesson %s: open %s/plots/index.html\n", name, dir);
	return rc ? rc : prc;
}

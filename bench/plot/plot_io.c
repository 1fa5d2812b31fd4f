/* plot_io.c - reading a sweep's runs, running gnuplot, writing index.html. */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockbench/datadir.h"
#include "sockbench/jsonio.h"
#include "sockbench/plot.h"
#include "plot_int.h"
#include "sockbench/opt.h"
#include "sockbench/strbuf.h"

const char *plot_val(const struct prun *r, const char *axis)
{
	return json_string_value(json_object_get(r->values, axis));
}

/* An axis value as a number: "4M" and "4194304" alike (sizes in
 * powers of 1024, as on the command line). */
double plot_num0(json_t *run, const char *path)
{
	double v = json_path_num(run, path);
	return isnan(v) ? 0 : v;
}

double plot_xnum(const char *v)
{
	uint64_t n;
	char e[128];
	return opt_size(v, 0, UINT64_MAX, &n, e, sizeof e) == 0 ? (double)n : strtod(v, NULL);
}

bool plot_varies(const struct plot *p, const char *axis)
{
	size_t i;
	json_t *v;
	json_array_foreach(p->varying, i, v) if (!strcmp(json_string_value(v), axis)) return true;
	return false;
}

bool plot_has_axis(const struct plot *p, const char *axis)
{
	return p->n && plot_val(&p->r[0], axis);
}

/* --- reading the sweep ----------------------------------------------- */

static int cmp_run(const void *a, const void *b)
{
	const struct prun *x = a, *y = b;
	return x->cell != y->cell ? x->cell - y->cell : x->repeat - y->repeat;
}

void plot_warn(struct plot *p, const char *fmt, ...)
{
	char buf[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (!p->warnings)
		p->warnings = json_array();
	json_array_append_new(p->warnings, json_string(buf));
}

/* The sweep_id of DIR/sweep.json ("" when it records none: an older
 * sweep, whose runs cannot be told apart). */
static void sweep_id_of(const char *dir, char *id, size_t len)
{
	char path[800];
	snprintf(path, sizeof path, "%s/sweep.json", dir);
	json_t *s = json_load_file(path, 0, NULL);
	snprintf(id, len, "%s", json_string_value(json_object_get(s, "sweep_id")) ?: "");
	json_decref(s);
}

/* One run file: 1 taken, 0 left out (with a warning), -1 out of memory. */
static int take_run(struct plot *p, const char *dir, const char *label, int d, const char *name,
		    const char *id, int *cap)
{
	char path[800];
	json_error_t je;
	snprintf(path, sizeof path, "%s/runs/%s", dir, name);
	json_t *j = json_load_file(path, 0, &je), *sw = json_object_get(j, "sweep");
	const char *rid = json_string_value(json_object_get(sw, "sweep_id"));
	if (!j || !json_is_object(sw)) {
		plot_warn(p, "runs/%s left out: %s", name,
			  j ? "not a sweep's run (no \"sweep\" object)" : je.text);
		json_decref(j);
		return 0;
	}
	if (id[0] && (!rid || strcmp(rid, id))) {
		plot_warn(p,
			  "runs/%s left out: it belongs to another sweep (sweep_id %s, this "
			  "directory's %s)",
			  name, rid ? rid : "none", id);
		json_decref(j);
		return 0;
	}
	if (!json_is_null(json_object_get(j, "error"))) {
		p->failed++;
		json_decref(j);
		return 0;
	}
	if (p->n == *cap) {
		int c = *cap ? 2 * *cap : 64;
		struct prun *r = realloc(p->r, (size_t)c * sizeof *r);
		if (!r) {
			json_decref(j);
			return -1;
		}
		p->r = r;
		*cap = c;
	}
	p->r[p->n++] = (struct prun){j,
				     json_object_get(sw, "values"),
				     d * 10000000 + /* cells of several directories apart */
					 (int)json_integer_value(json_object_get(sw, "cell")),
				     (int)json_integer_value(json_object_get(sw, "repeat")),
				     label,
				     d};
	return 1;
}

/* The runs of directory d (0 when alone). */
static int load_dir(struct plot *p, const char *dir, const char *label, int dn, char *err,
		    size_t errlen, int *cap)
{
	char path[800], id[40];
	int n0 = p->n;
	snprintf(path, sizeof path, "%s/runs", dir);
	DIR *d = opendir(path);
	if (!d) {
		snprintf(err, errlen, "%s: %s (not a sweep's results directory?)", path,
			 strerror(errno));
		return -1;
	}
	sweep_id_of(dir, id, sizeof id);
	if (!id[0])
		plot_warn(p,
			  "%s/sweep.json records no sweep_id (an older sweep): runs of "
			  "another sweep in this directory cannot be told apart",
			  dir);
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".json"))
			continue;
		if (take_run(p, dir, label, dn, e->d_name, id, cap) < 0)
			break;
	}
	closedir(d);
	if (p->n == n0) {
		snprintf(err, errlen, "%s/runs: no finished runs to plot", dir);
		return -1;
	}
	return 0;
}

/* The values run r has for axis k, as a sorted set. */
static void values_of(const struct plot *p, const char *label, const char *k, json_t *set)
{
	for (int i = 0; i < p->n; i++)
		if (p->r[i].label == label)
			json_object_set_new(set, plot_val(&p->r[i], k) ?: "(none)", json_true());
}

/* "axes that differ between the directories: conns, server" */
static void warn_differing(struct plot *p, json_t *keys)
{
	char line[600];
	size_t n = 0;
	const char *k;
	json_t *v;
	json_object_foreach(keys, k, v)
	{
		json_t *first = json_object();
		values_of(p, p->labels[0], k, first);
		bool differs = false;
		for (int d = 1; d < p->ndirs && !differs; d++) {
			json_t *o = json_object();
			values_of(p, p->labels[d], k, o);
			differs = !json_equal(first, o);
			json_decref(o);
		}
		json_decref(first);
		if (differs)
			n = sb_appendf(line, sizeof line, n, "%s%s", n ? ", " : "", k);
	}
	if (n)
		plot_warn(p, "axes that differ between the directories: %s", line);
}

int plot_load_runs(struct plot *p, char *err, size_t errlen)
{
	int cap = 0;
	if (!p->ndirs) {
		if (load_dir(p, p->dir, NULL, 0, err, errlen, &cap) < 0)
			return -1;
	} else {
		for (int d = 0; d < p->ndirs; d++)
			if (load_dir(p, p->dirs[d], p->labels[d], d, err, errlen, &cap) < 0)
				return -1;
	}
	qsort(p->r, (size_t)p->n, sizeof *p->r, cmp_run);
	/* sysctl names hold dots: look the key up whole */
	json_t *lin = json_object_get(json_path(p->r[0].j, "environment.sysctl"),
				      "net.ipv4.tcp_syn_linear_timeouts");
	p->linear = json_is_integer(lin) ? (int)json_integer_value(lin) : 0;
	/* an axis varies when two runs disagree on it (of several
	 * directories: every axis any run has) */
	p->varying = json_array();
	const char *k;
	json_t *v, *keys = json_object();
	for (int i = 0; i < (p->ndirs ? p->n : 1); i++)
		json_object_update(keys, p->r[i].values);
	if (p->ndirs > 1)
		warn_differing(p, keys);
	if (p->ndirs) { /* a series is named by what varies in its own directory */
		p->dvarying = json_array();
		for (int d = 0; d < p->ndirs; d++) {
			json_t *a = json_array();
			json_t *kv;
			json_object_foreach(keys, k, kv)
			{
				const char *first = NULL;
				bool seen = false, differs = false;
				for (int i = 0; i < p->n && !differs; i++) {
					if (p->r[i].dir != d)
						continue;
					const char *o = plot_val(&p->r[i], k);
					differs = seen && (!o != !first || (o && strcmp(o, first)));
					first = seen ? first : o;
					seen = true;
				}
				if (differs)
					json_array_append_new(a, json_string(k));
			}
			json_array_append_new(p->dvarying, a);
		}
	}
	json_t *kv;
	json_object_foreach(keys, k, kv)
	{
		v = json_object_get(p->r[0].values, k);
		for (int i = 1; i < p->n; i++) {
			/* run files are read back from disk: a value that is missing
			 * or not a string (in any run, the first too) disagrees */
			const char *o = plot_val(&p->r[i], k), *first = json_string_value(v);
			if (!o || !first || strcmp(o, first)) {
				json_array_append_new(p->varying, json_string(k));
				break;
			}
		}
	}
	json_decref(keys);
	return 0;
}

/* "backlog=8" / "epoll" / "somaxconn=4,send=send": the varying axes but x. */
void plot_series_of(const struct plot *p, const struct prun *r, const char *x, char *out,
		    size_t len)
{
	size_t i, k = 0;
	json_t *a;
	out[0] = '\0';
	json_array_foreach(r->label ? json_array_get(p->dvarying, (size_t)r->dir) : p->varying, i,
			   a)
	{
		const char *name = json_string_value(a);
		if (k >= len) /* cut short: snprintf counts what did not fit too */
			break;
		if (x && !strcmp(name, x))
			continue;
		const char *v = plot_val(r, name) ?: "?"; /* a run without this axis */
		if (!strcmp(name, "models") || !strcmp(name, "model") || !strcmp(name, "server") ||
		    !strcmp(name, "send") || !strcmp(name, "bind"))
			k = sb_appendf(out, len, k, "%s%s", k ? "," : "", v);
		else
			k = sb_appendf(out, len, k, "%s%s=%s", k ? "," : "", name, v);
	}
	/* One series (nothing varies but x): it is named for its server, not
	 * "all" - a legend reading "all" for one line says nothing, and a
	 * model's name also gives it that model's colour. */
	const char *srv = plot_val(r, "models") ?: plot_val(r, "server");
	if (!out[0] && !r->label)
		snprintf(out, len, "%s",
			 srv ?: json_string_value(json_path(r->j, "config.server.model")) ?: "runs");
	else if (!out[0])
		snprintf(out, len, "%s", r->label);
	else if (r->label) { /* "x epoll": its directory's label first */
		char usual[512];
		snprintf(usual, sizeof usual, "%s", out);
		snprintf(out, len, "%s %s", r->label, usual);
	}
	/* a title is one line: of a data file's comment, of the key */
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '_';
}

/* --- running gnuplot --------------------------------------------------- */

/* path made absolute (cwd + "/" + path, symlinks kept) into out. */
static int abs_path(const char *path, char *out, size_t len, char *err, size_t errlen)
{
	char cwd[4096];
	int n;
	if (path[0] == '/') {
		n = snprintf(out, len, "%s", path);
	} else if (!getcwd(cwd, sizeof cwd)) {
		snprintf(err, errlen, "%s: the current directory: %s", path, strerror(errno));
		return -1;
	} else {
		n = snprintf(out, len, "%s/%s", cwd, path);
	}
	if (n < 0 || (size_t)n + 40 > len) { /* room for "/plots/data/NAME-params.gp" */
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	return 0;
}

int plot_absdir(struct plot *p, char *err, size_t errlen)
{
	char d[4096];
	snprintf(d, sizeof d, "%s/plots", sb_datadir());
	if (abs_path(p->dir, p->adir, sizeof p->adir, err, errlen) < 0 ||
	    abs_path(p->pdir, p->apdir, sizeof p->apdir, err, errlen) < 0)
		return -1;
	return abs_path(d, p->ascripts, sizeof p->ascripts, err, errlen);
}

/* s as a gnuplot string: single-quoted pieces, where nothing is special
 * (backquotes run commands, and backslashes escape, in double quotes
 * only).  A quote is joined on as "'": gnuplot's own '' for a quote trips
 * its scanner (5.4) when two come in a row or the string starts with one.
 * A control character (a newline in a directory name) is joined on as an
 * octal escape, "\012".  Those double-quoted strings hold nothing else. */
static void gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\'')
			fputs("'.\"'\".'", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "'.\"\\%03o\".'", c);
		else
			fputc(c, f);
	}
	fputc('\'', f);
}

/* DDIR/<name>-params.gp: what gnuplot needs for the figure, one
 * assignment a line, the lists as arrays (a title may hold spaces). */
static int write_params(const struct plot *p, const char *path, const char *script,
			const char *name, const char *title, char titles[][128], int n)
{
	char s[4200];
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f,
		"# %s: written by sockbench plot; drawn again by\n"
		"#   gnuplot -c SCRIPTS/plots/%s.gp THIS_FILE\n",
		name, script);
	snprintf(s, sizeof s, "%s/%s", p->apdir, name);
	fputs("out = ", f);
	gp_str(f, s);
	fputs("\ntitle = ", f);
	gp_str(f, title);
	fprintf(f, "\nterm = '%s'\nlinear = %d\n%sarray FILES[%d]\narray TITLES[%d]\n",
		!strcmp(p->term, "png") ? "png" : "pngcairo", p->linear, p->gp_extra, n, n);
	for (int k = 0; k < n; k++) {
		snprintf(s, sizeof s, "%s/data/%s-%d.dat", p->apdir, name, k);
		fprintf(f, "FILES[%d] = ", k + 1);
		gp_str(f, s);
		fprintf(f, "\nTITLES[%d] = ", k + 1);
		gp_str(f, titles[k]);
		fputc('\n', f);
	}
	return fclose(f);
}

/* gnuplot's own words (their last line, the error, at the end), or why
 * it did not run, as one warning. */
static void gp_failed(struct plot *p, const char *name, const char *sp, char *why)
{
	size_t m = strlen(why);
	while (m && why[m - 1] == '\n')
		why[--m] = '\0';
	plot_warn(p, "%s: gnuplot failed on %s: %s", name, sp, why[0] ? why : "(no output)");
	p->gp_failed++;
}

int plot_gnuplot(struct plot *p, const char *script, const char *name, const char *title,
		 char titles[][128], int n, const char *caption)
{
	char sp[4200], par[900], apar[4200], msg[2048];
	if (!strcmp(p->term, "none") || n < 1)
		return -1;
	snprintf(sp, sizeof sp, "%s/%s.gp", p->ascripts, script);
	snprintf(par, sizeof par, "%s/%s-params.gp", p->ddir, name);
	snprintf(apar, sizeof apar, "%s/data/%s-params.gp", p->apdir, name);
	int st = write_params(p, par, script, name, title, titles, n);
	if (st < 0) {
		snprintf(msg, sizeof msg, "%s: %s", par, strerror(errno));
	} else {
		const char *argv[] = {"gnuplot", "-c", sp, apar, NULL};
		st = plot_gp_run(argv, msg, sizeof msg);
		if (st < 0)
			snprintf(msg, sizeof msg, "could not start gnuplot: %s", strerror(-st));
	}
	if (st != 0) {
		gp_failed(p, name, sp, msg);
		return -1;
	}
	json_array_append_new(p->figs, json_pack("{s:s, s:s, s:s}", "name", name, "title", title,
						 "caption", caption));
	return 0;
}

/* --- index.html ------------------------------------------------------- */

static void html_escape(FILE *f, const char *s)
{
	if (!s) /* sweep.json is read back from disk: a value may be no string */
		return;
	for (; *s; s++)
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"') /* alt="..." */
			fputs("&quot;", f);
		else
			fputc(*s, f);
}

/* One paragraph: the settings of one directory's sweep (its label first
 * when there are several). */
static void index_settings(FILE *f, const char *dir, const char *label)
{
	char path[800];
	if (label) {
		fputs("<b>", f);
		html_escape(f, label);
		fputs("</b> (", f);
		html_escape(f, dir);
		fputs("): ", f);
	}
	json_t *sw = json_load_file(strcat(strcpy(path, dir), "/sweep.json"), 0, NULL);
	const char *k;
	json_t *v;
	fputs("Settings: ", f);
	json_object_foreach(json_object_get(sw, "axes"), k, v)
	{
		fprintf(f, "<code>--%s ", k);
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			fputs(i ? "," : "", f);
			html_escape(f, json_string_value(x));
		}
		fputs("</code> ", f);
	}
	fprintf(f,
		" &middot; repeats: %lld &middot; network namespace: %s &middot; kernel %s</p>\n",
		(long long)json_integer_value(json_object_get(sw, "repeat")),
		json_string_value(json_object_get(sw, "netns")) ?: "?",
		json_string_value(json_path(sw, "environment.kernel")) ?: "?");
	json_decref(sw);
}

/* A lesson's question, its one-line answer and its caveat (sweep.json
 * "lesson", copied there from the lesson file by the sweep), before the
 * figures: what the figures answer, and where the answer stops. */
static void index_lesson(FILE *f, const char *dir, char *said, size_t saidlen)
{
	char path[800];
	snprintf(path, sizeof path, "%s/sweep.json", dir);
	json_t *sw = json_load_file(path, 0, NULL), *l = json_object_get(sw, "lesson");
	const char *q = json_string_value(json_object_get(l, "question")),
		   *a = json_string_value(json_object_get(l, "answer")),
		   *c = json_string_value(json_object_get(l, "caveat"));
	if (q && !strcmp(q, said)) { /* a lesson's cases: one question */
		json_decref(sw);
		return;
	}
	snprintf(said, saidlen, "%s", q ? q : "");
	if (q) {
		fputs("<h2 class=question>", f);
		html_escape(f, q);
		fputs("</h2>\n", f);
	}
	if (a) {
		fputs("<p class=answer><b>Answer:</b> ", f);
		html_escape(f, a);
		fputs("</p>\n", f);
	}
	if (c) {
		fputs("<p class=caveat><b>Caveat:</b> ", f);
		html_escape(f, c);
		fputs("</p>\n", f);
	}
	json_decref(sw);
}

int plot_write_index(struct plot *p, char *err, size_t errlen)
{
	char path[800];
	snprintf(path, sizeof path, "%s/index.html", p->pdir);
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fputs("<!doctype html>\n<meta charset=utf-8>\n<title>sockbench: ", f);
	html_escape(f, p->dir); /* a directory may be named <script> */
	fputs("</title>\n<style>body{font-family:sans-serif;max-width:1320px;margin:auto}"
	      "figure{margin:2em 0}img{width:100%}figcaption{font-size:1.2em}"
	      "code{background:#eee}.answer,.caveat{font-size:1.3em}.caveat{background:#fff4d6;"
	      "padding:.4em}</style>\n<h1>sockbench results</h1>\n",
	      f);
	char said[1024] = "";
	for (int d = 0; d < (p->ndirs ? p->ndirs : 1); d++)
		index_lesson(f, p->ndirs ? p->dirs[d] : p->dir, said, sizeof said);
	fputs("<p>", f);
	for (int d = 0; d < (p->ndirs ? p->ndirs : 1); d++) {
		fputs(d ? "<p>" : "", f);
		index_settings(f, p->ndirs ? p->dirs[d] : p->dir, p->ndirs ? p->labels[d] : NULL);
	}
	size_t i;
	json_t *v;
	json_array_foreach(p->figs, i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name")),
			   *ext = json_string_value(json_object_get(v, "ext")) ?: "png";
		fprintf(f, "<figure id=\"%s\"><img src=\"%s.%s\" alt=\"", name, name, ext);
		html_escape(f, json_string_value(json_object_get(v, "title")));
		fputs("\"><figcaption>", f);
		html_escape(f, json_string_value(json_object_get(v, "caption")));
		if (!strcmp(ext, "png")) /* an animation has no SVG */
			fprintf(f, " <a href=\"%s.svg\">SVG</a>", name);
		fputs("</figcaption></figure>\n", f);
	}
	fclose(f);
	return 0;
}

bool plot_have_gnuplot(char *term, size_t len)
{
	static char buf[65536];
	const char *argv[] = {"gnuplot", "-e", "set terminal", NULL};
	int st = plot_gp_run(argv, buf, sizeof buf);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return false;
	snprintf(term, len, "%s", strstr(buf, "pngcairo") ? "pngcairo" : "png");
	return true;
}

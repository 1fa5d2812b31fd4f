/* diff_read.c - a result set for `sockbench diff`: a sweep's sweep.json
 * and its runs, grouped into cells by their values of the axes the sweep
 * varied; the two sets' axes, settings and environment compared. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sockbench/jsonio.h"
#include "sockbench/strbuf.h"
#include "diff_int.h"

#define DIFF_PATH_MAX 4096

const struct dfig diff_figs[DIFF_NFIGS] = {
    {"requests_per_s", "req/s", "load.throughput.requests_per_s", "", 1, false, DIFF_M_REQ},
    {"p99_us", "p99", "load.requests.latency_us.p99", "us", 1, true, DIFF_M_REQ},
    {"mb_per_s", "MB/s", "load.throughput.bytes_per_s", "", 1e-6, false, DIFF_M_STREAM},
    {"connects", "connects", "load.connections.established", "", 1, false, DIFF_M_CONNECT},
    {"connect_p99_us", "connect p99", "load.connections.latency_us.p99", "us", 1, true,
     DIFF_M_CONNECT},
};

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* sweep.json's "axes": an axis with one value is a setting, with more a
 * dimension of the cells.  Names as the runs' "values" spell them
 * ("recv-size" is recv_size there), sorted: both sets name a cell alike
 * whatever order their sweep.json lists the axes in. */
static int axes_read(struct dset *s, char *err, size_t errlen)
{
	json_t *ax = json_object_get(s->sweep, "axes"), *v;
	const char *k;
	char names[64][64];
	char *sorted[64];
	size_t n = 0;
	if (!json_is_object(ax)) {
		snprintf(err, errlen, "%s/sweep.json: no \"axes\" object (not a sweep's?)", s->dir);
		return -1;
	}
	s->axes = json_array();
	s->fixed = json_object();
	json_object_foreach(ax, k, v)
	{
		char name[64];
		snprintf(name, sizeof name, "%s", k);
		for (char *p = name; *p; p++)
			*p = *p == '-' ? '_' : *p;
		if (json_is_array(v) && json_array_size(v) == 1)
			json_object_set(s->fixed, name, v);
		else if (json_is_array(v) && json_array_size(v) > 1 && n < 64) {
			memcpy(names[n], name, sizeof name);
			sorted[n] = names[n];
			n++;
		}
	}
	qsort(sorted, n, sizeof sorted[0], cmp_str);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(s->axes, json_string(sorted[i]));
	return 0;
}

/* A value as text: a string as it is, anything else as compact JSON. */
static void value_text(json_t *v, char *out, size_t len)
{
	char *t = v && !json_is_string(v) ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	snprintf(out, len, "%s", json_is_string(v) ? json_string_value(v) : t ? t : "?");
	free(t);
}

/* "backlog=8 conns=10" from a run's sweep.values; picked gets the values
 * of the varying axes.  Control characters become '?': the key goes to a
 * terminal. */
static void cell_key(const struct dset *s, json_t *values, char *key, size_t len, json_t *picked)
{
	size_t i, k = 0;
	json_t *a;
	key[0] = '\0';
	json_array_foreach(s->axes, i, a)
	{
		const char *name = json_string_value(a);
		json_t *v = json_object_get(values, name);
		char text[128];
		value_text(v, text, sizeof text);
		k = sb_appendf(key, len, k, "%s%s=%s", k ? " " : "", name, text);
		json_object_set(picked, name, v ? v : json_null());
	}
	for (char *p = key; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (!key[0])
		snprintf(key, len, "(one cell)");
}

/* The cell of key, made when new (values then stolen, else released). */
static struct dcell *cell_get(struct dset *s, const char *key, json_t *values)
{
	for (int i = 0; i < s->ncells; i++)
		if (!strcmp(s->c[i].key, key)) {
			json_decref(values);
			return &s->c[i];
		}
	if (s->ncells == s->cap) {
		int cap = s->cap ? 2 * s->cap : 16;
		struct dcell *c = realloc(s->c, (size_t)cap * sizeof *c);
		if (!c) {
			json_decref(values);
			return NULL;
		}
		s->c = c;
		s->cap = cap;
	}
	struct dcell *c = &s->c[s->ncells++];
	memset(c, 0, sizeof *c);
	snprintf(c->key, sizeof c->key, "%s", key);
	c->values = values;
	return c;
}

/* A finished run's figures into c (its settings too, if it is the first). */
static int cell_add(struct dcell *c, json_t *run)
{
	if (c->n == c->cap) {
		int cap = c->cap ? 2 * c->cap : 8;
		double *x = realloc(c->x, (size_t)cap * DIFF_NFIGS * sizeof *x);
		if (!x)
			return -1;
		c->x = x;
		c->cap = cap;
	}
	for (int f = 0; f < DIFF_NFIGS; f++)
		c->x[c->n * DIFF_NFIGS + f] =
		    json_path_num(run, diff_figs[f].path) * diff_figs[f].scale;
	c->n++;
	if (!c->first)
		c->first = json_pack("{s:O*, s:O*}", "config", json_object_get(run, "config"),
				     "environment", json_object_get(run, "environment"));
	return 0;
}

static void note(struct dset *s, const char *name, const char *why)
{
	json_array_append_new(s->notes, json_sprintf("%s/runs/%s left out: %s", s->dir, name, why));
}

/* One file of runs/: -1 only when out of memory. */
static int take_run(struct dset *s, const char *name, const char *id)
{
	char path[DIFF_PATH_MAX], why[300];
	json_error_t je;
	snprintf(path, sizeof path, "%s/runs/%s", s->dir, name);
	json_t *j = json_load_file(path, 0, &je), *sw = json_object_get(j, "sweep");
	const char *rid = json_string_value(json_object_get(sw, "sweep_id"));
	if (!json_is_object(json_object_get(sw, "values"))) {
		snprintf(why, sizeof why, "%s",
			 j ? "not a sweep's run (no \"sweep\" object with \"values\")" : je.text);
		note(s, name, why);
	} else if (id && (!rid || strcmp(rid, id))) {
		snprintf(why, sizeof why, "another sweep's run (sweep_id %s, sweep.json's %s)",
			 rid ? rid : "none", id);
		note(s, name, why);
	} else {
		char key[sizeof s->c[0].key];
		json_t *vals = json_object();
		cell_key(s, json_object_get(sw, "values"), key, sizeof key, vals);
		struct dcell *c = cell_get(s, key, vals);
		if (!c) {
			json_decref(j);
			return -1;
		}
		bool ok = json_is_null(json_object_get(j, "error"));
		c->failed += !ok;
		s->failed += !ok;
		s->runs += ok;
		if (ok && cell_add(c, j) < 0) {
			json_decref(j);
			return -1;
		}
	}
	json_decref(j);
	return 0;
}

/* runs/NAME.json, in the order of their names (the sweep's cell order). */
static int read_runs(struct dset *s, char *err, size_t errlen)
{
	char path[DIFF_PATH_MAX];
	snprintf(path, sizeof path, "%s/runs", s->dir);
	DIR *d = opendir(path);
	if (!d) {
		snprintf(err, errlen, "%s: %s (not a sweep's results directory?)", path,
			 strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".json"))
			continue;
		if (n == cap) {
			char **m = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *m);
			rc = m ? 0 : -1;
			names = m ? m : names;
		}
		if (rc == 0 && !(names[n++] = strdup(e->d_name)))
			rc = -1;
	}
	closedir(d);
	if (rc == 0 && n > 1)
		qsort(names, n, sizeof *names, cmp_str);
	const char *id = json_string_value(json_object_get(s->sweep, "sweep_id"));
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && names[i])
			rc = take_run(s, names[i], id);
		free(names[i]);
	}
	free(names);
	if (rc < 0)
		snprintf(err, errlen, "%s: out of memory", path);
	return rc;
}

int diff_set_read(struct dset *s, const char *dir, char *err, size_t errlen)
{
	char path[DIFF_PATH_MAX];
	struct stat st;
	json_error_t je;
	memset(s, 0, sizeof *s);
	s->dir = dir;
	s->notes = json_array();
	bool found = stat(dir, &st) == 0;
	if (!found || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s (expected a sweep's results directory)", dir,
			 found ? "not a directory" : strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/sweep.json", dir);
	if (!(s->sweep = json_load_file(path, 0, &je))) {
		if (stat(path, &st) < 0)
			snprintf(err, errlen, "%s: %s (not a sweep's results directory?)", path,
				 strerror(errno));
		else
			snprintf(err, errlen, "%s: %s (line %d)", path, je.text, je.line);
		return -1;
	}
	const char *schema = json_string_value(json_object_get(s->sweep, "schema"));
	if (!schema || strcmp(schema, "sockbench.sweep/1")) {
		snprintf(err, errlen, "%s: schema %s, not sockbench.sweep/1", path,
			 schema ? schema : "missing");
		return -1;
	}
	if (axes_read(s, err, errlen) < 0 || read_runs(s, err, errlen) < 0)
		return -1;
	if (!s->ncells) {
		snprintf(err, errlen, "%s/runs: no runs of this sweep%s", dir,
			 json_array_size(s->notes) ? " (every file left out)" : "");
		return -1;
	}
	return 0;
}

void diff_set_free(struct dset *s)
{
	for (int i = 0; i < s->ncells; i++) {
		json_decref(s->c[i].values);
		json_decref(s->c[i].first);
		free(s->c[i].x);
	}
	free(s->c);
	json_decref(s->sweep);
	json_decref(s->axes);
	json_decref(s->fixed);
	json_decref(s->notes);
	memset(s, 0, sizeof *s);
}

const struct dcell *diff_cell_find(const struct dset *s, const char *key)
{
	for (int i = 0; i < s->ncells; i++)
		if (!strcmp(s->c[i].key, key))
			return &s->c[i];
	return NULL;
}

/* --- the two sets compared ---------------------------------------------- */

static bool in_array(const json_t *arr, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (!strcmp(json_string_value(v) ?: "", name))
			return true;
	}
	return false;
}

/* "conns, send": the names in x that y lacks. */
static void only_in(const json_t *x, const json_t *y, char *out, size_t len)
{
	size_t i, k = 0;
	json_t *v;
	out[0] = '\0';
	json_array_foreach(x, i, v)
	{
		if (!in_array(y, json_string_value(v)))
			k = sb_appendf(out, len, k, "%s%s", k ? ", " : "", json_string_value(v));
	}
}

int diff_axes_check(const struct dset *a, const struct dset *b, char *err, size_t errlen)
{
	char oa[200], ob[200];
	only_in(a->axes, b->axes, oa, sizeof oa);
	only_in(b->axes, a->axes, ob, sizeof ob);
	if (!oa[0] && !ob[0])
		return 0;
	size_t k = sb_appendf(err, errlen, 0, "the sets vary different axes:");
	if (oa[0])
		k = sb_appendf(err, errlen, k, " %s varies only in A (%s)", oa, a->dir);
	if (ob[0])
		k = sb_appendf(err, errlen, k, "%s %s varies only in B (%s)", oa[0] ? ";" : "", ob,
			       b->dir);
	sb_appendf(err, errlen, k, "; their cells cannot be matched");
	return -1;
}

/* A run of the first cell both sets have (of any cell if none has runs on
 * both sides): matched cells hold the varying axes equal, so what differs
 * between the two runs was held fixed, or is the machine. */
static void pair_runs(const struct dset *a, const struct dset *b, json_t **ra, json_t **rb)
{
	*ra = *rb = NULL;
	for (int i = 0; i < a->ncells && !*ra; i++) {
		const struct dcell *cb = diff_cell_find(b, a->c[i].key);
		if (cb && a->c[i].first && cb->first) {
			*ra = a->c[i].first;
			*rb = cb->first;
		}
	}
	for (int i = 0; i < a->ncells && !*ra; i++)
		*ra = a->c[i].first;
	for (int i = 0; i < b->ncells && !*rb; i++)
		*rb = b->c[i].first;
}

static bool listed(const json_t *list, const char *field, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	{
		if (!strcmp(json_string_value(json_object_get(v, field)) ?: "", name))
			return true;
	}
	return false;
}

/* Each key of x or y whose values differ, once, into list. */
static void differing(json_t *x, json_t *y, const char *field, json_t *list, const struct dset *a,
		      const char *const *skip)
{
	json_t *both[2] = {x, y}, *v;
	const char *k;
	for (int side = 0; side < 2; side++)
		json_object_foreach(both[side], k, v)
		{
			json_t *va = json_object_get(x, k), *vb = json_object_get(y, k);
			bool skipped = in_array(a->axes, k) || listed(list, field, k);
			for (int i = 0; skip && skip[i] && !skipped; i++)
				skipped = !strcmp(skip[i], k);
			if (!skipped && !(va && vb && json_equal(va, vb)))
				json_array_append_new(list, json_pack("{s:s, s:O*, s:O*}", field, k,
								      "a", va, "b", vb));
		}
}

/* A sysctl that a setting of that name sets (net.core.somaxconn and
 * --somaxconn, net.ipv4.tcp_syncookies and --syncookies): said once. */
static bool set_by_setting(const json_t *settings, const char *sysctl)
{
	size_t i, l = strlen(sysctl);
	json_t *v;
	json_array_foreach(settings, i, v)
	{
		const char *k = json_string_value(json_object_get(v, "setting"));
		size_t kl = k ? strlen(k) : 0;
		if (kl && kl < l && !strcmp(sysctl + l - kl, k) &&
		    (sysctl[l - kl - 1] == '.' || sysctl[l - kl - 1] == '_'))
			return true;
	}
	return false;
}

static bool in_config(json_t *config, const char *k)
{
	return json_object_get(json_object_get(config, "server"), k) ||
	       json_object_get(json_object_get(config, "load"), k);
}

void diff_compare_settings(const struct dset *a, const struct dset *b, json_t *settings,
			   json_t *env)
{
	/* set per run or derived from the others: never a setting */
	static const char *const per_run[] = {"start_at_ms", "target", "serve", NULL};
	json_t *ra, *rb;
	pair_runs(a, b, &ra, &rb);
	json_t *ca = json_object_get(ra, "config"), *cb = json_object_get(rb, "config");
	differing(json_object_get(ca, "server"), json_object_get(cb, "server"), "setting", settings,
		  a, per_run);
	differing(json_object_get(ca, "load"), json_object_get(cb, "load"), "setting", settings, a,
		  per_run);
	/* axes of one value that no option of the runs' config holds: the
	 * sysctls of the runs' namespace (--somaxconn 128) */
	json_t *fa = json_object(), *fb = json_object(), *v;
	const char *k;
	json_object_foreach(a->fixed, k, v)
	{
		if (!in_config(ca, k))
			json_object_set(fa, k, v);
	}
	json_object_foreach(b->fixed, k, v)
	{
		if (!in_config(cb, k))
			json_object_set(fb, k, v);
	}
	differing(fa, fb, "setting", settings, a, NULL);
	json_decref(fa);
	json_decref(fb);

	json_t *ea = json_object_get(ra, "environment"), *eb = json_object_get(rb, "environment");
	json_t *xa = json_object(), *xb = json_object();
	static const char *const top[] = {"kernel", "cpus", "netns"};
	for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
		json_object_set(xa, top[i], json_object_get(ea, top[i]) ?: json_null());
		json_object_set(xb, top[i], json_object_get(eb, top[i]) ?: json_null());
	}
	json_object_foreach(json_object_get(ea, "sysctl"), k, v)
	{
		if (!set_by_setting(settings, k))
			json_object_set(xa, k, v);
	}
	json_object_foreach(json_object_get(eb, "sysctl"), k, v)
	{
		if (!set_by_setting(settings, k))
			json_object_set(xb, k, v);
	}
	differing(xa, xb, "what", env, a, NULL);
	json_decref(xa);
	json_decref(xb);
}

/* sweep_ident.c - what makes a sweep the same sweep.
 *
 * A cell's identity is its values, not the way they were typed: the spec
 * is normalised once it is parsed.  Axes stand in one fixed order (the
 * knobs' order: the sweep's own, then serve's rows, then load's), each
 * value is read by the option's own parser and kept in a canonical text
 * ("64k" and "65536" are one value, "1s" and "1000ms" too), and the values
 * of an axis are sorted (numbers ascending, models in the registry's
 * order, choices in their list's order, other text alphabetically) with
 * duplicates dropped.  Cell numbers, and so the run files' names
 * (runs/NNNN-...), come from the normalised spec: `--models epoll,poll`
 * and `--models poll,epoll` are one sweep, and `--resume` compares the
 * canonical values with those sweep.json recorded.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockbench/load.h"
#include "sockbench/serve.h"
#include "sockbench/server.h"
#include "sweep_spec.h"

struct canon {
	char text[160];
	double key; /* NAN: sort by text */
	int pos;    /* index in the axis as given */
};

static int knob_index(const struct knob *k)
{
	if (k->kind == K_SERVER)
		return -1; /* the server axis first, as --models */
	for (int i = 0; knob_at(i); i++)
		if (knob_at(i) == k)
			return i;
	return 1 << 20;
}

/* The row that parses a knob's values: serve's for server and shared
 * axes (and --models), load's for load axes; NULL for sysctls. */
static const struct optab_row *knob_row(const struct knob *k)
{
	if (k->kind == K_SYSCTL || k->kind == K_SERVER)
		return NULL;
	if (k->kind == K_LOAD || k->kind == K_LOAD_FIXED || k->kind == K_LOAD_FLAG)
		return optab_find(&load_optab, k->name);
	return optab_find(&serve_optab, k->alias && k->kind != K_BOTH ? k->alias : k->name);
}

/* A custom row's value, as its own JSON rendering says it. */
static int canon_json(const struct optab_row *r, const void *cfg, struct canon *c)
{
	json_t *j = r->json ? r->json(cfg, r) : NULL;
	if (json_is_integer(j)) {
		json_int_t v = json_integer_value(j);
		if (!strcmp(r->name, "backlog") && v < 0) {
			c->key = INFINITY; /* --backlog max: the largest there is */
			snprintf(c->text, sizeof c->text, "max");
		} else {
			c->key = (double)v;
			snprintf(c->text, sizeof c->text, "%" JSON_INTEGER_FORMAT, v);
		}
	} else if (json_is_string(j)) {
		snprintf(c->text, sizeof c->text, "%s", json_string_value(j));
		for (int i = 0; server_models[i]; i++)
			if (!strcmp(server_models[i]->name, c->text))
				c->key = i; /* models in the registry's (teaching) order */
	}
	json_decref(j);
	return 0;
}

static int canon_row(const struct optab_row *r, const char *v, struct canon *c, char *err,
		     size_t errlen)
{
	static union {
		struct serve_config s;
		struct load_config l;
	} cfg;
	memset(&cfg, 0, sizeof cfg);
	if (r->kind == OPTK_FLAG) { /* an on/off axis: "1" or "0" (flag_values) */
		snprintf(c->text, sizeof c->text, "%s", v);
		c->key = atoi(v);
		return 0;
	}
	if (optab_set(r, &cfg, v, err, errlen) < 0)
		return -1;
	int64_t x = 0;
	double rate;
	switch (r->kind) {
	case OPTK_INT:
	case OPTK_SIZE:
	case OPTK_FLAG:
		x = optab_get_int(r, &cfg);
		snprintf(c->text, sizeof c->text, "%lld", (long long)x);
		c->key = (double)x;
		return 0;
	case OPTK_TIME:
		x = optab_get_int(r, &cfg) * (int64_t)r->time_store_us;
		snprintf(c->text, sizeof c->text, "%lldus", (long long)x);
		c->key = (double)x;
		return 0;
	case OPTK_CHOICE:
		x = optab_get_int(r, &cfg);
		snprintf(c->text, sizeof c->text, "%s", r->choices[x]);
		c->key = (double)x;
		return 0;
	case OPTK_RATE:
		memcpy(&rate, (char *)&cfg + r->off, sizeof rate);
		snprintf(c->text, sizeof c->text, "%.17g", rate);
		c->key = rate;
		return 0;
	case OPTK_STR:
		snprintf(c->text, sizeof c->text, "%s", v);
		return 0;
	case OPTK_CUSTOM:
		if (r->json)
			return canon_json(r, &cfg, c);
		snprintf(c->text, sizeof c->text, "%s", v);
		return 0;
	}
	return 0;
}

/* A value of the server axis: a model (in the registry's order), else a
 * named command (by name, after the models). */
static void canon_server(const char *v, struct canon *c)
{
	snprintf(c->text, sizeof c->text, "%s", v);
	for (int i = 0; server_models[i]; i++)
		if (!strcmp(server_models[i]->name, v))
			c->key = i;
}

/* A sysctl value: integers, or LO-HI for the port range. */
static int canon_sysctl(const struct knob *k, const char *v, struct canon *c, char *err,
			size_t errlen)
{
	char *end;
	long lo = strtol(v, &end, 10), hi = lo;
	if (*end == '-' && end != v)
		hi = strtol(end + 1, &end, 10);
	if (*end || !*v) {
		snprintf(err, errlen, "--%s: expected an integer%s, got '%s'", k->name,
			 strcmp(k->name, "port-range") ? "" : " range LO-HI", v);
		return -1;
	}
	if (!strcmp(k->name, "port-range"))
		snprintf(c->text, sizeof c->text, "%ld-%ld", lo, hi);
	else
		snprintf(c->text, sizeof c->text, "%ld", lo);
	c->key = (double)lo;
	return 0;
}

static int cmp_canon(const void *a, const void *b)
{
	const struct canon *x = a, *y = b;
	bool nx = isnan(x->key), ny = isnan(y->key);
	if (!nx && !ny && x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (nx != ny)
		return nx ? 1 : -1; /* numbers first */
	int t = strcmp(x->text, y->text);
	return t ? t : x->pos - y->pos;
}

/* Sort one axis's values by their canonical form, drop duplicates, keep
 * the canonical texts beside them (sp->canon[i]). */
static int normalise_axis(struct sweep_spec *sp, int i, char *err, size_t errlen)
{
	struct axis *a = &sp->axes[i];
	const struct knob *k = sp->knob[i];
	const struct optab_row *r = knob_row(k);
	struct canon *c = calloc((size_t)a->n, sizeof *c);
	char **v = calloc((size_t)a->n, sizeof *v), **t = calloc((size_t)a->n, sizeof *t);
	if (!c || !v || !t) {
		free(c), free(v), free(t);
		return snprintf(err, errlen, "out of memory"), -1;
	}
	for (int j = 0; j < a->n; j++) {
		c[j].key = NAN;
		c[j].pos = j;
		if (k->kind == K_SERVER)
			canon_server(a->v[j], &c[j]);
		else if ((r ? canon_row(r, a->v[j], &c[j], err, errlen)
			    : canon_sysctl(k, a->v[j], &c[j], err, errlen)) < 0) {
			free(c), free(v), free(t);
			return -1;
		}
	}
	qsort(c, (size_t)a->n, sizeof *c, cmp_canon);
	int n = 0;
	for (int j = 0; j < a->n; j++) {
		if (n && !strcmp(c[j].text, t[n - 1])) {
			free(a->v[c[j].pos]); /* the same value again: one cell */
			continue;
		}
		v[n] = a->v[c[j].pos];
		t[n++] = strdup(c[j].text);
	}
	free(a->v);
	free(c);
	a->v = v;
	a->n = n;
	sp->canon[i] = t;
	for (int j = 0; j < n; j++)
		if (!t[j])
			return snprintf(err, errlen, "out of memory"), -1;
	return 0;
}

int spec_normalise(struct sweep_spec *sp, char *err, size_t errlen)
{
	/* axes in the knobs' order (insertion sort: at most 48) */
	for (int i = 1; i < sp->naxes; i++)
		for (int j = i; j > 0 && knob_index(sp->knob[j]) < knob_index(sp->knob[j - 1]);
		     j--) {
			struct axis a = sp->axes[j];
			const struct knob *k = sp->knob[j];
			sp->axes[j] = sp->axes[j - 1];
			sp->knob[j] = sp->knob[j - 1];
			sp->axes[j - 1] = a;
			sp->knob[j - 1] = k;
		}
	for (int i = 0; i < sp->naxes; i++)
		if (normalise_axis(sp, i, err, errlen) < 0)
			return -1;
	return 0;
}

json_t *spec_identity(const struct sweep_spec *sp)
{
	json_t *axes = json_object();
	for (int i = 0; i < sp->naxes; i++) {
		json_t *vals = json_array();
		for (int j = 0; j < sp->axes[i].n; j++)
			json_array_append_new(
			    vals, json_string(sp->canon[i] ? sp->canon[i][j] : sp->axes[i].v[j]));
		json_object_set_new(axes, sp->knob[i]->name, vals);
	}
	/* the server axis is among the axes; what each named server runs is
	 * in server_cmd ({name: cmd}) */
	/* --server-host: another host's server is another sweep; so are other
	 * generators, and sysctls set on that host or not */
	json_t *id =
	    json_pack("{s:s, s:o, s:o?, s:b, s:s?}", "schema", "sockbench.sweep-identity/1", "axes",
		      axes, "server_cmd", spec_server_cmd_json(sp), "host_netns", sp->host_netns,
		      "server_host", sp->server_host[0] ? sp->server_host : NULL);
	if (sp->generators[0])
		json_object_set_new(id, "generators", json_string(sp->generators));
	if (sp->remote_sysctl)
		json_object_set_new(id, "remote_sysctl", json_true());
	return id;
}

/* "--conns: sweep.json has 4, this sweep 100" */
static void first_difference(json_t *was, json_t *now, char *why, size_t len)
{
	json_t *wa = json_object_get(was, "axes"), *na = json_object_get(now, "axes");
	const char *k;
	json_t *v;
	json_object_foreach(na, k, v)
	{
		json_t *o = json_object_get(wa, k);
		char *a = json_dumps(o, JSON_COMPACT), *b = json_dumps(v, JSON_COMPACT);
		bool same = o && json_equal(o, v);
		if (!same)
			snprintf(why, len, "--%s: sweep.json has %s, this sweep %s", k,
				 a ? a : "no such axis", b ? b : "?");
		free(a), free(b);
		if (!same)
			return;
	}
	json_object_foreach(wa, k, v) if (!json_object_get(na, k))
	{
		snprintf(why, len, "--%s: sweep.json has that axis, this sweep does not", k);
		return;
	}
	static const char *const keys[] = {"server_cmd", "server_host", "generators",
					   "remote_sysctl", NULL};
	for (int i = 0; keys[i]; i++)
		if (!json_equal(json_object_get(was, keys[i]), json_object_get(now, keys[i])) &&
		    (json_object_get(was, keys[i]) || json_object_get(now, keys[i]))) {
			char opt[32];
			snprintf(opt, sizeof opt, "--%s", keys[i]);
			for (char *p = opt; *p; p++)
				*p = *p == '_' ? '-' : *p;
			snprintf(why, len, "%s differs from sweep.json's", opt);
			return;
		}
	snprintf(why, len, "--host-netns differs from sweep.json's");
}

int spec_same(json_t *was, json_t *now, char *why, size_t len)
{
	if (!json_is_object(was)) {
		snprintf(why, len,
			 "sweep.json records no identity (an older sockbench, or not a "
			 "sweep's file): cannot tell it is the same sweep");
		return -1;
	}
	if (json_equal(was, now))
		return 0;
	first_difference(was, now, why, len);
	return -1;
}

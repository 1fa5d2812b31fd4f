/* optab.c - option tables: parse, defaults, --help and JSON from the rows. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockbench/opt.h"
#include "sockbench/optab.h"
#include "sockbench/strbuf.h"

#define OPTAB_MAX_ROWS 64
#define OPTAB_VAL_BASE 1000 /* getopt_long's val of row i: above any short option */

/* "recv_size" and "recv-size" name the same option. */
static bool same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
			return false;
	return *a == *b;
}

const struct optab_row *optab_find(const struct optab *t, const char *name)
{
	for (const struct optab_row *r = t->rows; r->name; r++)
		if (same_name(r->name, name))
			return r;
	return NULL;
}

static void put_int(const struct optab_row *r, void *cfg, int64_t v)
{
	char *p = (char *)cfg + r->off;
	switch (r->size) {
	case 1: {
		uint8_t x = (uint8_t)v;
		memcpy(p, &x, 1);
		break;
	}
	case 2: {
		uint16_t x = (uint16_t)v;
		memcpy(p, &x, 2);
		break;
	}
	case 4: {
		uint32_t x = (uint32_t)v;
		memcpy(p, &x, 4);
		break;
	}
	default:
		memcpy(p, &v, 8);
	}
}

int64_t optab_get_int(const struct optab_row *r, const void *cfg)
{
	const char *p = (const char *)cfg + r->off;
	switch (r->size) {
	case 1: {
		uint8_t x;
		memcpy(&x, p, 1);
		return r->sgn ? (int64_t)(int8_t)x : (int64_t)x;
	}
	case 2: {
		uint16_t x;
		memcpy(&x, p, 2);
		return r->sgn ? (int64_t)(int16_t)x : (int64_t)x;
	}
	case 4: {
		uint32_t x;
		memcpy(&x, p, 4);
		return r->sgn ? (int64_t)(int32_t)x : (int64_t)x;
	}
	default: {
		int64_t x;
		memcpy(&x, p, 8);
		return x;
	}
	}
}

static const char *unit_name(uint64_t us)
{
	return us == 1000000 ? "s" : us == 1000 ? "ms" : "us";
}

static int set_time(const struct optab_row *r, void *cfg, const char *arg, char *err, size_t errlen)
{
	uint64_t us, unit = r->time_store_us;
	char e[200];
	if (opt_time_bare_us(arg, r->time_bare_us, &us, e, sizeof e) < 0)
		return opt_errf(err, errlen, r->name, "%s", e);
	/* the range in the unit the option is named in (--accept-delay-ms) */
	if (us < (uint64_t)r->min)
		return opt_errf(err, errlen, r->name, "must be at least %" PRId64 "%s, got '%s'",
				r->min / (int64_t)unit, unit_name(unit), arg);
	if (r->max > 0 && us > (uint64_t)r->max)
		return opt_errf(err, errlen, r->name,
				"%s is out of range (%" PRId64 " to %" PRId64 "%s)", arg,
				r->min / (int64_t)unit, r->max / (int64_t)unit, unit_name(unit));
	if (us % unit)
		return opt_errf(err, errlen, r->name, "'%s' is finer than this option's unit (%s)",
				arg, unit_name(unit));
	put_int(r, cfg, (int64_t)(us / unit));
	return 0;
}

static int set_rate(const struct optab_row *r, void *cfg, const char *arg, char *err, size_t errlen)
{
	char *e;
	double v = strtod(arg, &e);
	if (!*arg || *e || !(v > 0) || v > 1e9)
		return opt_errf(err, errlen, r->name, "expected a rate per second > 0, got '%s'",
				arg);
	memcpy((char *)cfg + r->off, &v, sizeof v);
	return 0;
}

static int set_str(const struct optab_row *r, void *cfg, const char *arg, char *err, size_t errlen)
{
	if (!*arg || strlen(arg) >= r->size)
		return opt_errf(err, errlen, r->name, "%s",
				r->str_bad ? r->str_bad : "expected a value");
	memcpy((char *)cfg + r->off, arg, strlen(arg) + 1);
	return 0;
}

static int set_int(const struct optab_row *r, void *cfg, const char *arg, char *err, size_t errlen)
{
	int64_t v;
	if ((r->flags & OPTF_NPROC) && !strcmp(arg, "nproc")) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		v = n > 0 ? n : 1;
		v = v > r->max ? r->max : v;
	} else if (opt_int_arg(r->name, arg, r->min, r->max, &v, err, errlen) < 0) {
		return -1;
	}
	put_int(r, cfg, v);
	return 0;
}

int optab_set(const struct optab_row *r, void *cfg, const char *arg, char *err, size_t errlen)
{
	uint64_t u;
	int i;
	switch (r->kind) {
	case OPTK_INT:
		return set_int(r, cfg, arg, err, errlen);
	case OPTK_SIZE:
		if (opt_size_arg(r->name, arg, (uint64_t)r->min, (uint64_t)r->max, &u, err,
				 errlen) < 0)
			return -1;
		put_int(r, cfg, (int64_t)u);
		return 0;
	case OPTK_TIME:
		return set_time(r, cfg, arg, err, errlen);
	case OPTK_RATE:
		return set_rate(r, cfg, arg, err, errlen);
	case OPTK_CHOICE:
		if ((i = opt_choice_arg(r->name, arg, r->choices, err, errlen)) < 0)
			return -1;
		put_int(r, cfg, i);
		return 0;
	case OPTK_STR:
		return set_str(r, cfg, arg, err, errlen);
	case OPTK_FLAG:
		put_int(r, cfg, 1);
		return 0;
	case OPTK_CUSTOM:
		return r->set(cfg, r, arg, err, errlen);
	}
	return -1;
}

int optab_defaults(const struct optab *t, void *cfg, char *err, size_t errlen)
{
	for (const struct optab_row *r = t->rows; r->name; r++) {
		if (r->def) {
			if (optab_set(r, cfg, r->def, err, errlen) < 0)
				return -1;
		} else if (r->kind == OPTK_INT || r->kind == OPTK_SIZE || r->kind == OPTK_TIME) {
			put_int(r, cfg, r->unset);
		} else if (r->kind == OPTK_STR && r->size) {
			((char *)cfg + r->off)[0] = '\0';
		}
	}
	return 0;
}

int optab_parse(const struct optab *t, void *cfg, int argc, char **argv, char *err, size_t errlen)
{
	return optab_parse_given(t, cfg, argc, argv, NULL, err, errlen);
}

/* first NULL: operands refused; else *first is the index of the first
 * (getopt_long has moved them behind the options). */
static int parse(const struct optab *t, void *cfg, int argc, char **argv, uint64_t *given,
		 int *first, char *err, size_t errlen)
{
	struct option longopts[OPTAB_MAX_ROWS + 2];
	int n = 0;
	for (; n < OPTAB_MAX_ROWS && t->rows[n].name; n++)
		longopts[n] = (struct option){
		    t->rows[n].name, t->rows[n].kind == OPTK_FLAG ? no_argument : required_argument,
		    NULL, OPTAB_VAL_BASE + n};
	longopts[n] = (struct option){"help", no_argument, NULL, OPTAB_VAL_BASE - 1};
	longopts[n + 1] = (struct option){NULL, 0, NULL, 0};
	int opt;
	optind = 0; /* 0, not 1: also resets glibc's state inside a -xy cluster */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (opt == OPTAB_VAL_BASE - 1)
			return 1;
		if (opt < OPTAB_VAL_BASE || opt >= OPTAB_VAL_BASE + n) {
			opt_getopt_error(opt, argv, t->cmd, err, errlen);
			return -1;
		}
		if (optab_set(&t->rows[opt - OPTAB_VAL_BASE], cfg, optarg, err, errlen) < 0)
			return -1;
		if (given)
			*given |= 1ull << (opt - OPTAB_VAL_BASE);
	}
	if (first)
		*first = optind;
	else if (optind < argc) {
		snprintf(err, errlen, "'%s': unexpected argument (%s takes options only)",
			 argv[optind], t->cmd);
		return -1;
	}
	return 0;
}

int optab_parse_given(const struct optab *t, void *cfg, int argc, char **argv, uint64_t *given,
		      char *err, size_t errlen)
{
	return parse(t, cfg, argc, argv, given, NULL, err, errlen);
}

int optab_parse_operands(const struct optab *t, void *cfg, int argc, char **argv, int *first,
			 char *err, size_t errlen)
{
	return parse(t, cfg, argc, argv, NULL, first, err, errlen);
}

void optab_default_text(const struct optab_row *r, char *out, size_t len)
{
	size_t k = 0;
	out[0] = '\0';
	if (r->def && r->kind != OPTK_FLAG)
		k = sb_appendf(out, len, k, "default %s%s", r->def,
			       (r->flags & OPTF_NPROC) ? ": one per core" : "");
	if (r->kind == OPTK_TIME)
		k = sb_appendf(out, len, k, "%sbare = %s", k ? "; " : "",
			       r->time_bare_us == 1000000 ? "s"
			       : r->time_bare_us == 1000  ? "ms"
							  : "us");
}

void optab_usage(const struct optab *t, FILE *f)
{
	for (const struct optab_row *r = t->rows; r->name; r++) {
		char left[64], dflt[96];
		if (r->section)
			fprintf(f, "%s\n", r->section);
		snprintf(left, sizeof left, "--%s%s%s", r->name, r->arg ? " " : "",
			 r->arg ? r->arg : "");
		optab_default_text(r, dflt, sizeof dflt);
		/* the help, its continuation lines indented under it; the
		 * default goes after the last line */
		const char *h = r->help;
		const char *nl = strchr(h, '\n');
		fprintf(f, "  %-21s %.*s", left, nl ? (int)(nl - h) : (int)strlen(h), h);
		while (nl) {
			h = nl + 1;
			nl = strchr(h, '\n');
			fprintf(f, "\n  %-21s %.*s", "", nl ? (int)(nl - h) : (int)strlen(h), h);
		}
		fprintf(f, "%s%s%s\n", dflt[0] ? " (" : "", dflt, dflt[0] ? ")" : "");
	}
	fprintf(f, "  %-21s %s\n", "--help", "this text");
}

/* A JSON string of text from the command line, which need not be UTF-8
 * (jansson refuses that): bytes past ASCII become '?' then. */
static json_t *text_json(const char *p)
{
	json_t *s = json_string(p);
	if (s)
		return s;
	char buf[4096];
	size_t i = 0;
	for (; p[i] && i + 1 < sizeof buf; i++)
		buf[i] = (unsigned char)p[i] < 0x80 ? p[i] : '?';
	buf[i] = '\0';
	return json_string(buf);
}

static json_t *row_json(const struct optab_row *r, const void *cfg)
{
	if (r->json)
		return r->json(cfg, r);
	/* a CUSTOM row without its own json() stores text at off */
	const char *p = (const char *)cfg + r->off;
	bool text = r->kind == OPTK_STR || r->kind == OPTK_CUSTOM;
	int64_t v = 0;
	double rate = 0;
	if (r->kind == OPTK_RATE)
		memcpy(&rate, p, sizeof rate);
	if (!text && r->kind != OPTK_RATE)
		v = optab_get_int(r, cfg);
	if ((r->flags & OPTF_UNSET_NULL) && (text		    ? !*p
					     : r->kind == OPTK_RATE ? !(rate > 0)
								    : v == r->unset))
		return json_null();
	if (text)
		return text_json(p);
	switch (r->kind) {
	case OPTK_RATE:
		return json_real(rate);
	case OPTK_CHOICE:
		return json_string(r->choices[v]);
	case OPTK_FLAG:
		return json_boolean(v);
	case OPTK_TIME: {
		uint64_t us = (uint64_t)v * r->time_store_us;
		if (r->time_json_us == 1000000)
			return json_real((double)us / 1e6);
		return json_integer((json_int_t)(us / r->time_json_us));
	}
	default:
		return json_integer((json_int_t)v);
	}
}

json_t *optab_json(const struct optab *t, const void *cfg)
{
	json_t *o = json_object();
	for (const struct optab_row *r = t->rows; r->name; r++) {
		if (r->flags & OPTF_NOJSON)
			continue;
		char key[64];
		snprintf(key, sizeof key, "%s", r->json_key ? r->json_key : r->name);
		for (char *c = key; *c; c++)
			if (*c == '-')
				*c = '_';
		json_object_set_new(o, key, row_json(r, cfg));
	}
	return o;
}

uint64_t optab_bit(const struct optab *t, const char *name)
{
	const struct optab_row *r = optab_find(t, name);
	return r ? 1ull << (r - t->rows) : 0;
}

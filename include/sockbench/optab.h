/* optab.h - one option table per subcommand.
 *
 * Each option of `serve` and `load` is one row: its name, kind, default,
 * help line, where it is stored, how it goes into the run JSON's `config`,
 * and whether a sweep may vary it (and which command the axis feeds).
 * getopt_long's table, `--help`, the defaults, the JSON `config` and the
 * sweep's axes are all generated from the rows, so adding an option is
 * adding a row (neper's DEFINE_FLAG is the model).
 *
 * Library code: nothing here prints except optab_usage, to the FILE given;
 * errors fill `err` as "--NAME: what is allowed".
 */
#ifndef SOCKBENCH_OPTAB_H
#define SOCKBENCH_OPTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

enum optab_kind {
	OPTK_INT,    /* integer in [min, max] */
	OPTK_SIZE,   /* 64, 64k, 1M (powers of 1024) in [min, max] */
	OPTK_TIME,   /* 1.5, 250ms, 10s, 2m: see time_bare_us and time_store_us */
	OPTK_RATE,   /* a rate per second > 0 (a double field) */
	OPTK_CHOICE, /* one of choices[]: the index is stored (an enum field) */
	OPTK_STR,    /* text, copied into a char array */
	OPTK_FLAG,   /* no value: sets a bool */
	OPTK_CUSTOM, /* set() parses and stores; json() renders */
};

/* Where a sweep axis of this name goes. */
enum optab_axis {
	OPTA_NONE,  /* never an axis: no_axis says why */
	OPTA_SERVE, /* a server option (`load --serve "..."`) */
	OPTA_LOAD,  /* a load option */
	OPTA_WHOLE, /* a load option whose one value holds commas: never split */
};

enum {
	OPTF_NOJSON = 1 << 0,	  /* not a setting of the run (output paths, --quiet) */
	OPTF_UNSET_NULL = 1 << 1, /* JSON null while the value is `unset` */
	OPTF_NPROC = 1 << 2,	  /* "nproc" is a value: the number of online cores */
};

struct optab_row;
typedef int (*optab_set_fn)(void *cfg, const struct optab_row *r, const char *arg, char *err,
			    size_t errlen);
typedef json_t *(*optab_json_fn)(const void *cfg, const struct optab_row *r);

struct optab_row {
	const char *name; /* without dashes: "recv-size" */
	enum optab_kind kind;
	const char *def;       /* default, as it would be written on the command line;
				  NULL: the field holds `unset` */
	const char *arg;       /* value name in --help: "N", "T", "ADDR" */
	const char *help;      /* one line; '\n' starts a continuation line */
	const char *section;   /* a heading printed before this row in --help */
	size_t off;	       /* where the value lives in the config struct */
	size_t size;	       /* sizeof the field (integers: 1, 2, 4, 8; strings: cap) */
	bool sgn;	       /* integer field is signed */
	int64_t min, max;      /* INT, SIZE; TIME: min in microseconds */
	int64_t unset;	       /* the field's value when not given and def is NULL */
	uint64_t time_bare_us; /* TIME: a bare number counts this many us (1e6: s, 1e3: ms) */
	uint64_t
	    time_store_us; /* TIME: the field counts this many us (1, or 1000 for a _ms field) */
	uint64_t time_json_us; /* TIME: the JSON counts this many us; 1e6 gives a real (s) */
	const char *const *choices;
	optab_set_fn set;     /* CUSTOM */
	optab_json_fn json;   /* CUSTOM, or to override the kind's rendering */
	const char *json_key; /* when not the name with '-' turned to '_' */
	const char *str_bad;  /* STR: the message for an empty or too long value */
	unsigned flags;
	enum optab_axis axis;
	const char *no_axis; /* OPTA_NONE: why a sweep cannot vary it */
};

struct optab {
	const char *cmd;	      /* "serve", "load" */
	const struct optab_row *rows; /* ends with a row whose name is NULL */
};

/* Field helpers for the rows: OPTAB_NUM(struct load_config, conns). */
#define OPTAB_SIGNED(x)                                                                            \
	_Generic((x), signed char : 1, short : 1, int : 1, long : 1, long long : 1, default : 0)
#define OPTAB_NUM(T, m)                                                                            \
	.off = offsetof(T, m), .size = sizeof(((T *)0)->m), .sgn = OPTAB_SIGNED(((T *)0)->m)
#define OPTAB_STR(T, m) .off = offsetof(T, m), .size = sizeof(((T *)0)->m)

/* The row of option `name` (dashes or underscores), or NULL. */
const struct optab_row *optab_find(const struct optab *t, const char *name);
/* Set every row to its default (memset 0 first is the caller's). */
int optab_defaults(const struct optab *t, void *cfg, char *err, size_t errlen);
/* One option's value: parsed as the row says and stored. */
int optab_set(const struct optab_row *r, void *cfg, const char *arg, char *err, size_t errlen);
/* getopt_long over argv (argv[0] is the subcommand).  0: ok; 1: --help
 * was asked for; -1: bad usage, err holds the one line. */
int optab_parse(const struct optab *t, void *cfg, int argc, char **argv, char *err, size_t errlen);
/* The same; bit i of *given is set for each row i the command line gave. */
int optab_parse_given(const struct optab *t, void *cfg, int argc, char **argv, uint64_t *given,
		      char *err, size_t errlen);
/* The same for a command that also takes operands (`diff DIR_A DIR_B`):
 * getopt_long moves them behind the options (after "--" too), and
 * argv[*first .. argc-1] are they. */
int optab_parse_operands(const struct optab *t, void *cfg, int argc, char **argv, int *first,
			 char *err, size_t errlen);
/* The bit of row `name` in a `given` mask (0 when no such row). */
uint64_t optab_bit(const struct optab *t, const char *name);
/* "default 5s; bare = ms": a row's default and a time's bare unit, as
 * --help ends its line in parentheses ("" when it has neither). */
void optab_default_text(const struct optab_row *r, char *out, size_t len);
/* The rows as --help lines, with each default and a time's bare unit. */
void optab_usage(const struct optab *t, FILE *f);
/* {"recv_size": 1024, ...}: every row but OPTF_NOJSON ones. */
json_t *optab_json(const struct optab *t, const void *cfg);
/* The integer value of a row's field (INT, SIZE, CHOICE, FLAG, TIME as stored). */
int64_t optab_get_int(const struct optab_row *r, const void *cfg);

#endif

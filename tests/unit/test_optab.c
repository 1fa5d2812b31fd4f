/* test_optab.c - the option tables are the only source of an option.
 *
 * 1. A scratch table (built here, as a developer would add a row) shows a
 *    new row reaching getopt, --help, the defaults and the JSON config with
 *    no other line written.
 * 2. Every row of serve_optab and load_optab is in --help, is accepted by
 *    getopt, is in the JSON config (unless it is an output path), and is a
 *    sweep axis with the right destination (or says why it cannot be one);
 *    every sweep axis is a row or one of the sweep's own (sysctls, models).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench/sweep/sweep_spec.h"
#include "sockbench/load.h"
#include "sockbench/optab.h"
#include "sockbench/serve.h"

/* --help of a table as one string (caller frees). */
static char *usage_text(const struct optab *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	optab_usage(t, f);
	fclose(f);
	return buf;
}

/* argv = {cmd, a, b, NULL} */
static int parse2(const struct optab *t, void *cfg, const char *a, const char *b, char *err,
		  size_t errlen)
{
	char *argv[] = {(char *)t->cmd, (char *)a, (char *)b, NULL};
	return optab_parse(t, cfg, b ? 3 : 2, argv, err, errlen);
}

/* ---- 1. one new row, everywhere ------------------------------------------ */

struct scratch {
	int conns;
	uint64_t linger_us;
	char label[16];
	int frobs; /* the row a developer adds */
};

#define S struct scratch
static const struct optab_row scratch_rows[] = {
    {"conns", OPTK_INT, "10", "N", "connections", OPTAB_NUM(S, conns), .min = 1, .max = 100},
    {"linger", OPTK_TIME, "1.5", "T", "linger", OPTAB_NUM(S, linger_us), .time_bare_us = 1000000,
     .time_store_us = 1, .time_json_us = 1000000},
    {"label", OPTK_STR, NULL, "TEXT", "a label", OPTAB_STR(S, label), .flags = OPTF_UNSET_NULL},
    /* the new option: this one line */
    {"frobs", OPTK_INT, "7", "N", "how many frobs", OPTAB_NUM(S, frobs), .min = 0, .max = 9,
     .axis = OPTA_LOAD},
    {NULL},
};
static const struct optab scratch = {"scratch", scratch_rows};

static void test_new_row_everywhere(void **state)
{
	(void)state;
	struct scratch c;
	char err[256] = "";
	memset(&c, 0xa5, sizeof c);
	assert_int_equal(optab_defaults(&scratch, &c, err, sizeof err), 0);
	assert_int_equal(c.frobs, 7);
	assert_int_equal(c.linger_us, 1500000);
	assert_int_equal(parse2(&scratch, &c, "--frobs", "3", err, sizeof err), 0);
	assert_int_equal(c.frobs, 3);
	assert_int_equal(parse2(&scratch, &c, "--frobs=12", NULL, err, sizeof err), -1);
	assert_string_equal(err, "--frobs: 12 is out of range (0 to 9)");

	char *help = usage_text(&scratch);
	if (!strstr(help, "  --frobs N             how many frobs (default 7)\n"))
		fail_msg("--help lacks the new row:\n%s", help);
	free(help);

	json_t *j = optab_json(&scratch, &c);
	char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(txt, "{\"conns\":10,\"linger\":1.5,\"label\":null,\"frobs\":3}");
	free(txt);
	json_decref(j);
}

/* Operands (`diff DIR_A DIR_B`): moved behind the options, in order; "--"
 * ends the options; optab_parse still refuses them. */
static void test_operands(void **state)
{
	(void)state;
	struct scratch c;
	char err[256] = "";
	memset(&c, 0, sizeof c);
	assert_int_equal(optab_defaults(&scratch, &c, err, sizeof err), 0);
	char *argv[] = {"scratch", "A", "--frobs", "3", "B", "--", "--conns", NULL};
	int first = -1;
	assert_int_equal(optab_parse_operands(&scratch, &c, 7, argv, &first, err, sizeof err), 0);
	assert_int_equal(c.frobs, 3);
	assert_int_equal(c.conns, 10);
	assert_int_equal(first, 4);
	assert_string_equal(argv[4], "A");
	assert_string_equal(argv[5], "B");
	assert_string_equal(argv[6], "--conns");
	char *none[] = {"scratch", "--frobs", "4", NULL};
	assert_int_equal(optab_parse_operands(&scratch, &c, 3, none, &first, err, sizeof err), 0);
	assert_int_equal(first, 3);
	assert_int_equal(parse2(&scratch, &c, "A", NULL, err, sizeof err), -1);
	assert_string_equal(err, "'A': unexpected argument (scratch takes options only)");
}

/* ---- 2. every row of the real tables ------------------------------------- */

/* A value each row accepts (its default, else one of these). */
static const char *sample(const struct optab_row *r)
{
	static const struct {
		const char *name, *value;
	} samples[] = {
	    {"target", "127.0.0.1:9"},
	    {"server-host", "root@10.0.0.2"},
	    {"ssh-opt", "Port=2222"},
	    {"serve", "--model poll"},
	    {"server-cmd", "true {port}"},
	    {"requests", "5"},
	    {"start-at", "1700000000000"},
	    {"rate", "100"},
	    {"connect-rate", "100"},
	    {"http-body", "13"},
	    {"sndbuf", "4k"},
	    {"rcvbuf", "4k"},
	    {"source", "127.0.0.1,127.0.0.2"},
	    {"json", "/tmp/x.json"},
	    {"jsonl", "/tmp/x.jsonl"},
	    {"stats", "/tmp/x.stats"},
	    {"stats-fd", "3"},
	    {"counters-fd", "3"},
	    {"live-fd", "3"},
	    {"generators", "h1,h2"},
	    {"remote-sysctl", "net.core.somaxconn=64"},
	    {"ssh-opt", "-F bed/ssh_config"},
	};
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
		if (!strcmp(samples[i].name, r->name))
			return samples[i].value;
	return r->def;
}

static void check_table(const struct optab *t, void *cfg, size_t cfgsize,
			void (*defaults)(void *cfg), json_t *(*config_json)(const void *cfg))
{
	char *help = usage_text(t);
	for (const struct optab_row *r = t->rows; r->name; r++) {
		char err[300] = "", want[80], key[64];
		snprintf(want, sizeof want, "  --%s", r->name);
		if (!strstr(help, want))
			fail_msg("%s --help: no line for --%s", t->cmd, r->name);

		memset(cfg, 0, cfgsize);
		defaults(cfg);
		const char *v = r->kind == OPTK_FLAG ? NULL : sample(r);
		if (r->kind != OPTK_FLAG && !v)
			fail_msg("%s --%s: no default and no sample value in this test", t->cmd,
				 r->name);
		char opt[80];
		snprintf(opt, sizeof opt, "--%s", r->name);
		if (parse2(t, cfg, opt, v, err, sizeof err) != 0)
			fail_msg("%s %s %s: refused: %s", t->cmd, opt, v ? v : "", err);

		json_t *j = config_json(cfg);
		snprintf(key, sizeof key, "%s", r->json_key ? r->json_key : r->name);
		for (char *p = key; *p; p++)
			*p = *p == '-' ? '_' : *p;
		bool in_json = json_object_get(j, key) != NULL;
		json_decref(j);
		if (in_json == !!(r->flags & OPTF_NOJSON))
			fail_msg("%s --%s: JSON key '%s' %s", t->cmd, r->name, key,
				 in_json ? "present for an output option" : "missing");

		const struct knob *k = knob_find(r->name);
		if (r->axis == OPTA_NONE) {
			if (!r->no_axis)
				fail_msg("%s --%s: not an axis, and no reason why", t->cmd,
					 r->name);
			/* the other command may take the name as an axis */
			continue;
		}
		if (!k)
			fail_msg("%s --%s: a sweep axis by its row, but sweep does not know it",
				 t->cmd, r->name);
	}
	free(help);
}

static void serve_defaults_v(void *c)
{
	serve_defaults(c);
}
static json_t *serve_json_v(const void *c)
{
	return serve_config_json(c);
}
static void load_defaults_v(void *c)
{
	load_defaults(c);
}
static json_t *load_json_v(const void *c)
{
	return load_config_json(c);
}

static void test_every_serve_row(void **state)
{
	(void)state;
	static struct serve_config c;
	check_table(&serve_optab, &c, sizeof c, serve_defaults_v, serve_json_v);
}

static void test_every_load_row(void **state)
{
	(void)state;
	static struct load_config c;
	check_table(&load_optab, &c, sizeof c, load_defaults_v, load_json_v);
}

/* Each sweep axis goes where its rows say; nothing else invents one. */
static void test_axes_come_from_tables(void **state)
{
	(void)state;
	int n = 0;
	for (const struct knob *k; (k = knob_at(n)); n++) {
		const struct optab_row *s = optab_find(&serve_optab, k->name),
				       *l = optab_find(&load_optab, k->name);
		bool sa = s && s->axis == OPTA_SERVE,
		     la = l && (l->axis == OPTA_LOAD || l->axis == OPTA_WHOLE);
		enum knob_kind want = sa && la			    ? K_BOTH
				      : sa && s->kind == OPTK_FLAG  ? K_SERVE_FLAG
				      : sa			    ? K_SERVE
				      : la && l->axis == OPTA_WHOLE ? K_LOAD_FIXED
				      : la && l->kind == OPTK_FLAG  ? K_LOAD_FLAG
				      : la			    ? K_LOAD
								    : K_SYSCTL;
		if (!sa && !la) {
			/* the sweep's own: sysctls of the run's namespace, and
			 * --models for serve's --model */
			if (!(k->kind == K_SYSCTL && !strncmp(k->alias, "net.", 4)) &&
			    strcmp(k->name, "models"))
				fail_msg("sweep axis --%s is in no table", k->name);
			continue;
		}
		if (k->kind != want)
			fail_msg("sweep axis --%s: kind %d, its rows say %d", k->name, k->kind,
				 want);
	}
	assert_true(n > 40);
	/* the names both commands take feed both */
	assert_int_equal(knob_find("http-body")->kind, K_BOTH);
	assert_int_equal(knob_find("http_path")->kind, K_LOAD);
	assert_int_equal(knob_find("pause-accept")->kind, K_SERVE_FLAG);
	assert_null(knob_find("json"));
	assert_null(knob_find("stats"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_row_everywhere),
	    cmocka_unit_test(test_operands),
	    cmocka_unit_test(test_every_serve_row),
	    cmocka_unit_test(test_every_load_row),
	    cmocka_unit_test(test_axes_come_from_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

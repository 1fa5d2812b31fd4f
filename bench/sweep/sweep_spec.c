/* sweep_spec.c - what a sweep varies: its axes from the command line and
 * from a JSON config file, checked before any run starts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockbench/load.h"
#include "sockbench/optab.h"
#include "sockbench/serve.h"
#include "sockbench/sweep.h"
#include "sweep_spec.h"

/* The sweep's own axes: the per-namespace sysctls, and --models (the
 * plural reads better in a sweep) for serve's --model.  Every other axis
 * is a row of serve_optab or load_optab whose `axis` says where it goes. */
static const struct knob own_knobs[] = {
    {"models", K_SERVE, "model"},
    {"somaxconn", K_SYSCTL, "net.core.somaxconn"},
    {"syncookies", K_SYSCTL, "net.ipv4.tcp_syncookies"},
    {"abort-on-overflow", K_SYSCTL, "net.ipv4.tcp_abort_on_overflow"},
    {"syn-retries", K_SYSCTL, "net.ipv4.tcp_syn_retries"},
    {"port-range", K_SYSCTL, "net.ipv4.ip_local_port_range"},
    {"tw-reuse", K_SYSCTL, "net.ipv4.tcp_tw_reuse"},
};

#define MAX_KNOBS 96
static struct knob knobs[MAX_KNOBS];
static int nknobs;

static struct knob *knob_named(const char *name)
{
	for (int i = 0; i < nknobs; i++)
		if (!strcmp(knobs[i].name, name))
			return &knobs[i];
	return NULL;
}

/* Built once from the tables: serve's rows first, then load's; a name in
 * both (--http-body: the server's body size and the body load expects)
 * feeds both commands. */
static void knobs_init(void)
{
	if (nknobs)
		return;
	for (size_t i = 0; i < sizeof own_knobs / sizeof own_knobs[0]; i++)
		knobs[nknobs++] = own_knobs[i];
	for (const struct optab_row *r = serve_optab.rows; r->name && nknobs < MAX_KNOBS; r++)
		if (r->axis == OPTA_SERVE)
			knobs[nknobs++] = (struct knob){
			    r->name, r->kind == OPTK_FLAG ? K_SERVE_FLAG : K_SERVE, r->name};
	for (const struct optab_row *r = load_optab.rows; r->name && nknobs < MAX_KNOBS; r++) {
		if (r->axis != OPTA_LOAD && r->axis != OPTA_WHOLE)
			continue;
		struct knob *k = knob_named(r->name);
		if (k)
			k->kind = K_BOTH;
		else
			knobs[nknobs++] = (struct knob){r->name,
							r->axis == OPTA_WHOLE  ? K_LOAD_FIXED
							: r->kind == OPTK_FLAG ? K_LOAD_FLAG
									       : K_LOAD,
							NULL};
	}
}

const struct knob *knob_find(const char *name)
{
	char dashed[64];
	snprintf(dashed, sizeof dashed, "%s", name);
	for (char *p = dashed; *p; p++)
		if (*p == '_')
			*p = '-'; /* config keys: recv_size for --recv-size */
	knobs_init();
	return knob_named(dashed);
}

const struct knob *knob_at(int i)
{
	knobs_init();
	return i < nknobs ? &knobs[i] : NULL;
}

/* "--json: not a sweep option (a sweep writes each run under --out)" */
static int not_an_axis(const char *name, char *err, size_t errlen)
{
	const struct optab_row *r = optab_find(&serve_optab, name);
	if (!r || r->axis != OPTA_NONE)
		r = optab_find(&load_optab, name);
	if (r && r->axis == OPTA_NONE && r->no_axis)
		snprintf(err, errlen, "--%s: not a sweep option (%s)", r->name, r->no_axis);
	else
		snprintf(err, errlen, "--%s: unknown option (see sockbench sweep --help)", name);
	return -1;
}

/* A flag (--pause-accept) as an axis: on or off, "1" or "0" in the cell. */
/* An on/off axis: a serve flag (--pause-accept) or a load one (--unread). */
static bool knob_is_flag(const struct knob *k)
{
	return k->kind == K_SERVE_FLAG || k->kind == K_LOAD_FLAG;
}

static int flag_values(struct axis *a, char *err, size_t errlen)
{
	for (int i = 0; i < a->n; i++) {
		char *v = a->v[i];
		if (!strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "yes"))
			strcpy(v, "1");
		else if (!strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "no"))
			strcpy(v, "0");
		if (strcmp(v, "1") && strcmp(v, "0"))
			return snprintf(err, errlen, "--%s: expected on or off (1, 0), got '%s'",
					a->name, v),
			       -1;
	}
	return 0;
}

/* Set (or replace) the axis of knob k. */
static int spec_set(struct sweep_spec *sp, const struct knob *k, struct axis *a)
{
	for (int i = 0; i < sp->naxes; i++)
		if (sp->knob[i] == k ||
		    (sp->knob[i]->alias && k->alias && !strcmp(sp->knob[i]->alias, k->alias))) {
			axis_free(&sp->axes[i]);
			sp->axes[i] = *a;
			sp->knob[i] = k;
			return 0;
		}
	if (sp->naxes == SWEEP_MAX_AXES)
		return -1;
	sp->knob[sp->naxes] = k;
	sp->axes[sp->naxes++] = *a;
	return 0;
}

static int own_option(struct sweep_spec *sp, const char *name, const char *val, char *err,
		      size_t errlen)
{
	int remote = spec_remote_option(sp, name, val, err, errlen);
	if (remote <= 0)
		return remote;
	if (!strcmp(name, "out")) {
		/* the results directory's files must fit their paths: refused,
		 * never cut (a cut path wrote the results somewhere else) */
		if (!*val || strlen(val) > SWEEP_OUT_MAX) {
			snprintf(err, errlen,
				 "--out: %zu bytes; a results directory's name takes 1 to %d "
				 "(its files' paths must fit)",
				 strlen(val), SWEEP_OUT_MAX);
			return -1;
		}
		snprintf(sp->out, sizeof sp->out, "%s", val);
	} else if (!strcmp(name, "repeat")) {
		char *e;
		long r = strtol(val, &e, 10);
		if (!*val || *e || r < 1 || r > 1000) {
			snprintf(err, errlen,
				 "--repeat: expected an integer from 1 to 1000, got '%s'", val);
			return -1;
		}
		sp->repeat = (int)r;
	} else if (!strcmp(name, "live-fd")) {
		char *e;
		long fd = strtol(val, &e, 10);
		if (!*val || *e || fd < 0 || fd > (1 << 20)) {
			snprintf(err, errlen,
				 "--live-fd: expected an open descriptor's number, got '%s'", val);
			return -1;
		}
		sp->live_fd = (int)fd;
	} else if (!strcmp(name, "server-cmd") || !strcmp(name, "server_cmd")) {
		return spec_add_server_cmd(sp, val, err, errlen);
	} else {
		return 1;
	}
	return 0;
}

static int flag_option(struct sweep_spec *sp, const char *name)
{
	if (!strcmp(name, "resume"))
		sp->resume = true;
	else if (!strcmp(name, "dry-run"))
		sp->dry_run = true;
	else if (!strcmp(name, "host-netns"))
		sp->host_netns = true;
	else if (!strcmp(name, "quiet"))
		sp->quiet = true;
	else if (!strcmp(name, "live"))
		sp->live = true;
	else if (!strcmp(name, "remote-sysctl"))
		sp->remote_sysctl = true;
	else if (!strcmp(name, "help"))
		sp->help = true;
	else
		return 1;
	return 0;
}

/* One axis from the command line; text NULL: a flag given without a value. */
static int add_axis(struct sweep_spec *sp, const char *name, const char *text, char *err,
		    size_t errlen)
{
	const struct knob *k = knob_find(name);
	if (!k)
		return not_an_axis(name, err, errlen);
	struct axis a = {0};
	char dashed[64];
	snprintf(dashed, sizeof dashed, "--%s", k->name);
	if (k->kind == K_LOAD_FIXED || !text) { /* one value, never split (it holds commas) */
		a.n = 1;
		a.v = calloc(1, sizeof *a.v);
		snprintf(a.name, sizeof a.name, "%s", k->name);
		if (!a.v || !(a.v[0] = strdup(text ? text : "1"))) {
			axis_free(&a);
			return snprintf(err, errlen, "%s: out of memory", dashed), -1;
		}
	} else if (axis_parse(dashed, text, &a, err, errlen) < 0) {
		return -1;
	}
	if ((knob_is_flag(k) && flag_values(&a, err, errlen) < 0) || spec_set(sp, k, &a) < 0) {
		if (!err[0])
			snprintf(err, errlen, "--%s: too many axes", k->name);
		axis_free(&a);
		return -1;
	}
	return 0;
}

/* One key of a --config file: an option of the sweep's own, or an axis. */
static int config_entry(struct sweep_spec *sp, const char *path, const char *key, json_t *v,
			char *err, size_t errlen)
{
	char name[64];
	snprintf(name, sizeof name, "%s", key);
	for (char *p = name; *p; p++)
		if (*p == '_')
			*p = '-';
	if (json_is_string(v)) {
		int r = own_option(sp, name, json_string_value(v), err, errlen);
		if (r <= 0)
			return r;
	}
	if (!strcmp(name, "server-cmd") && (json_is_array(v) || json_is_object(v)))
		return spec_config_server_cmds(sp, path, v, err, errlen);
	if (json_is_integer(v) && !strcmp(name, "repeat")) {
		/* the range --repeat has: 0 would run nothing, and a value
		 * past INT_MAX would wrap in the (int) */
		json_int_t r = json_integer_value(v);
		if (r < 1 || r > 1000) {
			snprintf(err, errlen,
				 "--config %s: 'repeat': expected an integer from 1 to 1000, "
				 "got %" JSON_INTEGER_FORMAT,
				 path, r);
			return -1;
		}
		sp->repeat = (int)r;
		return 0;
	}
	if (json_is_boolean(v) && flag_option(sp, name) == 0) {
		if (json_is_false(v) && !strcmp(name, "host-netns"))
			sp->host_netns = false;
		return 0;
	}
	static const char *const lesson_keys[] = {"description", "figures", "quick",  "cases",
						  "question",	 "answer",  "caveat", NULL};
	for (int i = 0; lesson_keys[i]; i++)
		if (!strcmp(key, lesson_keys[i]))
			return 0; /* read by lessons and plots (sweep.json's "lesson") */
	const struct knob *k = knob_find(name);
	if (!k) {
		char why[300];
		not_an_axis(name, why, sizeof why);
		snprintf(err, errlen, "--config %s: '%s' is not a sweep option%s", path, key,
			 strstr(why, "not a sweep option") ? strchr(why, '(') - 1 : "");
		return -1;
	}
	struct axis a = {0};
	char e[300] = "";
	/* "pause_accept": true is a flag on: an axis of one value */
	json_t *vals = json_is_boolean(v) ? json_pack("[O]", v) : json_incref(v);
	bool bad = axis_from_json(k->name, vals, &a, e, sizeof e) < 0 ||
		   (knob_is_flag(k) && flag_values(&a, e, sizeof e) < 0) || spec_set(sp, k, &a) < 0;
	json_decref(vals);
	if (bad) {
		axis_free(&a);
		snprintf(err, errlen, "--config %s: %s", path, e[0] ? e : "too many axes");
		return -1;
	}
	return 0;
}

int spec_load_config(struct sweep_spec *sp, const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je);
	if (!o || !json_is_object(o)) {
		snprintf(err, errlen, "--config %s: %s", path,
			 o ? "expected a JSON object" : je.text);
		json_decref(o);
		return -1;
	}
	const char *key;
	json_t *v;
	int rc = 0;
	json_object_foreach(o, key, v)
	{
		if ((rc = config_entry(sp, path, key, v, err, errlen)) < 0)
			break;
	}
	json_decref(o);
	return rc;
}

/* The first server-option axis a --server-cmd cannot take, or NULL. */
static const struct knob *cmd_refused_axis(const struct sweep_spec *sp)
{
	for (int i = 0; i < sp->naxes; i++) {
		const struct knob *k = sp->knob[i];
		if ((k->kind == K_SERVE || k->kind == K_SERVE_FLAG || k->kind == K_BOTH) &&
		    strcmp(k->name, "backlog") && strcmp(k->name, "recv-size"))
			return k;
	}
	return NULL;
}

/* What no single option can say: axes that the run's setting refuses. */
static int spec_check(const struct sweep_spec *sp, char *err, size_t errlen)
{
	if (spec_remote_check(sp, err, errlen) < 0)
		return -1;
	/* --remote-sysctl: the sysctls are the server's host's, held there
	 * for each run (sweep_remote.c); this host's stay as they are */
	if (sp->host_netns && !sp->remote_sysctl)
		for (int i = 0; i < sp->naxes; i++)
			if (sp->knob[i]->kind == K_SYSCTL) {
				snprintf(
				    err, errlen,
				    "--%s: refused with --host-netns: sockbench never changes the "
				    "host's settings (drop --host-netns to run each cell in a "
				    "private network namespace)",
				    sp->knob[i]->name);
				return -1;
			}
	/* a command gets only {backlog} and {recv_size}: any other server
	 * option as an axis would be a setting that never reached it */
	const struct knob *k = sp->ncmds || sp->server_cmd[0] ? cmd_refused_axis(sp) : NULL;
	if (k && sp->ncmds)
		return snprintf(err, errlen,
				"--%s: not with a named --server-cmd in the server axis (only "
				"{backlog} and {recv_size} reach that server, and every server of "
				"one axis takes the same options)",
				k->name),
		       -1;
	if (k)
		return snprintf(err, errlen,
				"--%s: not with --server-cmd (only {backlog} and {recv_size} "
				"reach that server)",
				k->name),
		       -1;
	return 0;
}

int spec_parse(struct sweep_spec *sp, int argc, char **argv, char *err, size_t errlen)
{
	memset(sp, 0, sizeof *sp);
	sp->repeat = 1;
	sp->live_fd = -1;
	err[0] = '\0';
	/* --config first, whatever its place: the command line overrides it. */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--config")) {
			if (i + 1 == argc) {
				snprintf(err, errlen, "--config: needs a value");
				return -1;
			}
			snprintf(sp->config, sizeof sp->config, "%s", argv[i + 1]);
			if (spec_load_config(sp, argv[i + 1], err, errlen) < 0)
				return -1;
		}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0) {
			snprintf(err, errlen,
				 "'%s': unexpected argument (sweep takes options only)", a);
			return -1;
		}
		char name[64];
		const char *eq = strchr(a, '='), *val = NULL;
		snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - a - 2) : (int)strlen(a + 2),
			 a + 2);
		if (eq)
			val = eq + 1;
		if (!strcmp(name, "config")) {
			i++;
			continue;
		}
		if (!val && flag_option(sp, name) == 0)
			continue;
		const struct knob *k = knob_find(name);
		if (!val && k && knob_is_flag(k) &&
		    (i + 1 == argc || !strncmp(argv[i + 1], "--", 2))) {
			if (add_axis(sp, name, NULL, err, errlen) < 0) /* a flag: on */
				return -1;
			continue;
		}
		if (!val) {
			if (i + 1 == argc) {
				snprintf(err, errlen, "--%s: needs a value", name);
				return -1;
			}
			val = argv[++i];
		}
		int r = own_option(sp, name, val, err, errlen);
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		if (add_axis(sp, name, val, err, errlen) < 0)
			return -1;
	}
	if (spec_server_axis(sp, err, errlen) < 0)
		return -1;
	return spec_check(sp, err, errlen);
}

void spec_free(struct sweep_spec *sp)
{
	for (int i = 0; i < sp->naxes; i++) {
		for (int j = 0; sp->canon[i] && j < sp->axes[i].n; j++)
			free(sp->canon[i][j]);
		free(sp->canon[i]);
		sp->canon[i] = NULL;
		axis_free(&sp->axes[i]);
	}
	sp->naxes = 0;
}

bool spec_flag_always(const struct sweep_spec *sp, const char *name)
{
	for (int i = 0; i < sp->naxes; i++) {
		if (strcmp(sp->knob[i]->name, name))
			continue;
		for (int k = 0; k < sp->axes[i].n; k++)
			if (strcmp(sp->axes[i].v[k], "1"))
				return false;
		return true;
	}
	return false;
}

/* The axes of one destination as wrapped lines of names. */
static void usage_axes(FILE *f, const char *title, enum knob_kind a, enum knob_kind b)
{
	int col = fprintf(f, "%s", title);
	for (int i = 0; knob_at(i); i++) {
		const struct knob *k = knob_at(i);
		if (k->kind != a && k->kind != b)
			continue;
		if (col + (int)strlen(k->name) + 4 > 78)
			col = fprintf(f, "\n   ");
		col += fprintf(f, " --%s", k->name);
	}
	fprintf(f, "\n");
}

void sweep_usage(FILE *f)
{
	fprintf(f, "usage: sockbench sweep [options]\n\n"
		   "Run `sockbench load` for every combination of the values given, each run in a\n"
		   "fresh private network namespace (its own somaxconn, port range, counters).\n\n"
		   "Every serve and load option is an axis: comma lists and ranges, e.g.\n"
		   "  --models blocking,poll,epoll --backlog 1,8,64 --recv-size 64..65536x2\n"
		   "  --conns 1..10+3 --send send,sendall --pause-accept 0,1 --mode connect\n"
		   "(sockbench serve --help and load --help say what each takes).\n");
	usage_axes(f, "server:", K_SERVE, K_SERVE_FLAG);
	usage_axes(f, "load:  ", K_LOAD, K_LOAD_FIXED);
	usage_axes(f, "load, on or off:", K_LOAD_FLAG, K_LOAD_FLAG);
	usage_axes(f, "both:  ", K_BOTH, K_BOTH);
	usage_axes(f, "sysctls of the run's namespace:", K_SYSCTL, K_SYSCTL);
	fprintf(
	    f,
	    "  (--port-range LO-HI; --models is --model)\n\n"
	    "  --repeat K        runs per cell (default 1)\n"
	    "  --config FILE     the sweep as JSON: {\"models\": [...], \"backlog\": \"1..64x2\"}\n"
	    "                    (the command line overrides it)\n"
	    "  --server-cmd CMD  any server; {port} {backlog} {recv_size} {addr} filled in\n"
	    "  --server-cmd NAME=CMD  (repeatable) a server named NAME beside --models in\n"
	    "                    one `server` axis\n"
	    "  --out DIR         results directory (default results/<date>-<time>-<axis>)\n"
	    "  --resume          skip runs whose file exists\n"
	    "  --dry-run         print the run list and an estimated duration\n"
	    "  --host-netns      run on the host's network namespace (no sysctl axes)\n"
	    "  --quiet           no progress output\n"
	    "  --live            a full-screen view of the runs on the terminal (/dev/tty)\n"
	    "  --server-host [USER@]HOST  each run's server on HOST over ssh (load's option;\n"
	    "                    the runs then use this host's network namespace)\n"
	    "  --generators H1,H2  with --server-host: each run's load on these hosts\n"
	    "                    at once, merged (load's option; hosts/ keeps each's run)\n"
	    "  --ssh-opt OPT, --remote-bin PATH  load's, for --server-host\n"
	    "  --remote-sysctl   with --server-host: the sysctl axes are set on HOST for\n"
	    "                    each run and put back after it (load --remote-sysctl)\n"
	    "  --live-fd N       the live stream on this open descriptor: each run's\n"
	    "                    load stream between run and run_end lines (docs/live.md)\n");
}

/* sweep_spec.c - what a sweep varies: its axes from the command line and
 * from a JSON config file, checked before any run starts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_spec.h"

const struct knob sweep_knobs[] = {
    {"models", K_SERVE, "model"},
    {"model", K_SERVE, "model"},
    {"proto", K_SERVE, NULL},
    {"bind", K_SERVE, NULL},
    {"backlog", K_SERVE, NULL},
    {"recv-size", K_SERVE, NULL},
    {"send", K_SERVE, NULL},
    {"sndbuf", K_SERVE, NULL},
    {"rcvbuf", K_SERVE, NULL},
    {"workers", K_SERVE, NULL},
    {"accept-mode", K_SERVE, NULL},
    {"accept-delay-ms", K_SERVE, NULL},
    {"pause-accept", K_SERVE_FLAG, NULL},
    {"work-us", K_SERVE, NULL},
    {"max-msg", K_SERVE, NULL},
    {"max-conns", K_SERVE, NULL},
    {"idle-timeout-ms", K_SERVE, NULL},
    {"mode", K_LOAD, NULL},
    {"conns", K_LOAD, NULL},
    {"threads", K_LOAD, NULL},
    {"duration", K_LOAD, NULL},
    {"requests", K_LOAD, NULL},
    {"warmup", K_LOAD, NULL},
    {"rate", K_LOAD, NULL},
    {"connect-rate", K_LOAD, NULL},
    {"req-size", K_LOAD, NULL},
    {"resp-size", K_LOAD, NULL},
    {"send-size", K_LOAD, NULL},
    {"connect-timeout", K_LOAD, NULL},
    {"timeout", K_LOAD, NULL},
    {"source", K_LOAD_FIXED, NULL},
    {"interval", K_LOAD, NULL},
    {"queue-sample", K_LOAD, NULL},
    {"somaxconn", K_SYSCTL, "net.core.somaxconn"},
    {"syncookies", K_SYSCTL, "net.ipv4.tcp_syncookies"},
    {"abort-on-overflow", K_SYSCTL, "net.ipv4.tcp_abort_on_overflow"},
    {"syn-retries", K_SYSCTL, "net.ipv4.tcp_syn_retries"},
    {"port-range", K_SYSCTL, "net.ipv4.ip_local_port_range"},
    {"tw-reuse", K_SYSCTL, "net.ipv4.tcp_tw_reuse"},
    {NULL, 0, NULL},
};

const struct knob *knob_find(const char *name)
{
	char dashed[64];
	snprintf(dashed, sizeof dashed, "%s", name);
	for (char *p = dashed; *p; p++)
		if (*p == '_')
			*p = '-'; /* config keys: recv_size for --recv-size */
	for (const struct knob *k = sweep_knobs; k->name; k++)
		if (!strcmp(k->name, dashed))
			return k;
	return NULL;
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
	if (!strcmp(name, "out")) {
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
	} else if (!strcmp(name, "server-cmd") || !strcmp(name, "server_cmd")) {
		snprintf(sp->server_cmd, sizeof sp->server_cmd, "%s", val);
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
	else if (!strcmp(name, "help"))
		sp->help = true;
	else
		return 1;
	return 0;
}

static int add_axis(struct sweep_spec *sp, const char *name, const char *text, char *err,
		    size_t errlen)
{
	const struct knob *k = knob_find(name);
	if (!k) {
		snprintf(err, errlen, "--%s: unknown option (see sockbench sweep --help)", name);
		return -1;
	}
	struct axis a = {0};
	if (k->kind == K_LOAD_FIXED) { /* its own value holds commas: never split */
		a.n = 1;
		a.v = calloc(1, sizeof *a.v);
		snprintf(a.name, sizeof a.name, "%s", k->name);
		if (!a.v || !(a.v[0] = strdup(text)))
			return -1;
	} else {
		char dashed[64];
		snprintf(dashed, sizeof dashed, "--%s", k->name);
		if (axis_parse(dashed, text, &a, err, errlen) < 0)
			return -1;
	}
	if (spec_set(sp, k, &a) < 0) {
		axis_free(&a);
		snprintf(err, errlen, "--%s: too many axes", k->name);
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
		char name[64];
		snprintf(name, sizeof name, "%s", key);
		for (char *p = name; *p; p++)
			if (*p == '_')
				*p = '-';
		if (json_is_string(v)) {
			int r = own_option(sp, name, json_string_value(v), err, errlen);
			if (r < 0) {
				rc = -1;
				break;
			}
			if (r == 0)
				continue;
		}
		if (json_is_integer(v) && !strcmp(name, "repeat")) {
			/* the range --repeat has: 0 would run nothing, and a value
			 * past INT_MAX would wrap in the (int) */
			json_int_t r = json_integer_value(v);
			if (r < 1 || r > 1000) {
				snprintf(
				    err, errlen,
				    "--config %s: 'repeat': expected an integer from 1 to 1000, "
				    "got %" JSON_INTEGER_FORMAT,
				    path, r);
				rc = -1;
				break;
			}
			sp->repeat = (int)r;
			continue;
		}
		if (json_is_boolean(v) && flag_option(sp, name) == 0) {
			if (json_is_false(v) && !strcmp(name, "host-netns"))
				sp->host_netns = false;
			continue;
		}
		if (!strcmp(name, "description") || !strcmp(name, "figures") ||
		    !strcmp(name, "quick"))
			continue; /* read by lessons and plots */
		const struct knob *k = knob_find(name);
		if (!k) {
			snprintf(err, errlen, "--config %s: '%s' is not a sweep option", path, key);
			rc = -1;
			break;
		}
		struct axis a = {0};
		char e[300];
		if (k->kind == K_SERVE_FLAG && json_is_boolean(v)) {
			if (json_is_true(v))
				sp->pause_accept = true;
			continue;
		}
		if (axis_from_json(k->name, v, &a, e, sizeof e) < 0) {
			snprintf(err, errlen, "--config %s: %s", path, e);
			rc = -1;
			break;
		}
		spec_set(sp, k, &a);
	}
	json_decref(o);
	return rc;
}

int spec_parse(struct sweep_spec *sp, int argc, char **argv, char *err, size_t errlen)
{
	memset(sp, 0, sizeof *sp);
	sp->repeat = 1;
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
		if (!strcmp(name, "pause-accept") && !val) {
			sp->pause_accept = true;
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
	if (sp->host_netns)
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
	if (sp->server_cmd[0])
		for (int i = 0; i < sp->naxes; i++)
			if (sp->knob[i]->kind == K_SERVE && strcmp(sp->knob[i]->name, "backlog") &&
			    strcmp(sp->knob[i]->name, "recv-size")) {
				snprintf(
				    err, errlen,
				    "--%s: not with --server-cmd (only {backlog} and {recv_size} "
				    "reach that server)",
				    sp->knob[i]->name);
				return -1;
			}
	return 0;
}

void spec_free(struct sweep_spec *sp)
{
	for (int i = 0; i < sp->naxes; i++)
		axis_free(&sp->axes[i]);
	sp->naxes = 0;
}

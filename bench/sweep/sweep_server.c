/* sweep_server.c - the server axis: the models of --models and the
 * commands of --server-cmd NAME=CMD as the values of one axis, so that
 * any program is one series beside the models. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockbench/server.h"
#include "sweep_spec.h"

/* The server axis: not a knob of the tables (`--server` is no option),
 * made from --models and the named commands. */
static const struct knob server_knob = {"server", K_SERVER, NULL};

const char *spec_named_cmd(const struct sweep_spec *sp, const char *name)
{
	for (int i = 0; name && i < sp->ncmds; i++)
		if (!strcmp(sp->cmd_name[i], name))
			return sp->cmd[i];
	return NULL;
}

json_t *spec_server_cmd_json(const struct sweep_spec *sp)
{
	if (sp->server_cmd[0])
		return json_string(sp->server_cmd);
	if (!sp->ncmds)
		return NULL;
	json_t *o = json_object();
	for (int i = 0; i < sp->ncmds; i++)
		json_object_set_new(o, sp->cmd_name[i], json_string(sp->cmd[i]));
	return o;
}

/* NAME=CMD: one named command (a later one of a name replaces it: the
 * command line over --config). */
static int add_named_cmd(struct sweep_spec *sp, const char *name, size_t nl, const char *cmd,
			 char *err, size_t errlen)
{
	size_t ok =
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
	if (!nl || ok < nl || nl >= sizeof sp->cmd_name[0]) {
		snprintf(err, errlen,
			 "--server-cmd '%.*s=...': NAME takes 1 to %zu of A-Z a-z 0-9 _ -", (int)nl,
			 name, sizeof sp->cmd_name[0] - 1);
		return -1;
	}
	char n[64];
	snprintf(n, sizeof n, "%.*s", (int)nl, name);
	for (int i = 0; server_models[i]; i++)
		if (!strcmp(server_models[i]->name, n)) {
			snprintf(err, errlen,
				 "--server-cmd %s=...: '%s' is a model's name (choose another)", n,
				 n);
			return -1;
		}
	if (!*cmd || strlen(cmd) >= sizeof sp->cmd[0]) {
		snprintf(err, errlen, "--server-cmd %s=...: the command takes 1 to %zu bytes", n,
			 sizeof sp->cmd[0] - 1);
		return -1;
	}
	int i = 0;
	while (i < sp->ncmds && strcmp(sp->cmd_name[i], n))
		i++;
	if (i == SWEEP_MAX_CMDS) {
		snprintf(err, errlen, "--server-cmd %s=...: at most %d named commands", n,
			 SWEEP_MAX_CMDS);
		return -1;
	}
	if (i == sp->ncmds)
		sp->ncmds++;
	snprintf(sp->cmd_name[i], sizeof sp->cmd_name[i], "%s", n);
	snprintf(sp->cmd[i], sizeof sp->cmd[i], "%s", cmd);
	return 0;
}

/* --server-cmd: NAME=CMD when an '=' comes before the first blank (a
 * command's first word is a program, never holding '='), else the
 * unnamed CMD of old. */
int spec_add_server_cmd(struct sweep_spec *sp, const char *val, char *err, size_t errlen)
{
	const char *eq = strchr(val, '=');
	if (eq && (size_t)(eq - val) < strcspn(val, " \t\n"))
		return add_named_cmd(sp, val, (size_t)(eq - val), eq + 1, err, errlen);
	snprintf(sp->server_cmd, sizeof sp->server_cmd, "%s", val);
	return 0;
}

/* --config's "server_cmd" as ["NAME=CMD", ...] or {"NAME": "CMD", ...}. */
int spec_config_server_cmds(struct sweep_spec *sp, const char *path, json_t *v, char *err,
			    size_t errlen)
{
	/* ["name=cmd", ...] or {"name": "cmd", ...} */
	size_t i;
	const char *nk;
	json_t *x;
	char e[600] = "";
	int rc = 0;
	if (json_is_array(v))
		json_array_foreach(v, i, x)
		{
			if (!rc && !json_is_string(x))
				snprintf(e, sizeof e, "expected strings \"NAME=CMD\""), rc = -1;
			if (!rc)
				rc = spec_add_server_cmd(sp, json_string_value(x), e, sizeof e);
		}
	else
		json_object_foreach(v, nk, x)
		{
			if (!rc && !json_is_string(x))
				snprintf(e, sizeof e, "'%s': expected a command string", nk),
				    rc = -1;
			if (!rc)
				rc = add_named_cmd(sp, nk, strlen(nk), json_string_value(x), e,
						   sizeof e);
		}
	if (rc < 0)
		snprintf(err, errlen, "--config %s: 'server_cmd': %s", path, e);
	return rc;
}

/* With named commands: one server axis, --models's values then the
 * names, in place of the models axis. */
int spec_server_axis(struct sweep_spec *sp, char *err, size_t errlen)
{
	if (!sp->ncmds)
		return 0;
	if (sp->server_cmd[0]) {
		snprintf(err, errlen,
			 "--server-cmd '%.60s': name it (NAME=CMD) beside the named ones: "
			 "each is a value of the server axis",
			 sp->server_cmd);
		return -1;
	}
	int mi = -1;
	for (int i = 0; i < sp->naxes; i++)
		if (sp->knob[i]->kind == K_SERVE && sp->knob[i]->alias &&
		    !strcmp(sp->knob[i]->alias, "model"))
			mi = i;
	int nm = mi < 0 ? 0 : sp->axes[mi].n;
	struct axis a = {.n = nm + sp->ncmds};
	snprintf(a.name, sizeof a.name, "server");
	a.v = calloc((size_t)a.n, sizeof *a.v);
	for (int j = 0; a.v && j < a.n; j++)
		if (!(a.v[j] = strdup(j < nm ? sp->axes[mi].v[j] : sp->cmd_name[j - nm]))) {
			axis_free(&a);
			a.v = NULL;
		}
	if (!a.v)
		return snprintf(err, errlen, "--server-cmd: out of memory"), -1;
	if (mi >= 0) {
		axis_free(&sp->axes[mi]);
		for (int i = mi; i + 1 < sp->naxes; i++) {
			sp->axes[i] = sp->axes[i + 1];
			sp->knob[i] = sp->knob[i + 1];
		}
		sp->naxes--;
	}
	if (sp->naxes == SWEEP_MAX_AXES) {
		axis_free(&a);
		return snprintf(err, errlen, "--server-cmd: too many axes"), -1;
	}
	sp->knob[sp->naxes] = &server_knob;
	sp->axes[sp->naxes++] = a;
	return 0;
}

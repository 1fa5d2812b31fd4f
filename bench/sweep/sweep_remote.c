/* sweep_remote.c - a sweep whose server runs on another host
 * (--server-host [USER@]HOST, --ssh-opt, --remote-bin: load's options,
 * passed to every run's load).  The server is elsewhere, so a run cannot
 * live in a private network namespace of this host: the runs use this
 * host's (host_netns, recorded).  The sysctl axes would be the server
 * host's settings: refused, unless --remote-sysctl says to change them
 * there; then each run's load gets them as --remote-sysctl NAME=VALUE
 * and the server's host holds them for that run only (probe --sysctl). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sockbench/strbuf.h"
#include "sweep_spec.h"

int spec_remote_option(struct sweep_spec *sp, const char *name, const char *val, char *err,
		       size_t errlen)
{
	if (!strcmp(name, "server-host")) {
		if (!*val || strlen(val) >= sizeof sp->server_host)
			return snprintf(err, errlen, "--server-host: expected [USER@]HOST"), -1;
		snprintf(sp->server_host, sizeof sp->server_host, "%s", val);
		sp->host_netns = true;
	} else if (!strcmp(name, "ssh-opt")) {
		if (sp->nssh_opt == SWEEP_MAX_SSH_OPTS || !*val ||
		    strlen(val) >= sizeof sp->ssh_opt[0])
			return snprintf(err, errlen, "--ssh-opt: at most %d, each under %zu bytes",
					SWEEP_MAX_SSH_OPTS, sizeof sp->ssh_opt[0]),
			       -1;
		snprintf(sp->ssh_opt[sp->nssh_opt++], sizeof sp->ssh_opt[0], "%s", val);
	} else if (!strcmp(name, "generators")) {
		if (!*val || strlen(val) >= sizeof sp->generators)
			return snprintf(err, errlen, "--generators: expected H1,H2,..."), -1;
		snprintf(sp->generators, sizeof sp->generators, "%s", val);
		sp->host_netns = true;
	} else if (!strcmp(name, "remote-bin")) {
		if (!*val || strlen(val) >= sizeof sp->remote_bin)
			return snprintf(err, errlen, "--remote-bin: expected a path"), -1;
		snprintf(sp->remote_bin, sizeof sp->remote_bin, "%s", val);
	} else {
		return 1;
	}
	return 0;
}

/* The sysctls a listening server's kernel reads: the accept queue's cap,
 * SYN cookies, what an overflow does.  syn-retries, port-range and
 * tw-reuse are the connecting side's: with --server-host that is this
 * host, whose settings sockbench never changes. */
static bool server_side(const char *knob)
{
	return !strcmp(knob, "somaxconn") || !strcmp(knob, "syncookies") ||
	       !strcmp(knob, "abort-on-overflow");
}

int spec_remote_check(const struct sweep_spec *sp, char *err, size_t errlen)
{
	if (sp->remote_sysctl && !sp->server_host[0])
		return snprintf(err, errlen, "--remote-sysctl: only with --server-host"), -1;
	if (sp->generators[0] && !sp->server_host[0])
		return snprintf(err, errlen,
				"--generators: only with --server-host (each run's server there, "
				"the generators pointed at it)"),
		       -1;
	if (!sp->server_host[0])
		return 0;
	for (int i = 0; i < sp->naxes; i++)
		if (sp->knob[i]->kind == K_SYSCTL && sp->remote_sysctl &&
		    !server_side(sp->knob[i]->name))
			return snprintf(
				   err, errlen,
				   "--%s: a setting of the connecting side, this host's with "
				   "--server-host: sockbench never changes this host's settings",
				   sp->knob[i]->name),
			       -1;
		else if (sp->knob[i]->kind == K_SYSCTL && !sp->remote_sysctl)
			return snprintf(
				   err, errlen,
				   "--%s: a setting of the server's host: give --remote-sysctl "
				   "to set it there for each run (and put it back after)",
				   sp->knob[i]->name),
			       -1;
	if (sp->server_cmd[0] || sp->ncmds)
		return snprintf(err, errlen,
				"--server-cmd: not with --server-host (load starts "
				"sockbench serve there)"),
		       -1;
	return 0;
}

int spec_remote_args(const struct sweep_spec *sp, const char **v, int n, int max)
{
	if (!sp->server_host[0])
		return n;
	if (n + 2 < max) {
		v[n++] = "--server-host";
		v[n++] = sp->server_host;
	}
	for (int i = 0; i < sp->nssh_opt && n + 2 < max; i++) {
		v[n++] = "--ssh-opt";
		v[n++] = sp->ssh_opt[i];
	}
	if (sp->generators[0] && n + 2 < max) {
		v[n++] = "--generators";
		v[n++] = sp->generators;
	}
	if (sp->remote_bin[0] && n + 2 < max) {
		v[n++] = "--remote-bin";
		v[n++] = sp->remote_bin;
	}
	return n;
}

int spec_remote_sysctls(const struct sweep_spec *sp, const int *idx, char *out, size_t cap,
			size_t *k, const char **v, int n, int max)
{
	for (int i = 0; i < sp->naxes && sp->remote_sysctl; i++) {
		if (sp->knob[i]->kind != K_SYSCTL || n + 2 >= max)
			continue;
		v[n++] = "--remote-sysctl";
		v[n++] = out + *k;
		*k = sb_appendf(out, cap, *k, "%s=%s", sp->knob[i]->alias, sp->axes[i].v[idx[i]]) +
		     1;
	}
	return n;
}

void spec_remote_keep_hosts(const char *dir, json_t *run)
{
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(run, "generators"), i, g)
	{
		const char *f = json_string_value(json_object_get(g, "file"));
		const char *base = f ? strrchr(f, '/') : NULL;
		char to[1400], rel[400];
		if (!base)
			continue;
		snprintf(to, sizeof to, "%s/hosts", dir);
		mkdir(to, 0755);
		snprintf(rel, sizeof rel, "hosts/%s", base + 1);
		snprintf(to, sizeof to, "%s/%s", dir, rel);
		/* rename(2) replaces only a name: a symlink planted there is
		 * replaced, never followed */
		bool moved = rename(f, to) == 0;
		size_t j;
		json_t *m;
		json_array_foreach(json_object_get(run, "merged_from"), j, m)
		{
			if (json_is_string(m) && !strcmp(json_string_value(m), f))
				json_array_set_new(json_object_get(run, "merged_from"), j,
						   json_string(moved ? rel : base + 1));
		}
		json_object_set_new(g, "file", moved ? json_string(rel) : json_null());
	}
}

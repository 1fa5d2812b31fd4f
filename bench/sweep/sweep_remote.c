/* sweep_remote.c - a sweep whose server runs on another host
 * (--server-host [USER@]HOST, --ssh-opt, --remote-bin: load's options,
 * passed to every run's load).  The server is elsewhere, so a run cannot
 * live in a private network namespace of this host: the runs use this
 * host's (host_netns, recorded), and the sysctl axes, which would be the
 * server host's settings, are refused (--remote-sysctl is not built). */
#include <stdio.h>
#include <string.h>

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
		if (sp->nssh_opt == SWEEP_MAX_SSH_OPTS || !*val || strlen(val) >= sizeof sp->ssh_opt[0])
			return snprintf(err, errlen, "--ssh-opt: at most %d, each under %zu bytes",
					SWEEP_MAX_SSH_OPTS, sizeof sp->ssh_opt[0]),
			       -1;
		snprintf(sp->ssh_opt[sp->nssh_opt++], sizeof sp->ssh_opt[0], "%s", val);
	} else if (!strcmp(name, "remote-bin")) {
		if (!*val || strlen(val) >= sizeof sp->remote_bin)
			return snprintf(err, errlen, "--remote-bin: expected a path"), -1;
		snprintf(sp->remote_bin, sizeof sp->remote_bin, "%s", val);
	} else {
		return 1;
	}
	return 0;
}

int spec_remote_check(const struct sweep_spec *sp, char *err, size_t errlen)
{
	if (!sp->server_host[0])
		return 0;
	for (int i = 0; i < sp->naxes; i++)
		if (sp->knob[i]->kind == K_SYSCTL)
			return snprintf(err, errlen,
					"--%s: a setting of the server's host: not with --server-host "
					"(changing and restoring another host's sysctls, "
					"--remote-sysctl, is not built)",
					sp->knob[i]->name),
			       -1;
	if (sp->server_cmd[0] || sp->ncmds)
		return snprintf(err, errlen, "--server-cmd: not with --server-host (load starts "
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
	if (sp->remote_bin[0] && n + 2 < max) {
		v[n++] = "--remote-bin";
		v[n++] = sp->remote_bin;
	}
	return n;
}

/* remote_sysctl.c - load --remote-sysctl NAME=VALUE with --server-host:
 * a third ssh channel to the server's host runs `sockbench probe --sysctl
 * NAME=VALUE ..` (probe_sysctl.c) before the server starts, so that its
 * listen() sees the value (somaxconn caps the backlog at listen() time).
 * The probe holds the values for the run and puts them back when we close
 * its stdin - or when we die: our end of its stdin pipe closes with us,
 * ssh sends EOF, and sshd closes the probe's stdin; the same when the
 * connection drops.  The run records what was set, the old values and
 * whether the restore was confirmed. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/proc.h"
#include "sockbench/remote.h"
#include "sockbench/stopsig.h"
#include "sshopt.h"

/* The set line comes after ssh's connect and authentication: as long as
 * serve's READY may take (remote.c).  The restore line, once we closed
 * the channel, comes at once. */
#define GUARD_SET_MS	 15000
#define GUARD_RESTORE_MS 5000

/* Each line of the guard into its slot: the first "sysctl" and
 * "restored" lines (others are not ours). */
static void guard_keep(void *arg, char *l)
{
	struct remote *rm = arg;
	json_error_t je;
	json_t *j = json_loads(l, 0, &je);
	const char *k = json_string_value(json_object_get(j, "kind"));
	json_t **slot = !k			 ? NULL
			: !strcmp(k, "sysctl")	 ? &rm->sys_set
			: !strcmp(k, "restored") ? &rm->sys_restored
						 : NULL;
	if (slot && !*slot)
		*slot = json_incref(j);
	json_decref(j);
}

/* Read the guard's lines until *slot is filled, within ms; false on EOF or
 * time out, or (stoppable) on a stop signal. */
static bool guard_wait(struct remote *rm, json_t *const *slot, int ms, bool stoppable)
{
	uint64_t until = clock_now_ms() + (uint64_t)ms;
	for (;;) {
		uint64_t now = clock_now_ms();
		if (*slot)
			return true;
		if (rm->guard_out < 0 || now >= until || (stoppable && stopsig_caught()))
			return false;
		struct pollfd pf = {.fd = rm->guard_out, .events = POLLIN};
		poll(&pf, 1, until - now < 100 ? (int)(until - now) : 100);
		if (ssh_lines_read(&rm->glines, rm->guard_out, guard_keep, rm) == 0) {
			close(rm->guard_out);
			rm->guard_out = -1;
		}
	}
}

int remote_sysctl_set(struct remote *rm, char *err, size_t errlen)
{
	const struct load_config *c = rm->cfg;
	char *w[2 + 2 * LOAD_MAX_REMOTE_SYSCTLS], **held[LOAD_MAX_SSH_OPTS] = {0};
	const char *av[SSH_AV_MAX];
	static char cmd[4096];
	int n = 0;
	w[n++] = (char *)c->remote_bin;
	w[n++] = "probe";
	for (int i = 0; i < c->nremote_sysctl; i++) {
		w[n++] = "--sysctl";
		w[n++] = (char *)c->remote_sysctl[i];
	}
	int q = ssh_cmdline(c, c->server_host, w, n, av, SSH_AV_MAX, held, cmd, sizeof cmd, err,
			    errlen);
	if (q == 0 && (rm->guard_err = ssh_errfile()) < 0)
		q = (snprintf(err, errlen, "ssh stderr: %s", strerror(errno)), -1);
	if (q == 0)
		rm->guard_pid =
		    ssh_spawn(av, &rm->guard_in, &rm->guard_out, rm->guard_err, err, errlen);
	ssh_opts_free(held);
	if (q < 0 || rm->guard_pid < 0) {
		if (rm->guard_err >= 0)
			close(rm->guard_err);
		rm->guard_err = -1;
		return rm->guard_pid = 0, -1;
	}
	guard_wait(rm, &rm->sys_set, GUARD_SET_MS, true);
	const char *e = json_string_value(json_object_get(rm->sys_set, "error"));
	if (rm->sys_set && !e)
		return 0;
	char said[400];
	ssh_last_line(rm->guard_err, said, sizeof said);
	if (!e && stopsig_caught())
		snprintf(said, sizeof said, "interrupted before probe --sysctl answered");
	snprintf(err, errlen, "--remote-sysctl on %s: %s", c->server_host,
		 e	   ? e
		 : said[0] ? said
			   : "no answer from probe --sysctl there");
	return -1;
}

void remote_sysctl_restore(struct remote *rm)
{
	if (rm->guard_pid <= 0)
		return;
	if (rm->guard_in >= 0)
		close(rm->guard_in); /* EOF: probe puts the values back */
	rm->guard_in = -1;
	guard_wait(rm, &rm->sys_restored, GUARD_RESTORE_MS, false);
	pid_t p = rm->guard_pid;
	struct proc_stop how = {.grace_ms = 1000, .group = true};
	proc_stop(&p, 1, &how);
	rm->guard_pid = 0;
	if (rm->guard_out >= 0)
		close(rm->guard_out);
	if (rm->guard_err >= 0)
		close(rm->guard_err);
	rm->guard_out = rm->guard_err = -1;
}

json_t *remote_sysctl_json(const struct remote *rm)
{
	const json_t *s = rm->sys_set, *r = rm->sys_restored;
	if (!s)
		return json_null();
	/* refused there: those set before it were put back at once, and the
	 * error line says which */
	const json_t *refused = json_object_get(s, "error");
	if (refused)
		r = s;
	json_t *left = json_object_get(r, "left"), *failed = json_object_get(r, "failed");
	bool clean = r && !json_object_size(left) && !json_object_size(failed);
	json_t *o = json_pack(
	    "{s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:s?, s:b}", "host", "server", "old",
	    json_object_get(s, "old"), "set", json_object_get(s, "set"), "restored",
	    json_object_get(r, "restored"), "left", left, "failed", failed, "restore_ended_by",
	    refused ? "the refusal" : json_string_value(json_object_get(r, "why")),
	    "restore_confirmed", clean);
	if (refused)
		json_object_set(o, "error", (json_t *)refused);
	return o;
}

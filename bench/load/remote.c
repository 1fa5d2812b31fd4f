/* remote.c - the server on another host over OpenSSH: see
 * include/sockbench/remote.h.  ssh runs with BatchMode=yes: a host that
 * wants a password or a host key confirmation fails at once (ssh exits
 * 255 with one line on stderr) instead of waiting for a prompt nobody
 * sees.  A remote exit status of 127 is the remote shell's "command not
 * found": --remote-bin is missing there. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/proc.h"
#include "sockbench/remote.h"
#include "sockbench/spawn.h"
#include "sockbench/stopsig.h"
#include "sockbench/words.h"
#include "sshopt.h"

#define REMOTE_WAIT_MS 15000
#define PROBE_WAIT_MS  5000
#define OUT_MAX	       (4u << 20)

/* ssh -o BatchMode=yes [--ssh-opt ..] -- HOST 'w0' 'w1' ..: argv in av
 * (SSH_AV_MAX), the remote command in cmd; the options' words held in a
 * list of this file's until the next call (ssh has started by then). */
static int ssh_argv(const struct load_config *c, char **words, char *cmd, size_t cap,
		    const char **av)
{
	static char **held[LOAD_MAX_SSH_OPTS];
	char e[200];
	int n = 0;
	while (words[n])
		n++;
	ssh_opts_free(held);
	return ssh_cmdline(c, c->server_host, words, n, av, SSH_AV_MAX, held, cmd, cap, e,
			   sizeof e);
}

/* One line for a channel that ended: what its exit status means. */
static void ended_why(const struct load_config *c, int status, int err_fd, const char *what,
		      char *err, size_t errlen)
{
	char said[400];
	ssh_last_line(err_fd, said, sizeof said);
	int st = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (st == 127)
		snprintf(err, errlen,
			 "--server-host %s: %s not found there (--remote-bin; exit 127)%s%s",
			 c->server_host, c->remote_bin, said[0] ? ": " : "", said);
	else if (st == 255)
		snprintf(err, errlen,
			 "--server-host %s: ssh failed or the channel dropped (%s; exit 255)%s%s",
			 c->server_host, what, said[0] ? ": " : "", said);
	else
		snprintf(err, errlen, "--server-host %s: %s ended (%s %d)%s%s", c->server_host,
			 what, WIFSIGNALED(status) ? "signal" : "status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : st, said[0] ? ": " : "", said);
}

static char **serve_words(const struct load_config *c, const char *host, const char *opts,
			  char *err, size_t errlen)
{
	char **w = NULL;
	int n = 0;
	if (words_split(opts, &w, &n, err, errlen) < 0)
		return NULL;
	char **v = calloc((size_t)n + 12, sizeof *v);
	int k = 0;
	v[k++] = strdup(c->remote_bin);
	v[k++] = strdup("serve");
	/* every address of the host (a --bind in OPTS, later, wins) */
	v[k++] = strdup("--bind");
	v[k++] = strdup(strchr(host, ':') ? "::" : "0.0.0.0");
	v[k++] = strdup("--port");
	v[k++] = strdup("0");
	for (int i = 0; i < n; i++)
		v[k++] = w[i];
	free(w);
	v[k++] = strdup("--stop-on-eof");
	v[k++] = strdup("--stats-fd");
	v[k++] = strdup("1");
	return v;
}

int remote_serve(struct spawn *sp, const struct load_config *c, const char *opts, char *err,
		 size_t errlen)
{
	static char cmd[8192];
	const char *av[SSH_AV_MAX];
	struct remote *rm = calloc(1, sizeof *rm);
	spawn_init(sp);
	sp->remote = rm;
	sp->on_drain = remote_drain;
	sp->on_stop = remote_stop;
	rm->cfg = c;
	rm->serve_in = rm->probe_in = rm->probe_out = rm->probe_err = -1;
	rm->guard_in = rm->guard_out = rm->guard_err = -1;
	rm->q = rm->lim = -1;
	const char *at = strrchr(c->server_host, '@');
	snprintf(rm->host, sizeof rm->host, "%s", at ? at + 1 : c->server_host);
	char **w = serve_words(c, rm->host, opts, err, errlen);
	if (!w)
		return -1;
	int q = ssh_argv(c, w, cmd, sizeof cmd, av);
	words_free(w);
	if (q < 0)
		return snprintf(err, errlen, "--serve: too long for one ssh command"), -1;
	if ((sp->err_fd = ssh_errfile()) < 0)
		return snprintf(err, errlen, "ssh stderr: %s", strerror(errno)), -1;
	/* before serve: somaxconn caps the backlog when listen() is called */
	if (c->nremote_sysctl && remote_sysctl_set(rm, err, errlen) < 0)
		return -1;
	sp->pid = ssh_spawn(av, &rm->serve_in, &sp->out_fd, sp->err_fd, err, errlen);
	if (sp->pid < 0)
		return sp->pid = 0, -1;
	if (spawn_wait_ready(sp, err, errlen) < 0) {
		if (sp->died)
			ended_why(c, sp->died_status, sp->err_fd, "serve", err, errlen);
		return -1;
	}
	snprintf(sp->addr, sizeof sp->addr, strchr(rm->host, ':') ? "[%s]:%d" : "%s:%d", rm->host,
		 sp->port);
	return 0;
}

void remote_drain(struct spawn *sp)
{
	struct remote *rm = sp->remote;
	for (;;) {
		if (rm->olen + 4096 > rm->ocap) {
			if (rm->ocap >= OUT_MAX)
				rm->olen = 0; /* a server that talks without end: forget it */
			else {
				rm->ocap = rm->ocap ? 2 * rm->ocap : 16384;
				rm->out = realloc(rm->out, rm->ocap);
			}
		}
		ssize_t n = sp->out_fd >= 0 ? read(sp->out_fd, rm->out + rm->olen, 4095) : -1;
		if (n <= 0)
			return;
		rm->olen += (size_t)n;
		rm->out[rm->olen] = '\0';
	}
}

/* Wait for ssh to exit, reading what it prints; true when it did within
 * ms (else it is still running). */
static bool wait_exit(struct spawn *sp, int ms)
{
	uint64_t until = clock_now_ms() + (uint64_t)ms;
	while (!spawn_exited(sp) && clock_now_ms() < until) {
		struct pollfd pf = {.fd = sp->out_fd, .events = POLLIN};
		poll(&pf, 1, 20);
		remote_drain(sp);
	}
	remote_drain(sp);
	return sp->died;
}

/* The stats JSON serve wrote on its stdout after READY (--stats-fd 1). */
static json_t *stats_from(const struct remote *rm)
{
	const char *b = rm->out ? memchr(rm->out, '{', rm->olen) : NULL;
	json_error_t je;
	return b ? json_loadb(b, rm->olen - (size_t)(b - rm->out), 0, &je) : NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int remote_stop(struct spawn *sp, json_t **stats, char *err, size_t errlen)
{
	struct remote *rm = sp->remote;
	const struct load_config *c = rm->cfg;
	int rc = 0;
	if (stats)
		*stats = NULL;
	if (sp->pid > 0 && spawn_exited(sp)) {
		ended_why(c, sp->died_status, sp->err_fd, "the server, during the run", err,
			  errlen);
		rc = -1;
	} else if (sp->pid > 0) {
		close_fd(&rm->serve_in); /* EOF: serve --stop-on-eof stops */
		if (!wait_exit(sp, stopsig_caught() ? 2000 : REMOTE_WAIT_MS)) {
			kill(-sp->pid, SIGKILL);
			wait_exit(sp, 1000);
			snprintf(err, errlen,
				 "--server-host %s: the server did not stop within %d s of its "
				 "channel's end; ssh killed",
				 c->server_host, REMOTE_WAIT_MS / 1000);
			rc = -1;
		} else if (!WIFEXITED(sp->died_status) || WEXITSTATUS(sp->died_status)) {
			ended_why(c, sp->died_status, sp->err_fd, "the server, while stopping", err,
				  errlen);
			rc = -1;
		}
		json_t *j = stats_from(rm);
		if (stats)
			*stats = j;
		else
			json_decref(j);
		if (!j && rc == 0) {
			snprintf(err, errlen,
				 "--server-host %s: no stats came back from the server",
				 c->server_host);
			rc = -1;
		}
	}
	if (sp->pid > 0)
		kill(-sp->pid, SIGKILL); /* only ssh's group: ours */
	sp->pid = 0;
	remote_sysctl_restore(rm); /* the server is gone: the sysctls go back */
	close_fd(&rm->serve_in);
	close_fd(&sp->out_fd);
	close_fd(&sp->err_fd);
	return rc;
}

/* One line from the probe. */
static void probe_line(struct remote *rm, const char *line, remote_queue_fn on_q, void *arg)
{
	json_error_t je;
	json_t *j = json_loads(line, 0, &je);
	const char *kind = json_string_value(json_object_get(j, "kind"));
	int64_t t = json_integer_value(json_object_get(j, "t_ms"));
	if (!kind) {
	} else if (!strcmp(kind, "hello") && !rm->hello) {
		rm->hello = json_incref(j);
		rm->hello_ns = clock_now_ns();
	} else if (!strcmp(kind, "counters") &&
		   probe_counters_parse(json_object_get(j, "counters"), &rm->last) == 0) {
		rm->have_last = true;
		rm->snap_t = t;
		rm->nsnap++;
	} else if (!strcmp(kind, "queue")) {
		rm->q = (int)json_integer_value(json_object_get(j, "len"));
		rm->lim = (int)json_integer_value(json_object_get(j, "limit"));
		rm->q_t = t;
		if (on_q)
			on_q(arg, rm->hello_ns + (uint64_t)t * 1000000ull, rm->q, rm->lim);
	}
	json_decref(j);
}

struct probe_read_ctx {
	struct remote *rm;
	remote_queue_fn on_q;
	void *arg;
};

static void probe_read_line(void *arg, char *l)
{
	struct probe_read_ctx *x = arg;
	probe_line(x->rm, l, x->on_q, x->arg);
}

static void probe_read(struct remote *rm, remote_queue_fn on_q, void *arg)
{
	struct probe_read_ctx x = {rm, on_q, arg};
	int r = 1;
	while (rm->probe_out >= 0 && !rm->probe_eof && r > 0)
		if ((r = ssh_lines_read(&rm->plines, rm->probe_out, probe_read_line, &x)) == 0)
			rm->probe_eof = true;
}

void remote_probe_poll(struct remote *rm, remote_queue_fn on_q, void *arg)
{
	probe_read(rm, on_q, arg);
}

/* Read until cond holds, EOF, a stop signal or ms pass; cond's result. */
static bool probe_until(struct remote *rm, bool (*cond)(const struct remote *, unsigned),
			unsigned base, int ms)
{
	uint64_t until = clock_now_ms() + (uint64_t)ms;
	while (!cond(rm, base) && !rm->probe_eof && clock_now_ms() < until && !stopsig_caught()) {
		struct pollfd pf = {.fd = rm->probe_out, .events = POLLIN};
		poll(&pf, 1, 50);
		probe_read(rm, NULL, NULL);
	}
	return cond(rm, base);
}

static bool have_hello(const struct remote *rm, unsigned base)
{
	return rm->hello && rm->nsnap > base;
}

static bool new_snap(const struct remote *rm, unsigned base)
{
	return rm->nsnap > base;
}

int remote_probe_start(struct remote *rm, int port, char *err, size_t errlen)
{
	static char cmd[2048];
	const char *av[SSH_AV_MAX];
	char pnum[16];
	snprintf(pnum, sizeof pnum, "%d", port);
	char *w[] = {(char *)rm->cfg->remote_bin, "probe", "--port", pnum, NULL};
	if (ssh_argv(rm->cfg, w, cmd, sizeof cmd, av) < 0 || (rm->probe_err = ssh_errfile()) < 0)
		return snprintf(err, errlen, "probe: cannot build its command"), -1;
	rm->probe_pid = ssh_spawn(av, &rm->probe_in, &rm->probe_out, rm->probe_err, err, errlen);
	if (rm->probe_pid < 0)
		return rm->probe_pid = 0, -1;
	if (probe_until(rm, have_hello, 0, PROBE_WAIT_MS))
		return 0;
	char said[400];
	ssh_last_line(rm->probe_err, said, sizeof said);
	snprintf(err, errlen, "probe on %s: no hello within %d s%s%s", rm->cfg->server_host,
		 PROBE_WAIT_MS / 1000, said[0] ? ": " : "", said);
	return -1;
}

int remote_counters_now(struct remote *rm, struct kstat *k)
{
	unsigned base = rm->nsnap;
	if (rm->probe_in < 0 || write(rm->probe_in, "\n", 1) != 1 ||
	    !probe_until(rm, new_snap, base, 3000))
		return -1;
	*k = rm->last;
	return 0;
}

int remote_probe_end(struct remote *rm, struct kstat *k)
{
	unsigned base = rm->nsnap;
	if (rm->probe_pid <= 0)
		return -1;
	close_fd(&rm->probe_in); /* EOF: its last counters line, then it ends */
	uint64_t until = clock_now_ms() + 3000;
	while (!rm->probe_eof && clock_now_ms() < until) {
		struct pollfd pf = {.fd = rm->probe_out, .events = POLLIN};
		poll(&pf, 1, 50);
		probe_read(rm, NULL, NULL);
	}
	pid_t p = rm->probe_pid;
	struct proc_stop how = {.grace_ms = 1000, .group = true};
	proc_stop(&p, 1, &how);
	rm->probe_pid = 0;
	if (rm->nsnap <= base)
		return -1;
	*k = rm->last;
	return 0;
}

void remote_free(struct remote *rm)
{
	if (!rm)
		return;
	remote_sysctl_restore(rm);
	json_decref(rm->sys_set);
	json_decref(rm->sys_restored);
	if (rm->probe_pid > 0) {
		kill(-rm->probe_pid, SIGKILL);
		waitpid(rm->probe_pid, NULL, 0);
	}
	close_fd(&rm->serve_in);
	close_fd(&rm->probe_in);
	close_fd(&rm->probe_out);
	close_fd(&rm->probe_err);
	json_decref(rm->hello);
	free(rm->out);
	free(rm);
}

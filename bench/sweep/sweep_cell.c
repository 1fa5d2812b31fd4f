/* sweep_cell.c - one sweep cell before it runs: its `sockbench load`
 * command line, its sysctls, and the checks made on every cell before the
 * first run (each cell's options parsed as load and serve would parse
 * them; sysctl axes tried in a throw-away namespace). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sockbench/jsonio.h"
#include "sockbench/kstat.h"
#include "sockbench/load.h"
#include "netns.h"
#include "sockbench/opt.h"
#include "sockbench/serve.h"
#include "sockbench/spawn.h"
#include "sockbench/strbuf.h"
#include "sockbench/summ.h"
#include "sockbench/sweep.h"
#include "sweep_run.h"
#include "sweep_spec.h"

/* --- one cell's command line ------------------------------------------ */

const char *sweep_cell_value(const struct sweep *w, const int *idx, const char *knob)
{
	for (int i = 0; i < w->sp.naxes; i++)
		if (!strcmp(w->sp.knob[i]->name, knob) ||
		    (w->sp.knob[i]->alias && !strcmp(w->sp.knob[i]->alias, knob)))
			return w->sp.axes[i].v[idx[i]];
	return NULL;
}

/* The command template of the cell's server: the unnamed --server-cmd,
 * or the named one the server axis picks; NULL for a model. */
static const char *cell_cmd(const struct sweep *w, const int *idx)
{
	if (w->sp.server_cmd[0])
		return w->sp.server_cmd;
	return spec_named_cmd(&w->sp, sweep_cell_value(w, idx, "server"));
}

static bool to_serve(const struct knob *kn)
{
	return kn->kind == K_SERVE || kn->kind == K_SERVE_FLAG || kn->kind == K_BOTH;
}

/* The cell's server options, each value quoted whole (a unix: path may
 * hold spaces or '); -1 if they do not fit (values are bounded far below). */
static int cell_serve_opts(const struct sweep *w, const int *idx, char *out, size_t cap)
{
	size_t sl = 0;
	out[0] = '\0';
	for (int i = 0; i < w->sp.naxes; i++) {
		const struct knob *kn = w->sp.knob[i];
		const char *v = w->sp.axes[i].v[idx[i]];
		if (kn->kind == K_SERVER) { /* a model's cell (cell_cmd says) */
			sl = sb_appendf(out, cap, sl, "--model ");
			if (words_quote(out, cap, &sl, v) < 0)
				return -1;
			sl = sb_appendf(out, cap, sl, " ");
			continue;
		}
		if (!to_serve(kn))
			continue;
		const char *name = kn->alias && kn->kind != K_BOTH ? kn->alias : kn->name;
		if (kn->kind == K_SERVE_FLAG) { /* on: the flag; off: nothing */
			if (!strcmp(v, "1"))
				sl = sb_appendf(out, cap, sl, "--%s ", name);
			continue;
		}
		sl = sb_appendf(out, cap, sl, "--%s ", name);
		if (words_quote(out, cap, &sl, v) < 0)
			return -1;
		sl = sb_appendf(out, cap, sl, " ");
	}
	return sl + 1 < cap ? 0 : -1;
}

/* A cell's value of a server option, else serve's default (one place:
 * serve_optab). */
static const char *cell_or_default(const struct sweep *w, const int *idx, const char *name)
{
	const char *v = sweep_cell_value(w, idx, name);
	return v ? v : optab_find(&serve_optab, name)->def;
}

int sweep_cell_backlog(const struct sweep *w, const int *idx)
{
	const char *v = cell_or_default(w, idx, "backlog");
	if (strcmp(v, "max"))
		return atoi(v);
	/* listen(fd, -1) gets somaxconn: the cell's, else what this network
	 * namespace has (call it inside the run's namespace) */
	const char *s = sweep_cell_value(w, idx, "somaxconn");
	long n = 4096;
	if (s)
		return atoi(s);
	sysctl_read_int("net.core.somaxconn", &n);
	return (int)n;
}

/* --server-cmd with {backlog}, {recv_size} and {addr} of the cell filled
 * in ({port} is load's: a free port per run). */
static int cell_server_cmd(const struct sweep *w, const int *idx, const char *tmpl, char *out,
			   size_t cap)
{
	uint64_t rs = 0;
	char e[200];
	if (opt_size(cell_or_default(w, idx, "recv-size"), 0, UINT32_MAX, &rs, e, sizeof e) < 0)
		return -1;
	return words_fill(tmpl, out, cap, -1, sweep_cell_backlog(w, idx), (unsigned)rs,
			  optab_find(&serve_optab, "bind")->def);
}

/* argv for `sockbench load` of this cell (NULL-terminated, strings owned
 * by *buf which the caller frees). */
char **sweep_cell_argv(const struct sweep *w, const int *idx, const char *json, char **buf)
{
	size_t cap = 16384, k = 0;
	char *b = malloc(cap),
	     **v = calloc(2 * SWEEP_MAX_AXES + 2 * SWEEP_MAX_SSH_OPTS + 24, sizeof *v);
	char server[4096];
	const char *tmpl = cell_cmd(w, idx);
	int n = 0;
	if (!b || !v ||
	    (tmpl ? cell_server_cmd(w, idx, tmpl, server, sizeof server)
		  : cell_serve_opts(w, idx, server, sizeof server)) < 0) {
		free(b);
		free(v);
		return NULL;
	}
#define PUT(s)                                                                                     \
	do {                                                                                       \
		v[n++] = b + k;                                                                    \
		k = sb_appendf(b, cap, k, "%s", s) + 1;                                            \
	} while (0)
	PUT(w->self);
	PUT("load");
	PUT(tmpl ? "--server-cmd" : "--serve");
	PUT(server);
	for (int i = 0; i < w->sp.naxes; i++) {
		const struct knob *kn = w->sp.knob[i];
		if (kn->kind != K_LOAD && kn->kind != K_LOAD_FIXED && kn->kind != K_BOTH &&
		    kn->kind != K_LOAD_FLAG)
			continue;
		char opt[80];
		snprintf(opt, sizeof opt, "--%s", kn->name);
		if (kn->kind == K_LOAD_FLAG) { /* on: the flag; off: nothing */
			if (!strcmp(w->sp.axes[i].v[idx[i]], "1"))
				PUT(opt);
			continue;
		}
		PUT(opt);
		PUT(w->sp.axes[i].v[idx[i]]);
	}
	n = spec_remote_args(&w->sp, (const char **)v, n,
			     2 * SWEEP_MAX_AXES + 2 * SWEEP_MAX_SSH_OPTS + 20);
	n = spec_remote_sysctls(&w->sp, idx, b, cap, &k, (const char **)v, n,
				2 * SWEEP_MAX_AXES + 2 * SWEEP_MAX_SSH_OPTS + 20);
	PUT("--quiet");
	if (json) {
		PUT("--json");
		PUT(json);
	}
#undef PUT
	v[n] = NULL;
	*buf = b;
	return v;
}

/* The value a sysctl axis writes: "32768-60999" -> "32768 60999". */
static void sysctl_text(const char *v, char *out, size_t len)
{
	snprintf(out, len, "%s", v);
	for (char *p = out; *p; p++)
		if (*p == '-' && p != out)
			*p = ' ';
}

/* In the child, inside its namespace: write the cell's sysctls. */
int sweep_set_sysctls(const struct sweep *w, const int *idx, char *err, size_t errlen)
{
	for (int i = 0; i < w->sp.naxes; i++) {
		const struct knob *kn = w->sp.knob[i];
		if (kn->kind != K_SYSCTL)
			continue;
		char val[128];
		sysctl_text(w->sp.axes[i].v[idx[i]], val, sizeof val);
		int r = sysctl_write(kn->alias, val);
		if (r < 0) {
			snprintf(
			    err, errlen,
			    "--%s: this kernel does not let the run's network namespace set %s "
			    "to '%s': %s",
			    kn->name, kn->alias, val, strerror(-r));
			return -1;
		}
	}
	return 0;
}

/* --- checks before the first run ------------------------------------- */

int sweep_validate_cells(struct sweep *w, char *err, size_t errlen)
{
	int idx[SWEEP_MAX_AXES];
	for (uint64_t c = 0; c < w->ncells; c++) {
		axis_cell(w->sp.axes, w->sp.naxes, c, idx);
		char *buf, **v = sweep_cell_argv(w, idx, NULL, &buf);
		if (!v) {
			snprintf(err, errlen, "run %llu: its command line does not fit in 8 KiB",
				 (unsigned long long)c + 1);
			return -1;
		}
		int n = 0;
		while (v[n])
			n++;
		struct load_config lc;
		char e[512];
		load_defaults(&lc);
		int r = load_parse(&lc, n - 1, v + 1, e, sizeof e);
		if (r == 0 && !cell_cmd(w, idx)) {
			struct serve_config sc;
			char **sw;
			int sn;
			serve_defaults(&sc);
			char *none[] = {NULL};
			sw = none;
			sn = 0;
			if (!lc.serve_opts[0] ||
			    words_split(lc.serve_opts, &sw, &sn, e, sizeof e) == 0) {
				char *args[sn + 2];
				args[0] = "serve";
				memcpy(args + 1, sw, (size_t)sn * sizeof *sw);
				args[sn + 1] = NULL;
				r = serve_parse(&sc, sn + 1, args, e, sizeof e);
				if (sn)
					words_free(sw);
			} else {
				r = -1;
			}
		}
		free(buf);
		free(v);
		if (r != 0) {
			snprintf(err, errlen, "%s", e);
			return -1;
		}
		for (int i = 0; i < w->sp.naxes; i++) {
			if (w->sp.knob[i]->kind != K_SYSCTL)
				continue;
			char *end;
			const char *val = w->sp.axes[i].v[idx[i]];
			if (!strcmp(w->sp.knob[i]->name, "port-range")) {
				long lo = strtol(val, &end, 10),
				     hi = *end == '-' ? strtol(end + 1, &end, 10) : -1;
				if (*end || lo < 1 || hi < lo || hi > 65535) {
					snprintf(err, errlen,
						 "--port-range: expected LO-HI (1-65535), got '%s'",
						 val);
					return -1;
				}
			} else if (strtol(val, &end, 10) < 0 || *end || !*val) {
				snprintf(err, errlen, "--%s: expected an integer >= 0, got '%s'",
					 w->sp.knob[i]->name, val);
				return -1;
			}
		}
	}
	return 0;
}

/* Try every sysctl axis's values in a throw-away namespace, so that a
 * kernel that refuses one says so before the sweep starts. */
int sweep_probe_sysctls(struct sweep *w, char *err, size_t errlen)
{
	/* on the host's namespace there is nothing to try here: its sysctls
	 * are never written, and --remote-sysctl's are the server host's */
	if (w->sp.host_netns)
		return 0;
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char e[512] = "";
		bool userns;
		close(p[0]);
		int idx[SWEEP_MAX_AXES];
		int rc = 0;
		if (!w->sp.host_netns && netns_enter_private(&userns, e, sizeof e) < 0)
			rc = 1;
		else if (!w->sp.host_netns)
			for (uint64_t c = 0; c < w->ncells && !rc; c++) {
				axis_cell(w->sp.axes, w->sp.naxes, c, idx);
				rc = sweep_set_sysctls(w, idx, e, sizeof e) < 0;
			}
		if (!rc)
			snprintf(e, sizeof e, "%s", userns ? "userns" : "root");
		if (write(p[1], e, strlen(e)) < 0)
			rc = 1;
		_exit(rc);
	}
	close(p[1]);
	char msg[512] = "";
	ssize_t n = read(p[0], msg, sizeof msg - 1);
	close(p[0]);
	msg[n > 0 ? n : 0] = '\0';
	int status = 0;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(err, errlen, "%s", msg[0] ? msg : "namespace probe failed");
		return -1;
	}
	w->userns = !strcmp(msg, "userns");
	return 0;
}

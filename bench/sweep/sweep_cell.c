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

/* argv for `sockbench load` of this cell (NULL-terminated, strings owned
 * by *buf which the caller frees). */
char **sweep_cell_argv(const struct sweep *w, const int *idx, const char *json, char **buf)
{
	size_t cap = 8192;
	char *b = malloc(cap), **v = calloc(2 * SWEEP_MAX_AXES + 16, sizeof *v);
	size_t k = 0;
	int n = 0;
	if (!b || !v) {
		free(b);
		free(v);
		return NULL;
	}
#define PUT(s)                                                                                     \
	do {                                                                                       \
		v[n++] = b + k;                                                                    \
		k += (size_t)snprintf(b + k, cap - k, "%s", s) + 1;                                \
	} while (0)
	PUT(w->self);
	PUT("load");
	char serve[4096] = "";
	size_t sl = 0;
	for (int i = 0; i < w->sp.naxes; i++) {
		const struct knob *kn = w->sp.knob[i];
		if (kn->kind != K_SERVE)
			continue;
		/* quoted whole: a value (a unix: path) may hold spaces or ' */
		sl = sb_appendf(serve, sizeof serve, sl, "--%s ", kn->alias ? kn->alias : kn->name);
		if (words_quote(serve, sizeof serve, &sl, w->sp.axes[i].v[idx[i]]) < 0) {
			free(b);
			free(v);
			return NULL; /* values are bounded far below 4 KiB */
		}
		sl = sb_appendf(serve, sizeof serve, sl, " ");
	}
	if (w->sp.pause_accept)
		sl = sb_appendf(serve, sizeof serve, sl, "--pause-accept ");
	if (w->sp.server_cmd[0]) {
		/* {backlog} and {recv_size} are the sweep's; {port} is load's */
		char cmd[4096];
		const char *bl = sweep_cell_value(w, idx, "backlog"),
			   *rs = sweep_cell_value(w, idx, "recv-size");
		char out[4096];
		snprintf(cmd, sizeof cmd, "%s", w->sp.server_cmd);
		words_fill(cmd, out, sizeof out, -1, bl ? atoi(bl) : 128,
			   rs ? (unsigned)atoi(rs) : 1024u, "127.0.0.1");
		PUT("--server-cmd");
		PUT(out);
	} else {
		PUT("--serve");
		PUT(serve);
	}
	for (int i = 0; i < w->sp.naxes; i++) {
		const struct knob *kn = w->sp.knob[i];
		if (kn->kind != K_LOAD && kn->kind != K_LOAD_FIXED)
			continue;
		char opt[80];
		snprintf(opt, sizeof opt, "--%s", kn->name);
		PUT(opt);
		PUT(w->sp.axes[i].v[idx[i]]);
	}
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
		if (r == 0 && !w->sp.server_cmd[0]) {
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
	bool any = false;
	for (int i = 0; i < w->sp.naxes; i++)
		any |= w->sp.knob[i]->kind == K_SYSCTL;
	if (!any && w->sp.host_netns)
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

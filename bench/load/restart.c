/* restart.c - --restart: the server load stopped, started again at once on
 * the same port, as a viewer restarts their server right after Ctrl-C.
 *
 *   same          the same options (a --server-cmd: the same command);
 *   reuseaddr     the same --serve options without --no-reuseaddr: the
 *                 listen socket has SO_REUSEADDR (serve's default), which
 *                 lets bind() pass the port's TIME_WAIT connections;
 *   no-reuseaddr  the same with --no-reuseaddr: without SO_REUSEADDR a
 *                 TIME_WAIT on the port makes bind() fail with
 *                 EADDRINUSE for as long as it lasts (60 s).
 *
 * What the new server said when it failed (its last stderr line) is the
 * lesson's point; it is recorded, not treated as the run's failure.  A
 * server that started is stopped at once: nothing outlives the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ending.h"
#include "sockbench/clock.h"
#include "sockbench/serve.h"
#include "tcpstates.h"

/* serve's options for the new server: the run's, --no-reuseaddr taken
 * out or put in as the mode says, and the old server's port. */
static int restart_opts(const struct load_config *c, int port, char *out, size_t cap, char *err,
			size_t errlen)
{
	char **w;
	int n;
	size_t k = 0;
	if (words_split(c->serve_opts, &w, &n, err, errlen) < 0)
		return -1;
	out[0] = '\0';
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		if (c->restart != RESTART_SAME && !strcmp(w[i], "--no-reuseaddr"))
			continue;
		rc = words_quote(out, cap, &k, w[i]);
		if (rc == 0 && k + 1 < cap)
			out[k++] = ' ', out[k] = '\0';
	}
	words_free(w);
	int m = snprintf(out + k, cap - k, "%s--port %d",
			 c->restart == RESTART_NO_REUSEADDR ? "--no-reuseaddr " : "", port);
	if (rc < 0 || m < 0 || (size_t)m >= cap - k)
		return snprintf(err, errlen, "--restart: the server's options are too long"), -1;
	return 0;
}

static int restart_start(const struct run *r, struct spawn *ns, int port, char *err,
			 size_t errlen)
{
	const struct load_config *c = r->cfg;
	if (c->serve) {
		static char opts[sizeof c->serve_opts + 64];
		if (restart_opts(c, port, opts, sizeof opts, err, errlen) < 0) {
			spawn_init(ns);
			return -1;
		}
		return spawn_serve(ns, opts, err, errlen);
	}
	/* {backlog} and {recv_size}: serve's defaults, as the first start */
	struct serve_config d;
	serve_defaults(&d);
	return spawn_cmd_at(ns, c->server_cmd, port, d.backlog, d.recv_size, err, errlen);
}

json_t *ending_restart(struct run *r, const struct spawn *sp, const json_t *last)
{
	struct spawn ns;
	char err[512] = "", stop_err[512];
	json_t *o = json_object();
	uint64_t t0 = clock_now_ns();
	int s = restart_start(r, &ns, sp->port, err, sizeof err);
	double took_ms = (double)(clock_now_ns() - t0) / 1e6;
	if (ns.warning[0])
		run_warn(r, "restart: %s", ns.warning);
	if (spawn_stop(&ns, NULL, stop_err, sizeof stop_err) < 0 && s == 0)
		run_warn(r, "restart: the restarted server: %s", stop_err);
	free(ns.err_tail);
	json_object_set_new(o, "mode", json_string(load_restart_names[r->cfg->restart]));
	json_object_set_new(o, "port", json_integer(sp->port));
	json_object_set_new(o, "ok", json_boolean(s == 0));
	json_object_set_new(o, "error", s == 0 ? json_null() : json_string(err));
	json_object_set_new(o, "took_ms", json_real(took_ms));
	json_object_set_new(o, "server_time_wait",
			    last ? json_integer(tcpstates_count(last, "server", "TIME_WAIT"))
				 : json_null());
	return o;
}

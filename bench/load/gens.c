/* gens.c - `sockbench load --generators H1,H2,...`: the same load run on
 * each host at once over ssh, merged exactly as `sockbench merge` does.
 *
 *  1. each host's clock, read over ssh (`date +%s%N`), against ours;
 *  2. one start moment, now + GENS_MARGIN_MS (ssh's setup fits in it), told
 *     to each host as --start-at in its own clock;
 *  3. `REMOTE_BIN load <the user's options> --start-at MS --json - --quiet`
 *     on every host at once; each run's JSON comes back on ssh's stdout;
 *  4. the runs that came back without an error merged (merge_runs); each
 *     host's own run kept beside the merged one (docs/design.md).
 * A host that fails is one line on stderr and an entry in "generators". */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "sockbench/clock.h"
#include "sockbench/jsonio.h"
#include "sockbench/stopsig.h"
#include "sockbench/version.h"
#include "gens.h"
#include "merge_int.h"

/* From the clock reading to the start: ssh's key exchange and session on
 * a LAN take tens of ms; 1.5 s leaves room for a slow host. */
#define GENS_MARGIN_MS 1500
/* A measured offset below this is taken as NTP's sync, not corrected
 * (the reading's own error is the one-way delay of the date line). */
#define GENS_OFFSET_FIX_MS 10
/* A --requests run has no set length: bounded at this much. */
#define GENS_REQUESTS_CAP_S 600

struct gen_host {
	char name[256];
	struct gen_chan ch;
	bool failed;
	char error[600];
	double offset_ms, window_ms; /* remote clock - ours, and how wide the reading */
	bool clock_read;
	uint64_t start_at_ms; /* in its own clock */
	json_t *run;
	char file[1200];
};

static int parse_hosts(const char *list, struct gen_host *h, int *n, char *err, size_t errlen)
{
	char buf[sizeof((struct load_config *)0)->generators], *save = NULL;
	snprintf(buf, sizeof buf, "%s", list);
	*n = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n == GENS_MAX)
			return snprintf(err, errlen, "--generators: at most %d hosts", GENS_MAX),
			       -1;
		/* a host that begins with '-' would be an ssh option */
		if (t[0] == '-' || strlen(t) >= sizeof h->name || strpbrk(t, " \t\n'\"\\/"))
			return snprintf(err, errlen, "--generators: '%s' is not [USER@]HOST", t),
			       -1;
		for (int i = 0; i < *n; i++)
			if (!strcmp(h[i].name, t))
				return snprintf(err, errlen, "--generators: %s twice", t), -1;
		snprintf(h[(*n)++].name, sizeof h->name, "%s", t);
	}
	if (!*n)
		return snprintf(err, errlen, "--generators: expected [USER@]HOST,..."), -1;
	return 0;
}

/* The row an argument names, as getopt_long finds it (a unique prefix). */
static const struct optab_row *row_of(const char *arg, size_t len)
{
	const struct optab_row *hit = NULL;
	for (const struct optab_row *r = load_optab.rows; r->name; r++) {
		if (strncmp(r->name, arg, len))
			continue;
		if (strlen(r->name) == len)
			return r;
		hit = hit ? (const struct optab_row *)-1 : r;
	}
	return hit == (const struct optab_row *)-1 ? NULL : hit;
}

/* The user's command line for the remote load: all but the options that
 * are this side's (which hosts, how to reach them, where the JSON goes). */
static int remote_words(const struct load_config *c, int argc, char **argv,
			const struct gens_srv *srv, char **w, int max)
{
	static const char *const local[] = {"generators",  "ssh-opt", "remote-bin",    "json",
					    "server-host", "serve",   "remote-sysctl", NULL};
	int k = 0;
	w[k++] = (char *)c->remote_bin;
	w[k++] = "load";
	for (int i = 1; i < argc && k < max - 12; i++) { /* room for run_all's words */
		const char *a = argv[i];
		size_t len = strcspn(a + 2, "=");
		const struct optab_row *r = strncmp(a, "--", 2) ? NULL : row_of(a + 2, len);
		bool takes = r && r->kind != OPTK_FLAG && !a[2 + len];
		bool drop = false;
		for (int j = 0; r && local[j]; j++)
			drop |= !strcmp(r->name, local[j]);
		if (!drop)
			w[k++] = argv[i];
		if (takes && i + 1 < argc && !drop)
			w[k++] = argv[i + 1];
		i += takes;
	}
	if (srv) { /* the server load started: the generators' --target */
		w[k++] = "--target";
		w[k++] = (char *)srv->target;
	}
	return k;
}

/* 1: every host's clock at once; a host ssh cannot reach fails here. */
static void read_clocks(const struct load_config *c, struct gen_host *h, int n)
{
	char *date[] = {"date", "+%s%N"}, why[200], err[300];
	struct gen_chan ch[GENS_MAX];
	for (int i = 0; i < n; i++)
		if (gchan_start(&ch[i], c, h[i].name, date, 2, false, err, sizeof err) < 0) {
			h[i].failed = true;
			snprintf(h[i].error, sizeof h[i].error, "ssh: %s", err);
		}
	gchan_wait(ch, n, gens_wall_ns() + 15000000000ull, why, sizeof why, NULL, 0);
	for (int i = 0; i < n; i++) {
		unsigned long long remote = 0;
		char line[300];
		gchan_last_line(&ch[i], line, sizeof line);
		if (h[i].failed) {
		} else if (!ch[i].reaped || !WIFEXITED(ch[i].status) || WEXITSTATUS(ch[i].status)) {
			h[i].failed = true;
			snprintf(h[i].error, sizeof h[i].error, "ssh %s: %s", h[i].name,
				 line[0]  ? line
				 : why[0] ? why
					  : "exited with an error");
		} else if (!ch[i].obuf || sscanf(ch[i].obuf, "%llu", &remote) != 1 ||
			   remote < 1000000000000000000ull) {
			h[i].failed = true;
			snprintf(h[i].error, sizeof h[i].error,
				 "clock: `date +%%s%%N` on %s answered '%.40s'", h[i].name,
				 ch[i].obuf ? ch[i].obuf : "");
		} else {
			/* the date ran just before its line reached us: the
			 * offset is remote - (our time then), which lies between
			 * remote - t_first and remote - t_start (ssh's whole setup
			 * is in that window, so its midpoint would be off by half
			 * of it); taken at the tight end */
			h[i].offset_ms = ((double)remote - (double)ch[i].t_first_ns) / 1e6;
			h[i].window_ms = (double)(ch[i].t_first_ns - ch[i].t_start_ns) / 1e6;
			h[i].clock_read = true;
		}
		gchan_free(&ch[i]);
	}
}

/* Why a host's run did not come back, in one line. */
static void run_failure(struct gen_host *h, const struct load_config *c)
{
	char line[300], name[sizeof h->name];
	gchan_last_line(&h->ch, line, sizeof line);
	/* a copy: h->name and h->error are one struct (gcc's -Wrestrict) */
	snprintf(name, sizeof name, "%s", h->name);
	int st = h->ch.status;
	int code = h->ch.reaped && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	json_t *e = h->run ? json_object_get(h->run, "error") : NULL;
	h->failed = true;
	if (json_is_string(e))
		snprintf(h->error, sizeof h->error, "run on %s: %s", name, json_string_value(e));
	else if (h->ch.killed)
		snprintf(h->error, sizeof h->error, "%s: stopped (no result)", name);
	else if (code == 255)
		snprintf(h->error, sizeof h->error, "ssh %s: %s", name, line[0] ? line : "failed");
	else if (code == 127)
		snprintf(h->error, sizeof h->error, "%s not found on %s (--remote-bin): %s",
			 c->remote_bin, name, line);
	else
		snprintf(h->error, sizeof h->error, "%s: no run JSON (exit %d): %s", name, code,
			 line[0] ? line : "no message");
}

/* 2 and 3: the runs, started together; the wait bounded. */
static int run_all(const struct load_config *c, const struct gens_srv *srv, struct gen_host *h,
		   int n, char **w, int k, char *why, size_t whylen)
{
	uint64_t start = gens_wall_ns() / 1000000 + GENS_MARGIN_MS;
	char at[32], err[300];
	w[k++] = "--start-at";
	w[k++] = at;
	w[k++] = "--json";
	w[k++] = "-";
	w[k++] = "--quiet";
	/* our stop (or death) ends its ssh channel, and so the run there */
	w[k++] = "--stop-on-eof";
	for (int i = 0; i < n; i++) {
		if (h[i].failed) {
			h[i].ch = (struct gen_chan){.out = -1, .err = -1, .in = -1};
			continue;
		}
		double fix =
		    h[i].offset_ms > GENS_OFFSET_FIX_MS || h[i].offset_ms < -GENS_OFFSET_FIX_MS
			? h[i].offset_ms
			: 0;
		h[i].start_at_ms = (uint64_t)((double)start + fix);
		snprintf(at, sizeof at, "%" PRIu64, h[i].start_at_ms);
		if (gchan_start(&h[i].ch, c, h[i].name, w, k, true, err, sizeof err) < 0) {
			h[i].failed = true;
			snprintf(h[i].error, sizeof h[i].error, "ssh: %s", err);
		}
	}
	double len_s =
	    c->requests ? GENS_REQUESTS_CAP_S : (double)(c->duration_us + c->warmup_us) / 1e6;
	uint64_t deadline = (start + (uint64_t)(len_s * 1000) + 30000) * 1000000ull;
	struct gen_chan ch[GENS_MAX];
	for (int i = 0; i < n; i++)
		ch[i] = h[i].ch;
	/* the start on our monotonic clock, for the server's queue samples */
	uint64_t start_ns = clock_now_ns() + start * 1000000ull - gens_wall_ns();
	int rc = gchan_wait(ch, n, deadline, why, whylen, srv, start_ns);
	for (int i = 0; i < n; i++)
		h[i].ch = ch[i];
	return rc;
}

/* Each host's run beside F: F without ".json", then ".HOST.json". */
static void keep_run(const struct load_config *c, struct gen_host *h)
{
	char err[300];
	const char *p = c->json_path;
	size_t l = strlen(p);
	if (!h->run || !p[0] || json_named_fd(p) >= 0)
		return;
	if (l > 5 && !strcmp(p + l - 5, ".json"))
		l -= 5;
	char name[sizeof h->name]; /* not from the struct written to (-Wrestrict) */
	snprintf(name, sizeof name, "%s", h->name);
	snprintf(h->file, sizeof h->file, "%.*s.%s.json", (int)l, p, name);
	if (json_write_atomic(h->run, h->file, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench load: %s\n", err);
		h->file[0] = '\0';
	}
}

static json_t *host_json(const struct gen_host *h)
{
	json_t *o = json_pack("{s:s, s:s, s:o, s:o}", "host", h->name, "status",
			      h->failed ? "failed" : "ok", "error",
			      h->failed ? json_string(h->error) : json_null(), "file",
			      h->file[0] ? json_string(h->file) : json_null());
	json_object_set_new(o, "clock_offset_ms",
			    h->clock_read ? json_real(h->offset_ms) : json_null());
	json_object_set_new(o, "clock_window_ms",
			    h->clock_read ? json_real(h->window_ms) : json_null());
	json_object_set_new(o, "start_at_ms",
			    h->start_at_ms ? json_integer((json_int_t)h->start_at_ms)
					   : json_null());
	json_object_set_new(o, "exit",
			    h->ch.reaped && WIFEXITED(h->ch.status)
				? json_integer(WEXITSTATUS(h->ch.status))
				: json_null());
	if (!h->file[0] && h->run) /* no file to keep it in (--json -): here */
		json_object_set(o, "run", h->run);
	return o;
}

/* 4: the runs that came back merged; none: a run of its own that says so. */
static json_t *merged(const struct load_config *c, struct gen_host *h, int n, char *err,
		      size_t errlen)
{
	json_t *runs[GENS_MAX], *out = NULL;
	const char *names[GENS_MAX];
	int k = 0;
	err[0] = '\0';
	for (int i = 0; i < n; i++)
		if (!h[i].failed) {
			runs[k] = h[i].run;
			names[k++] = h[i].file[0] ? h[i].file : h[i].name;
		}
	if (k && merge_runs(runs, names, k, false, &out, err, errlen) < 0)
		out = NULL;
	if (!out) {
		out = json_pack("{s:s, s:o, s:{s:o}}", "schema", "sockbench.run/2", "tool",
				sb_tool_json(), "config", "load", load_config_json(c));
		json_object_set_new(out, "merged_from", json_array());
	}
	return out;
}

/* The hosts, who is missing, and the error that names them. */
static void record(json_t *out, struct gen_host *h, int n, const char *merge_err, const char *why)
{
	json_t *hosts = json_array(), *missing = json_array();
	char e[2048];
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		json_array_append_new(hosts, host_json(&h[i]));
		if (!h[i].failed)
			continue;
		json_array_append_new(missing, json_string(h[i].name));
		k += (size_t)snprintf(e + k, k < sizeof e ? sizeof e - k : 0, "%s%s",
				      k ? "; " : "generator failed: ", h[i].error);
	}
	json_object_set_new(out, "generators", hosts);
	json_object_set_new(out, "generators_missing", missing);
	if (merge_err[0])
		snprintf(e, sizeof e, "merge: %s", merge_err);
	else if (why[0])
		snprintf(e, sizeof e, "%s", why);
	if (k || merge_err[0] || why[0])
		json_object_set_new(out, "error", json_string(e));
}

/* The server's host's keys on the merged run: "kernel" becomes that
 * host's (where the accept queue overflows), and the generators' merged
 * counters move to "generators_kernel". */
static void server_keys(json_t *out, json_t *keys)
{
	json_t *k = json_object_get(out, "kernel");
	json_object_set(out, "generators_kernel", k ? k : json_null());
	/* the server's error after the generators' (both count); its
	 * warnings and explain lines after theirs; its settings in config */
	const char *se = json_string_value(json_object_get(keys, "error"));
	const char *ge = json_string_value(json_object_get(out, "error"));
	if (se && ge) {
		char e[4096];
		snprintf(e, sizeof e, "%s; %s", ge, se);
		json_object_set_new(keys, "error", json_string(e));
	}
	static const char *const lists[] = {"warnings", "explain"};
	for (int i = 0; i < 2; i++) {
		json_t *have = json_object_get(out, lists[i]),
		       *add = json_object_get(keys, lists[i]);
		if (json_is_array(have) && json_is_array(add)) {
			json_array_extend(have, add);
			json_object_del(keys, lists[i]);
		}
	}
	json_t *cfg = json_object_get(out, "config");
	if (json_is_object(cfg))
		json_object_set(cfg, "server", json_object_get(keys, "config_server"));
	json_object_del(keys, "config_server");
	json_object_update(out, keys);
	json_decref(keys);
}

static void summary(const struct load_config *c, struct gen_host *h, int n, json_t *out)
{
	/* --json -: the JSON has stdout, the lines go to stderr */
	FILE *f = json_named_fd(c->json_path) == 1 ? stderr : stdout;
	for (int i = 0; i < n; i++) {
		if (h[i].failed) {
			fprintf(stderr, "sockbench load: generator %s\n", h[i].error);
			continue;
		}
		if (c->quiet)
			continue;
		fprintf(f,
			"%-24s clock %+.1f ms (window %.1f ms)  completed %.0f  %.0f req/s  p99 "
			"%.0f us\n",
			h[i].name, h[i].offset_ms, h[i].window_ms,
			json_path_num(h[i].run, "load.requests.completed"),
			json_path_num(h[i].run, "load.throughput.requests_per_s"),
			json_path_num(h[i].run, "load.requests.latency_us.p99"));
	}
	if (!c->quiet)
		fprintf(f, "%-24s completed %.0f  %.0f req/s  p50 %.0f us  p99 %.0f us\n", "merged",
			json_path_num(out, "load.requests.completed"),
			json_path_num(out, "load.throughput.requests_per_s"),
			json_path_num(out, "load.requests.latency_us.p50"),
			json_path_num(out, "load.requests.latency_us.p99"));
}

/* The options that cannot go with --generators, said before any ssh. */
static int gens_check(const struct load_config *c, char *err, size_t errlen)
{
	if (!c->target[0] && !c->server_host[0])
		return snprintf(err, errlen,
				"--generators: needs --target or --server-host, the server every "
				"host reaches (--serve and --server-cmd would start it here)"),
		       -1;
	if (c->start_at_ms)
		return snprintf(err, errlen, "--generators sets --start-at itself"), -1;
	if (c->live || c->live_fd >= 0 || c->jsonl_path[0])
		return snprintf(err, errlen,
				"--generators: --live, --live-fd and --jsonl are one host's; "
				"not with --generators"),
		       -1;
	return 0;
}

int gens_precheck(const struct load_config *c, char *err, size_t errlen)
{
	static struct gen_host h[GENS_MAX];
	int n;
	return gens_check(c, err, errlen) < 0 || parse_hosts(c->generators, h, &n, err, errlen) < 0
		   ? -1
		   : 0;
}

int gens_main(const struct load_config *c, int argc, char **argv, const struct gens_srv *srv)
{
	static struct gen_host h[GENS_MAX];
	char err[600], why[200] = "", merge_err[600];
	char *w[argc + 16];
	int n;
	if (gens_check(c, err, sizeof err) < 0 ||
	    parse_hosts(c->generators, h, &n, err, sizeof err) < 0) {
		if (srv)
			json_decref(srv->end(srv->arg)); /* the server stopped */
		fprintf(stderr, "sockbench load: %s\n", err);
		return 2;
	}
	int k = remote_words(c, argc, argv, srv, w, argc + 16);
	stopsig_install();
	read_clocks(c, h, n);
	if (!stopsig_caught())
		run_all(c, srv, h, n, w, k, why, sizeof why);
	for (int i = 0; i < n; i++) {
		json_error_t je;
		if (!h[i].failed && h[i].ch.obuf)
			h[i].run = json_loads(h[i].ch.obuf, 0, &je);
		if (!h[i].failed && (!json_is_object(h[i].run) ||
				     !json_is_null(json_object_get(h[i].run, "error"))))
			run_failure(&h[i], c);
		keep_run(c, &h[i]);
		gchan_free(&h[i].ch);
	}
	json_t *out = merged(c, h, n, merge_err, sizeof merge_err);
	record(out, h, n, merge_err, why);
	if (srv) /* the generators' own counters stay, as generators_kernel */
		server_keys(out, srv->end(srv->arg));
	int rc =
	    json_is_null(json_object_get(out, "error")) || !json_object_get(out, "error") ? 0 : 1;
	if (stopsig_caught())
		rc = 128 + stopsig_caught();
	if (c->json_path[0] && json_write_atomic(out, c->json_path, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench load: --json %s\n", err);
		rc = rc ? rc : 1;
	}
	summary(c, h, n, out);
	if (merge_err[0])
		fprintf(stderr, "sockbench load: merge: %s\n", merge_err);
	json_decref(out);
	for (int i = 0; i < n; i++)
		json_decref(h[i].run);
	return rc;
}

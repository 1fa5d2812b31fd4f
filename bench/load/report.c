/* report.c - a load run as JSON (SPEC section 6), as a human summary, and
 * as plain sentences that say what the numbers mean. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockbench/hist.h"
#include "report.h"
#include "sockbench/stopsig.h"
#include "slots.h"
#include "sockbench/server.h"
#include "sockbench/version.h"

#define SET(o, k, v) json_object_set_new(o, k, v)
#define INT(x)	     json_integer((json_int_t)(x))

void run_init(struct run *r, const struct load_config *cfg)
{
	memset(r, 0, sizeof *r);
	r->cfg = cfg;
	r->warnings = json_array();
	r->explain = json_array();
	r->aq_limit = -1;
	livefd_init(&r->live, -1);
	lstats_hists_init(&r->ls);
}

void run_free(struct run *r)
{
	lstats_free(&r->ls);
	json_decref(r->server);
	json_decref(r->env);
	json_decref(r->server_env);
	json_decref(r->remote_sysctl);
	json_decref(r->warnings);
	json_decref(r->explain);
	json_decref(r->leave);
	json_decref(r->tcp_states);
	json_decref(r->restart);
	free(r->aq);
	free(r->ivx);
}

struct ivx *run_ivx(struct run *r, int i)
{
	if (i < 0 || i >= IV_CHUNK * IV_CHUNKS)
		return NULL;
	if (i >= r->nivx) {
		int n = i + 64;
		struct ivx *v = realloc(r->ivx, (size_t)n * sizeof *v);
		if (!v)
			return NULL;
		memset(v + r->nivx, 0, (size_t)(n - r->nivx) * sizeof *v);
		r->ivx = v;
		r->nivx = n;
	}
	return &r->ivx[i];
}

static void add_line(json_t *arr, const char *fmt, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof buf, fmt, ap);
	json_array_append_new(arr, json_string(buf));
}

void run_warn(struct run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_line(r->warnings, fmt, ap);
	va_end(ap);
}

void run_explainf(struct run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_line(r->explain, fmt, ap);
	va_end(ap);
}

void run_aq_sample(struct run *r, int64_t t_ms, int len, int limit)
{
	if (r->naq == r->aq_cap) {
		int cap = r->aq_cap ? 2 * r->aq_cap : 1024;
		int64_t(*v)[2] = realloc(r->aq, (size_t)cap * sizeof *v);
		if (!v)
			return;
		r->aq = v;
		r->aq_cap = cap;
	}
	r->aq[r->naq][0] = t_ms;
	r->aq[r->naq][1] = len;
	r->naq++;
	r->have_aq = true;
	if (len > r->aq_max)
		r->aq_max = len;
	r->aq_limit = limit;
}

static json_int_t jint(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* stream over TCP: a byte counts when the peer acknowledged it, not when
 * send() copied it into our own socket buffer (into a server that closes
 * at once, send() "succeeds" at memory speed until the RST arrives).  A
 * unix socket's send() puts the bytes straight into the peer's receive
 * queue, so there what was written was delivered. */
static bool acked_used(const struct run *r)
{
	return r->cfg->mode == MODE_STREAM && strncmp(r->target, "unix:", 5) != 0 &&
	       !r->ls.acked_unknown;
}

uint64_t run_bytes(const struct run *r)
{
	const struct lstats *s = &r->ls;
	return acked_used(r) ? s->bytes_acked : s->bytes_in + s->bytes_out;
}

static json_t *stream_json(const struct run *r)
{
	const struct lstats *s = &r->ls;
	json_t *o = json_object();
	SET(o, "bytes_written", INT(s->bytes_out));
	SET(o, "bytes_delivered", INT(run_bytes(r)));
	SET(o, "delivered_by",
	    json_string(acked_used(r) ? "tcpi_bytes_acked"
			: !strncmp(r->target, "unix:", 5)
			    ? "written: a unix socket writes into the peer's receive queue"
			    : "written: TCP_INFO failed on some connections"));
	SET(o, "acked_unknown", INT(s->acked_unknown));
	return o;
}

static json_t *errors_json(const struct lstats *s)
{
	json_t *o = json_object();
	for (int k = 1; k < LERR_KINDS; k++) {
		char buf[32];
		if (s->err[k])
			SET(o, lerr_name(k, buf, sizeof buf), INT(s->err[k]));
	}
	return o;
}

/* The generator process as a whole (controller and sampling included):
 * what `time` would say of it, and its peak memory. */
static json_t *process_json(void)
{
	struct rusage ru;
	json_t *o = json_object();
	getrusage(RUSAGE_SELF, &ru);
	SET(o, "cpu_user_s", json_real((double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6));
	SET(o, "cpu_sys_s", json_real((double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6));
	long hwm = proc_status_kib("VmHWM");
	SET(o, "max_rss_kib", hwm >= 0 ? INT(hwm) : json_null());
	return o;
}

/* {"status": {"200": n, ...}, "not_2xx_3xx": n}: what wrk calls
 * "Non-2xx or 3xx responses", and the exact codes behind it. */
static json_t *http_json(const struct lstats *s)
{
	json_t *o = json_object(), *st = json_object();
	uint64_t other = 0;
	for (int k = 0; k < HTTP_STATUS_MAX - 100; k++) {
		char code[8];
		if (!s->http_status[k])
			continue;
		snprintf(code, sizeof code, "%d", k + 100);
		SET(st, code, INT(s->http_status[k]));
		if (k + 100 < 200 || k + 100 >= 400)
			other += s->http_status[k];
	}
	SET(o, "status", st);
	SET(o, "not_2xx_3xx", INT(other));
	return o;
}

static json_t *pct_us(const struct ival *v, double p)
{
	return v && v->h && v->h->count ? json_real((double)hist_percentile(v->h, p) / 1e3)
					: json_null();
}

json_t *run_interval_json(const struct run *r, int i, const struct ival *v)
{
	static const struct ival none;
	const struct ivx *x = i < r->nivx && r->ivx[i].sampled ? &r->ivx[i] : NULL;
	bool slots = slots_apply(r->cfg->mode);
	v = v ? v : &none;
	json_t *o = json_object();
	SET(o, "t_s", json_real((double)r->cfg->interval_us / 1e6 * (i + 1)));
	SET(o, "requests", INT(v->requests));
	SET(o, "connects", INT(v->connects));
	SET(o, "bytes", INT(v->bytes));
	SET(o, "p50_us", pct_us(v, 50));
	SET(o, "p99_us", pct_us(v, 99));
	SET(o, "errors", INT(v->errors));
	SET(o, "established", INT(v->open));
	SET(o, "served", slots ? INT(v->served) : json_null());
	SET(o, "starved", slots ? INT(v->starved) : json_null());
	SET(o, "syn_retry_waiting", INT(v->syn_wait));
	SET(o, "listen_overflows",
	    x && x->listen_overflows >= 0 ? INT(x->listen_overflows) : json_null());
	SET(o, "accept_queue",
	    x && x->aq_len >= 0 ? json_pack("{s:i, s:i}", "len", x->aq_len, "limit", x->aq_limit)
				: json_null());
	SET(o, "server_accepted",
	    x && x->server_accepted >= 0 ? INT(x->server_accepted) : json_null());
	return o;
}

static json_t *intervals_json(const struct run *r)
{
	json_t *a = json_array();
	for (int i = 0; i < r->ls.niv; i++)
		json_array_append_new(
		    a, run_interval_json(r, i, lstats_ival((struct lstats *)&r->ls, i, false)));
	return a;
}

/* The client's ephemeral ports (getsockname after each handshake). */
static json_t *ports_json(const struct lstats *s)
{
	if (!s->lport_bits)
		return json_null();
	return json_pack("{s:i, s:i, s:I}", "min", s->lport_min, "max", s->lport_max, "distinct",
			 (json_int_t)lstats_ports(s));
}

/* The run's end (ending.c) and its stop by a signal. */
static void end_json(json_t *o, const struct run *r)
{
	SET(o, "leave", r->leave ? json_incref(r->leave) : json_null());
	SET(o, "tcp_states", r->tcp_states ? json_incref(r->tcp_states) : json_null());
	SET(o, "restart", r->restart ? json_incref(r->restart) : json_null());
	SET(o, "stop",
	    r->stop_sig ? json_pack("{s:s, s:f}", "signal", stopsig_name(r->stop_sig), "took_s",
				    r->stop_took_s)
			: json_null());
}

/* kernel and accept_queue, each saying on which host it was read:
 * "server" is --server-host's, "local" this one (the generator's, and the
 * server's when it runs here). */
void run_kernel_json(json_t *o, const struct run *r)
{
	json_t *k = json_object();
	SET(k, "delta", r->have_k ? kstat_delta_json(&r->k0, &r->k1) : json_null());
	SET(k, "host", json_string(r->cfg->server_host[0] ? "server" : "local"));
	SET(o, "kernel", k);
	if (r->have_aq) {
		json_t *aq = json_object(), *smp = json_array();
		SET(aq, "max_seen", INT(r->aq_max));
		SET(aq, "limit", INT(r->aq_limit));
		for (int i = 0; i < r->naq; i++) {
			json_t *p = json_array();
			json_array_append_new(p, INT(r->aq[i][0]));
			json_array_append_new(p, INT(r->aq[i][1]));
			json_array_append_new(smp, p);
		}
		SET(aq, "samples", smp);
		SET(aq, "host", json_string(r->cfg->server_host[0] ? "server" : "local"));
		SET(o, "accept_queue", aq);
	} else {
		SET(o, "accept_queue", json_null());
	}
}

json_t *run_json(const struct run *r)
{
	const struct lstats *s = &r->ls;
	json_t *o = json_object(), *cfg = json_object();
	SET(o, "schema", json_string("sockbench.run/2"));
	/* the commit and the data directories too: what ran, from where */
	SET(o, "tool", sb_tool_json());
	SET(o, "started_at", json_string(r->started_at));
	SET(o, "started_at_ms", INT(r->started_at_ms));
	SET(o, "duration_s", json_real(r->duration_s));
	SET(o, "environment", r->env ? json_incref(r->env) : json_null());
	/* --server-host: the server's host has its own (from probe's hello) */
	if (r->cfg->server_host[0])
		SET(o, "server_environment",
		    r->server_env ? json_incref(r->server_env) : json_null());
	if (r->cfg->nremote_sysctl)
		SET(o, "remote_sysctl",
		    r->remote_sysctl ? json_incref(r->remote_sysctl) : json_null());
	SET(cfg, "server", r->scfg ? serve_config_json(r->scfg) : json_null());
	SET(cfg, "load", load_config_json(r->cfg));
	SET(cfg, "target", json_string(r->target));
	SET(o, "config", cfg);

	json_t *load = json_object(), *c = json_object(), *q = json_object(), *t = json_object();
	SET(c, "attempted", INT(s->attempted));
	SET(c, "established", INT(s->established));
	SET(c, "failed", INT(s->conn_failed));
	SET(c, "reconnects", INT(s->reconnects));
	SET(c, "latency_us", hist_latency_json(&s->conn_lat));
	SET(c, "failed_latency_us", hist_latency_json(&s->conn_fail_lat));
	SET(c, "served", slots_apply(r->cfg->mode) ? INT(s->served) : json_null());
	SET(c, "starved", slots_apply(r->cfg->mode) ? INT(s->starved) : json_null());
	SET(c, "local_ports", ports_json(s));
	SET(load, "connections", c);
	SET(q, "completed", INT(s->completed));
	SET(q, "failed", INT(s->req_failed));
	SET(q, "in_flight_at_end", INT(s->in_flight_at_end));
	SET(q, "latency_us", slots_latency_json(s, r->cfg->rate <= 0));
	SET(q, "latency_completed_us", hist_latency_json(&s->req_lat));
	SET(q, "latency_uncorrected_us",
	    r->cfg->rate > 0 ? hist_latency_json(&s->req_lat_unc) : json_null());
	SET(load, "requests", q);
	double d = r->duration_s > 0 ? r->duration_s : 1;
	SET(t, "requests_per_s", json_real((double)s->completed / d));
	SET(t, "bytes_per_s", json_real((double)run_bytes(r) / d));
	SET(t, "connections_per_s", json_real((double)s->established / d));
	SET(load, "fairness", slots_fairness_json(s, r->cfg->mode));
	SET(load, "throughput", t);
	SET(load, "bytes_out", INT(s->bytes_out));
	SET(load, "bytes_in", INT(s->bytes_in));
	SET(load, "errors", errors_json(s));
	SET(load, "intervals", intervals_json(r));
	SET(load, "cpu_s_busiest_thread", json_real(s->cpu_s));
	SET(load, "cpu_s_threads", json_real(s->cpu_total_s));
	SET(load, "process", process_json());
	SET(load, "http", r->cfg->mode == MODE_HTTP ? http_json(s) : json_null());
	SET(load, "stream", r->cfg->mode == MODE_STREAM ? stream_json(r) : json_null());
	SET(o, "load", load);
	SET(o, "server", r->server ? json_incref(r->server) : json_null());
	end_json(o, r);

	run_kernel_json(o, r);
	SET(o, "explain", json_incref(r->explain));
	SET(o, "warnings", json_incref(r->warnings));
	SET(o, "generator_bound", json_boolean(r->generator_bound));
	SET(o, "error", r->error[0] ? json_string(r->error) : json_null());
	return o;
}

static const char *fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
	return buf;
}

static void lat(FILE *f, const char *what, const struct hist *h)
{
	char a[5][24];
	if (!h->count)
		return;
	fprintf(f, "  %-16s p50 %-9s p90 %-9s p99 %-9s p99.9 %-9s max %s\n", what,
		fmt_ns(hist_percentile(h, 50), a[0], 24), fmt_ns(hist_percentile(h, 90), a[1], 24),
		fmt_ns(hist_percentile(h, 99), a[2], 24),
		fmt_ns(hist_percentile(h, 99.9), a[3], 24), fmt_ns(h->max, a[4], 24));
}

void run_summary(const struct run *r, FILE *f)
{
	const struct lstats *s = &r->ls;
	const struct load_config *c = r->cfg;
	fprintf(f, "sockbench load: %s, %d conns, %d threads, target %s\n",
		load_mode_names[c->mode], c->conns, c->threads, r->target);
	if (r->error[0])
		fprintf(f, "  error: %s\n", r->error);
	double d = r->duration_s > 0 ? r->duration_s : 1;
	fprintf(
	    f,
	    "  %.2f s: %llu requests (%.0f/s), %.2f MB/s, connections %llu of %llu established\n",
	    r->duration_s, (unsigned long long)s->completed, (double)s->completed / d,
	    (double)run_bytes(r) / d / 1e6, (unsigned long long)s->established,
	    (unsigned long long)s->attempted);
	slots_summary(s, c, f);
	lat(f, "connect latency", &s->conn_lat);
	static struct hist felt; /* completed and censored; ~59 KB: off the stack */
	lstats_req_felt(s, c->rate <= 0, &felt);
	lat(f, "request latency", &felt);
	if (hist_percentile(&felt, 99) > hist_percentile(&s->req_lat, 99) / 10 * 11)
		lat(f, "  (completed)", &s->req_lat); /* the waiting clients moved the tail */
	if (c->rate > 0)
		lat(f, "  (uncorrected)", &s->req_lat_unc);
	if (s->in_flight_at_end)
		fprintf(f, "  in flight at end: %llu\n", (unsigned long long)s->in_flight_at_end);
	bool any = false;
	for (int k = 0; c->mode == MODE_HTTP && k < HTTP_STATUS_MAX - 100; k++) {
		if (!s->http_status[k])
			continue;
		fprintf(f, "%s %d: %llu", any ? "," : "  http status", k + 100,
			(unsigned long long)s->http_status[k]);
		any = true;
	}
	if (any)
		fputc('\n', f);
	any = false;
	for (int k = 1; k < LERR_KINDS; k++) {
		char buf[32];
		if (!s->err[k])
			continue;
		fprintf(f, "%s %s %llu", any ? "," : "  errors:", lerr_name(k, buf, sizeof buf),
			(unsigned long long)s->err[k]);
		any = true;
	}
	if (any)
		fputc('\n', f);
	if (r->have_k) {
		json_t *kd = kstat_delta_json(&r->k0, &r->k1);
		const char *key;
		json_t *v;
		any = false;
		json_object_foreach(kd, key, v)
		{
			if (!json_integer_value(v) || !strcmp(key, "CurrEstab"))
				continue;
			fprintf(f, "%s %s +%lld", any ? "," : "  kernel:", key,
				(long long)json_integer_value(v));
			any = true;
		}
		if (any)
			fputc('\n', f);
		json_decref(kd);
	}
	if (r->server)
		fprintf(
		    f, "  server: accepted %lld, requests %lld, short sends %lld, errors %s\n",
		    (long long)jint(r->server, "accepted"), (long long)jint(r->server, "requests"),
		    (long long)jint(r->server, "short_sends"),
		    json_object_size(json_object_get(r->server, "errors")) ? "(see JSON)" : "none");
	size_t i;
	json_t *v;
	json_array_foreach(r->warnings, i, v) fprintf(f, "  warning: %s\n", json_string_value(v));
	json_array_foreach(r->explain, i, v) fprintf(f, "  explain: %s\n", json_string_value(v));
}

/* watch.c - the controller while the load runs: the accept queue sampled
 * through sock_diag, each interval emitted once every thread is past it
 * (--jsonl, --live-fd, and on a terminal one line that stays), the live
 * stream's ticks ten times a second (docs/live.md).  It reads only what
 * the threads publish (engine_live, engine_interval): no locks. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/diag.h"
#include "sockbench/jsonio.h"
#include "sockbench/stopsig.h"
#include "slots.h"
#include "watch.h"

#define TICK_LIVE_NS 100000000ull /* ten ticks a second */

FILE *load_human(const struct load_config *c)
{
	return json_named_fd(c->json_path) == STDOUT_FILENO ||
		       json_named_fd(c->jsonl_path) == STDOUT_FILENO || c->live_fd == STDOUT_FILENO
		   ? stderr
		   : stdout;
}

/* The accept queue can be watched when the listen socket lives in this
 * network namespace: a server we started, or a loopback target. */
static int queue_port(const struct net_addr *a, bool started)
{
	if (a->family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
		if (started || (ntohl(in->sin_addr.s_addr) >> 24) == 127)
			return ntohs(in->sin_port);
	} else if (a->family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
		if (started || IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return ntohs(in6->sin6_port);
	}
	return -1;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
			      .tv_nsec = (long)(ns % 1000000000ull)};
	nanosleep(&ts, NULL);
}

/* ListenOverflows now (the run's namespace: this thread's), or false. */
static bool overflows(const struct watch *w, uint64_t *out)
{
	struct kstat k;
	struct remote *rm = w->r->remote;
	if (rm) { /* the server's host: probe's latest snapshot */
		if (w->lo_idx < 0 || !rm->have_last || !rm->last.have[w->lo_idx])
			return false;
		*out = rm->last.v[w->lo_idx];
		return true;
	}
	if (w->lo_idx < 0 || kstat_read(&k) < 0 || !k.have[w->lo_idx])
		return false;
	*out = k.v[w->lo_idx];
	return true;
}

/* A queue sample probe took on the server's host. */
static void remote_queue(void *arg, uint64_t at_ns, int len, int limit)
{
	struct watch *w = arg;
	w->q = len;
	w->lim = limit;
	if (at_ns >= w->e->t_begin)
		run_aq_sample(w->r, (int64_t)((at_ns - w->e->t_begin) / 1000000), len, limit);
}

static void sample_queue(struct watch *w, uint64_t now)
{
	int q, lim;
	if (w->r->remote) {
		remote_probe_poll(w->r->remote, remote_queue, w);
		return;
	}
	if (w->nl < 0 ||
	    diag_listen_queue(w->nl, w->e->target.family, (uint16_t)w->port, &q, &lim) != 0)
		return;
	w->q = q;
	w->lim = lim;
	run_aq_sample(w->r, (int64_t)((now - w->e->t_begin) / 1000000), q, lim);
}

/* Interval i has ended: what the controller sees now is its end. */
static void sample_interval(struct watch *w, int i)
{
	struct ivx *x = run_ivx(w->r, i);
	if (!x)
		return;
	uint64_t lo;
	x->sampled = true;
	x->listen_overflows = -1;
	if (w->have_lo && overflows(w, &lo)) {
		x->listen_overflows = lo > w->lo_prev ? (int64_t)(lo - w->lo_prev) : 0;
		w->lo_prev = lo;
	}
	x->aq_len = (w->nl >= 0 || w->r->remote) && w->q >= 0 ? w->q : -1;
	x->aq_limit = w->lim;
	x->server_accepted = spawn_accepted(w->sp);
}

/* On a terminal: one line per interval that stays (iperf3's), above
 * the status line. */
static void interval_line(struct watch *w, int i, const struct ival *v)
{
	const struct load_config *c = w->r->cfg;
	const struct ivx *x = i < w->r->nivx && w->r->ivx[i].sampled ? &w->r->ivx[i] : NULL;
	double s = (double)c->interval_us / 1e6;
	const char *what = c->mode == MODE_CONNECT  ? "connects/s"
			   : c->mode == MODE_STREAM ? "MB/s"
						    : "req/s";
	double rate = c->mode == MODE_CONNECT  ? (double)v->connects / s
		      : c->mode == MODE_STREAM ? (double)v->bytes / s / 1e6
					       : (double)v->requests / s;
	if (!w->header)
		fprintf(w->out, "\r%-60s\r  %8s %11s %7s %9s %10s  %s\n", "", "time", what, "estab",
			"accepted", "p99", "errors");
	w->header = true;
	char acc[24] = "-", p99[24] = "-", errs[200] = "";
	if (x && x->server_accepted >= 0)
		snprintf(acc, sizeof acc, "%lld", (long long)x->server_accepted);
	if (v->h && v->h->count)
		snprintf(p99, sizeof p99, "%.1fus", (double)hist_percentile(v->h, 99) / 1e3);
	size_t n = 0;
	for (int k = 0; k < EK_KINDS && n < sizeof errs; k++)
		if (v->errk[k])
			n += (size_t)snprintf(errs + n, sizeof errs - n, "%s%s %llu", n ? ", " : "",
					      ek_names[k], (unsigned long long)v->errk[k]);
	fprintf(w->out, "\r%-60s\r  %6.1f s %11.*f %7llu %9s %10s  %s\n", "", s * (i + 1),
		c->mode == MODE_STREAM ? 2 : 0, rate, (unsigned long long)v->open, acc, p99,
		n ? errs : "-");
	fflush(w->out);
}

static void emit_interval(struct watch *w, int i, const struct ival *v)
{
	static const struct ival none;
	v = v ? v : &none;
	if (w->jl || livefd_on(&w->r->live)) {
		json_t *o = run_interval_json(w->r, i, v);
		if (w->jl) {
			json_dumpf(o, w->jl, JSON_COMPACT);
			fputc('\n', w->jl);
			fflush(w->jl);
		}
		json_t *l = json_pack("{s:s}", "kind", "interval");
		json_object_update(l, o);
		livefd_put(&w->r->live, l, false);
		json_decref(o);
	}
	if (w->tty)
		interval_line(w, i, v);
}

/* {"kind":"tick", ...}: the generator's state now (docs/live.md). */
static void tick(struct watch *w, uint64_t now)
{
	struct engine_live g;
	engine_live(w->e, &g);
	uint64_t lo;
	json_t *t = json_pack(
	    "{s:s, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "kind", "tick", "t_s",
	    /* ms: a tick is no finer than that */
	    (double)llround(((double)now - (double)w->e->t_measure) / 1e6) / 1e3, "requests",
	    (json_int_t)g.requests, "bytes", (json_int_t)g.bytes, "connects",
	    (json_int_t)g.connects, "errors", (json_int_t)g.errors, "open", (json_int_t)g.open,
	    "connecting", (json_int_t)g.connecting, "syn_retry_waiting", (json_int_t)g.syn_wait);
	json_object_set_new(
	    t, "next_retry_s",
	    g.next_retry_ns
		? json_real(g.next_retry_ns > now
				? (double)llround((double)(g.next_retry_ns - now) / 1e6) / 1e3
				: 0.0)
		: json_null());
	bool slots = slots_apply(w->r->cfg->mode);
	json_object_set_new(t, "served", slots ? json_integer((json_int_t)g.served) : json_null());
	json_object_set_new(t, "starved",
			    slots ? json_integer((json_int_t)g.starved) : json_null());
	json_object_set_new(t, "accept_queue",
			    w->nl >= 0 && w->q >= 0
				? json_pack("{s:i, s:i}", "len", w->q, "limit", w->lim)
				: json_null());
	json_object_set_new(t, "listen_overflows",
			    w->have_lo && overflows(w, &lo)
				? json_integer((json_int_t)(lo > w->lo_base ? lo - w->lo_base : 0))
				: json_null());
	int64_t acc = spawn_accepted(w->sp);
	json_object_set_new(t, "server_accepted", acc >= 0 ? json_integer(acc) : json_null());
	livefd_put(&w->r->live, t, true);
}

/* {"kind":"start", ...}: what the run is, before its first tick. */
static void start_line(struct watch *w)
{
	const struct load_config *c = w->r->cfg;
	int q, lim;
	bool known = w->nl >= 0 && diag_listen_queue(w->nl, w->e->target.family, (uint16_t)w->port,
						     &q, &lim) == 0;
	json_t *s = json_pack("{s:s, s:f, s:s, s:i, s:s}", "kind", "start", "t_s", 0.0, "mode",
			      load_mode_names[c->mode], "conns", c->conns, "target", w->r->target);
	json_object_set_new(s, "backlog", known ? json_integer(lim) : json_null());
	json_object_set_new(s, "interval_s", json_real((double)c->interval_us / 1e6));
	json_object_set_new(s, "duration_s",
			    c->requests ? json_null() : json_real((double)c->duration_us / 1e6));
	livefd_put(&w->r->live, s, false);
}

static void watch_init(struct watch *w, struct run *r, struct engine *e, bool started,
		       struct spawn *sp, FILE *jl)
{
	const struct load_config *c = r->cfg;
	memset(w, 0, sizeof *w);
	w->r = r;
	w->e = e;
	w->sp = sp;
	w->jl = jl;
	w->port = queue_port(&e->target, started);
	if (r->remote) /* the listen socket is on the server's host: probe's */
		w->port = -1;
	w->nl = w->port > 0 ? diag_open() : -1;
	w->q = w->lim = -1;
	w->out = load_human(c);
	/* the lines on a terminal (not under the --live view, which has the
	 * terminal), or anywhere when --live found none */
	w->tty = !c->quiet && !r->view && (isatty(fileno(w->out)) || r->lines_always);
	w->lo_idx = kstat_index("ListenOverflows");
	/* the base: the run's first reading, when no warm-up comes first */
	w->have_lo = r->have_k && !c->warmup_us && w->lo_idx >= 0 && r->k0.have[w->lo_idx];
	if (w->have_lo)
		w->lo_base = w->lo_prev = r->k0.v[w->lo_idx];
	if (livefd_on(&r->live))
		start_line(w);
}

/* An interval is emitted once it has ended and every thread has moved
 * past it; none starts after the run's end. */
static void emit_due(struct watch *w, uint64_t now)
{
	const struct engine *e = w->e;
	uint64_t iv = w->r->cfg->interval_us * 1000;
	while (e->t_measure + (uint64_t)(w->next_sample + 1) * iv <= now &&
	       (!e->t_end || e->t_measure + (uint64_t)w->next_sample * iv < e->t_end))
		sample_interval(w, w->next_sample++);
	struct ival v;
	while (w->next_iv < w->next_sample && engine_interval(w->e, w->next_iv, &v)) {
		emit_interval(w, w->next_iv, &v);
		free(v.h);
		w->next_iv++;
	}
}

/* The server died: it cannot answer again (every further connect is
 * refused, a --requests count never reached).  True to stop watching. */
static bool server_gone(struct watch *w)
{
	struct spawn *sp = w->sp;
	if (!sp || (spawn_drain(sp), !spawn_exited(sp)))
		return false;
	/* the threads end (and with --requests close their connections)
	 * before this loop sees the end: a server that returns once its
	 * clients are gone (the tutorial's) ended after the run, not during */
	if (engine_done(w->e) || (w->e->t_end && clock_now_ns() >= w->e->t_end))
		sp->run_over = true;
	return true;
}

void watch_run(struct watch *w, struct run *r, struct engine *e, bool started, struct spawn *sp,
	       FILE *jl)
{
	watch_init(w, r, e, started, sp, jl);
	const struct load_config *c = r->cfg;
	uint64_t step = c->queue_sample_us * 1000, next_live = e->t_begin + 1000000000ull;
	uint64_t next_q = 0, next_tick = e->t_begin + TICK_LIVE_NS;
	bool live = livefd_on(&r->live);
	for (;;) {
		uint64_t now = clock_now_ns();
		if (now >= next_q) {
			sample_queue(w, now);
			next_q = now + step;
		}
		if (!w->have_lo && w->lo_idx >= 0 && now >= e->t_measure &&
		    overflows(w, &w->lo_base)) { /* after a warm-up: its end */
			w->lo_prev = w->lo_base;
			w->have_lo = true;
		}
		emit_due(w, now);
		if (live && now >= next_tick) {
			tick(w, now);
			next_tick += TICK_LIVE_NS * (1 + (now - next_tick) / TICK_LIVE_NS);
		}
		if (w->tty && now >= next_live) {
			fprintf(w->out, "\r  %4.0f s  %llu requests  %llu connects   ",
				(double)(now - e->t_begin) / 1e9,
				(unsigned long long)engine_completed(e),
				(unsigned long long)engine_connects(e));
			fflush(w->out);
			next_live += 1000000000ull;
		}
		if (server_gone(w))
			break;
		if (stopsig_caught() || engine_done(e) || (e->t_end && now >= e->t_end))
			break;
		/* the next queue sample or tick, and never past 100 ms: a
		 * long --queue-sample must not delay the stop */
		uint64_t wake = live && next_tick < next_q ? next_tick : next_q;
		uint64_t nap = wake > now ? wake - now : 0;
		sleep_ns(nap < TICK_LIVE_NS ? nap : TICK_LIVE_NS);
	}
	if (w->tty)
		fprintf(w->out, "\r%60s\r", "");
}

void watch_finish(struct watch *w)
{
	struct run *r = w->r;
	for (int i = w->next_sample; i < r->ls.niv; i++)
		sample_interval(w, i);
	for (int i = w->next_iv; i < r->ls.niv; i++)
		emit_interval(w, i, lstats_ival(&r->ls, i, false));
	if (w->nl >= 0)
		close(w->nl);
	w->nl = -1;
}

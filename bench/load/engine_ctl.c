/* engine_ctl.c - the load generator from the controller's side: start the
 * threads, read their live counters and finished intervals, stop and
 * merge them.  The loops themselves are in engine.c. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/kstat.h"
#include "engine_int.h"

/* Requests and reply patterns are made once, not per request. */
static int make_request(struct engine *e)
{
	const struct load_config *cfg = e->cfg;
	if (cfg->mode == MODE_HTTP) {
		/* What wrk sends: the shortest valid HTTP/1.1 request. */
		char req[512];
		int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n",
				 cfg->http_path, e->host);
		e->reqlen = (size_t)n;
		e->reqbuf = (uint8_t *)strdup(req);
		if (!e->reqbuf)
			return -ENOMEM;
	} else if (cfg->mode == MODE_RR || cfg->mode == MODE_CRR) {
		e->reqlen = RR_HDR_LEN + cfg->req_size;
		e->reqbuf = malloc(e->reqlen);
		if (!e->reqbuf)
			return -ENOMEM;
		rr_header(e->reqbuf, cfg->req_size, cfg->resp_size);
		pattern_fill(e->reqbuf + RR_HDR_LEN, cfg->req_size, 0);
	} else {
		e->reqlen = cfg->mode == MODE_STREAM ? cfg->send_size : cfg->req_size;
		e->reqbuf = malloc(e->reqlen ? e->reqlen : 1);
		if (!e->reqbuf)
			return -ENOMEM;
		pattern_fill(e->reqbuf, e->reqlen, 0);
	}
	return 0;
}

/* Thread i of nt: its share of the connections (*g: the run-wide index of
 * its first one, for --source), of --requests, and of the schedules. */
static int thread_init(struct engine *e, int i, int nt, uint64_t now, int *g)
{
	const struct load_config *cfg = e->cfg;
	struct lthread *t = &e->t[i];
	t->e = e;
	t->idx = i;
	t->n = cfg->conns / nt + (i < cfg->conns % nt);
	t->conn_quota = (uint64_t)t->n;
	t->connecting = 1; /* unknown until the first timeout check */
	t->quota = cfg->requests / (uint64_t)nt + ((uint64_t)i < cfg->requests % (uint64_t)nt);
	t->idle_top = t->ready_top = -1;
	t->iv_gauged = -1;
	t->c = calloc((size_t)t->n, sizeof *t->c);
	t->scratch = malloc(SCRATCH);
	/* epoll_create1: EMFILE/ENFILE (out of fds) or ENOMEM */
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	if (t->ep < 0)
		return -errno;
	if (!t->c || !t->scratch)
		return -ENOMEM;
	for (int k = 0; k < t->n; k++, (*g)++) {
		t->c[k].fd = -1;
		t->c[k].src = cfg->nsources ? *g % cfg->nsources : 0;
	}
	lstats_hists_init(&t->s);
	if (cfg->rate > 0) {
		t->step = (uint64_t)((double)nt * 1e9 / cfg->rate);
		t->next = now + (uint64_t)((double)i * 1e9 / cfg->rate);
	}
	if (cfg->connect_rate > 0) {
		t->cstep = (uint64_t)((double)nt * 1e9 / cfg->connect_rate);
		t->cnext = now + (uint64_t)((double)i * 1e9 / cfg->connect_rate);
	}
	return 0;
}

int engine_start(struct engine *e)
{
	const struct load_config *cfg = e->cfg;
	int nt = cfg->threads < cfg->conns ? cfg->threads : cfg->conns;
	e->nthreads = nt;
	e->t = calloc((size_t)nt, sizeof *e->t);
	if (!e->t)
		return -ENOMEM;
	int r = make_request(e);
	if (r < 0)
		return r;
	long lin = 0;
	/* absent before Linux 6.5: SYN retries double from the first */
	e->syn_linear = sysctl_read_int("net.ipv4.tcp_syn_linear_timeouts", &lin) == 0 ? (int)lin : 0;
	uint64_t now = clock_now_ns();
	e->t_begin = now;
	e->t_measure = now + cfg->warmup_us * 1000;
	e->t_end = cfg->requests ? 0 : e->t_measure + cfg->duration_us * 1000;
	int g = 0;
	for (int i = 0; i < nt; i++)
		if ((r = thread_init(e, i, nt, now, &g)) < 0)
			return r;
	for (int i = 0; i < nt; i++) {
		r = pthread_create(&e->t[i].tid, NULL, engine_thread, &e->t[i]);
		if (r) {
			e->stop = 1;
			for (int k = 0; k < i; k++)
				pthread_join(e->t[k].tid, NULL);
			e->nthreads = 0;
			return -r;
		}
	}
	return 0;
}

uint64_t engine_completed(const struct engine *e)
{
	uint64_t n = 0;
	for (int i = 0; i < e->nthreads; i++)
		n += __atomic_load_n(&e->t[i].completed_live, __ATOMIC_RELAXED);
	return n;
}

uint64_t engine_connects(const struct engine *e)
{
	uint64_t n = 0;
	for (int i = 0; i < e->nthreads; i++)
		n += __atomic_load_n(&e->t[i].connects_live, __ATOMIC_RELAXED);
	return n;
}

int engine_done(const struct engine *e)
{
	for (int i = 0; i < e->nthreads; i++)
		if (!__atomic_load_n(&e->t[i].done, __ATOMIC_ACQUIRE))
			return 0;
	return 1;
}

static uint64_t live_sum(const struct engine *e, size_t off)
{
	uint64_t n = 0;
	for (int i = 0; i < e->nthreads; i++)
		n += __atomic_load_n((const uint64_t *)((const char *)&e->t[i] + off),
				     __ATOMIC_RELAXED);
	return n;
}

#define LIVE_SUM(e, field) live_sum(e, offsetof(struct lthread, field))

void engine_live(const struct engine *e, struct engine_live *o)
{
	memset(o, 0, sizeof *o);
	o->requests = LIVE_SUM(e, s.completed);
	o->bytes = LIVE_SUM(e, s.bytes_out) + LIVE_SUM(e, s.bytes_in);
	o->connects = LIVE_SUM(e, s.established);
	for (int k = 0; k < LERR_KINDS; k++)
		o->errors += live_sum(e, offsetof(struct lthread, s.err) + (size_t)k * sizeof(uint64_t));
	o->open = LIVE_SUM(e, open_live);
	o->connecting = LIVE_SUM(e, connecting_live);
	o->syn_wait = LIVE_SUM(e, syn_wait_live);
	o->served = LIVE_SUM(e, served_live);
	o->starved = LIVE_SUM(e, starved_live);
	for (int i = 0; i < e->nthreads; i++) {
		uint64_t at = __atomic_load_n(&e->t[i].next_retry_live, __ATOMIC_RELAXED);
		if (at && (!o->next_retry_ns || at < o->next_retry_ns))
			o->next_retry_ns = at;
	}
}

int engine_interval(struct engine *e, int i, struct ival *out)
{
	uint64_t end = e->t_measure + (uint64_t)(i + 1) * e->cfg->interval_us * 1000;
	/* the run's last interval gets each thread's final gauges when the
	 * thread ends (gauge_final): it is complete only then */
	bool last = e->t_end && end >= e->t_end;
	for (int k = 0; k < e->nthreads; k++)
		if (!__atomic_load_n(&e->t[k].done, __ATOMIC_ACQUIRE) &&
		    (last || __atomic_load_n(&e->t[k].loop_now, __ATOMIC_ACQUIRE) < end))
			return 0;
	memset(out, 0, sizeof *out);
	for (int k = 0; k < e->nthreads; k++) {
		struct ival *x = i < IV_CHUNK * IV_CHUNKS && e->t[k].s.ivc[i / IV_CHUNK]
				     ? &e->t[k].s.ivc[i / IV_CHUNK][i % IV_CHUNK]
				     : NULL;
		if (x)
			ival_add(out, x);
	}
	return 1;
}

/* The thread's open connections, for the run's end (leave.c). */
static void hand_over(struct engine *e, const struct lthread *t)
{
	for (int i = 0; i < t->n; i++) {
		const struct lconn *c = &t->c[i];
		if (c->fd < 0)
			continue;
		if (!e->left) {
			close(c->fd); /* no room to keep it: closed as before */
			continue;
		}
		struct leave_conn *l = &e->left[e->nleft++];
		memset(l, 0, sizeof *l);
		l->fd = c->fd;
		l->connected = c->st != C_CONNECTING;
		l->in_flight = (c->st == C_SENDING || c->st == C_RECEIVING) &&
			       e->cfg->mode != MODE_STREAM;
		l->off = c->off;
		l->got = c->got;
		l->hr = c->hr;
	}
}

void engine_stop(struct engine *e, struct lstats *out)
{
	memset(out, 0, sizeof *out);
	lstats_hists_init(out);
	e->stop = 1;
	e->nleft = 0;
	e->left = calloc((size_t)e->cfg->conns, sizeof *e->left);
	for (int i = 0; i < e->nthreads; i++) {
		struct lthread *t = &e->t[i];
		pthread_join(t->tid, NULL);
		hand_over(e, t);
		if (t->t_done > e->t_finish)
			e->t_finish = t->t_done;
		lstats_merge(out, &t->s);
		lstats_free(&t->s);
		close(t->ep);
		free(t->c);
		free(t->scratch);
	}
	free(e->t);
	e->t = NULL;
	/* e->reqbuf stays: the run's end may send one more request
	 * (--unread) or finish sending one (the drain); engine_free */
}

void engine_free(struct engine *e)
{
	for (int i = 0; i < e->nleft; i++)
		if (e->left[i].fd >= 0)
			close(e->left[i].fd);
	free(e->left);
	e->left = NULL;
	e->nleft = 0;
	free(e->reqbuf);
	e->reqbuf = NULL;
}

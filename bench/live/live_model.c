/* live_model.c - the stream's records read into struct live_model (see
 * live_model.h).  jansson reads every line; nothing here trusts a value's
 * type, range or presence: a wrong type reads as "not told". */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "live_model.h"

/* A count: a JSON integer (or a whole real) >= 0, else -1. */
static long long num_ll(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	double d;
	if (json_is_integer(v))
		return json_integer_value(v) >= 0 ? (long long)json_integer_value(v) : -1;
	if (!json_is_real(v))
		return -1;
	d = json_real_value(v);
	return isfinite(d) && d >= 0 && d < 9e18 ? (long long)d : -1;
}

/* A time or a latency: a finite JSON number >= 0, else -1. */
static double num_d(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	double d;
	if (!json_is_number(v))
		return -1;
	d = json_number_value(v);
	return isfinite(d) && d >= 0 ? d : -1;
}

static void str_copy(char *dst, size_t size, const json_t *v)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	snprintf(dst, size, "%s", s);
	/* no control characters on the screen: they would move the cursor */
	for (char *c = dst; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

/* What a run's own state is: cleared at "start" and at "run". */
static void reset_run(struct live_model *m)
{
	m->started = 0;
	m->mode[0] = m->target[0] = '\0';
	m->conns = m->backlog = -1;
	m->interval_s = m->duration_s = -1;
	m->unit = LIVE_REQS;
	m->ticks = 0;
	m->t_s = 0;
	m->requests = m->bytes = m->connects = m->errors = -1;
	m->open = m->connecting = m->syn_retry_waiting = m->served = m->starved = -1;
	m->next_retry_s = -1;
	m->aq_len = m->aq_limit = m->aq_max = -1;
	m->listen_overflows = m->server_accepted = -1;
	m->hist_n = m->hist_head = 0;
	m->rate_now = m->rate_peak = 0;
	m->win_n = m->win_head = 0;
	m->intervals = 0;
	m->iv_t_s = m->p50_us = m->p99_us = -1;
	m->ended = 0;
	m->end_error[0] = m->headline_name[0] = '\0';
	m->headline_value = -1;
}

void live_model_init(struct live_model *m)
{
	memset(m, 0, sizeof *m);
	reset_run(m);
	m->eta_s = -1;
}

const char *live_model_unit(const struct live_model *m)
{
	static const char *const name[] = {"req/s", "MB/s", "connects/s"};
	return name[m->unit];
}

double live_model_hist(const struct live_model *m, int k)
{
	int i = (m->hist_head - 1 - k) % LIVE_HIST;
	return m->hist[i < 0 ? i + LIVE_HIST : i];
}

static void on_start(struct live_model *m, const json_t *o)
{
	reset_run(m);
	m->started = 1;
	str_copy(m->mode, sizeof m->mode, json_object_get(o, "mode"));
	str_copy(m->target, sizeof m->target, json_object_get(o, "target"));
	m->conns = num_ll(o, "conns");
	m->backlog = num_ll(o, "backlog");
	m->interval_s = num_d(o, "interval_s");
	m->duration_s = num_d(o, "duration_s");
	if (!strcmp(m->mode, "stream"))
		m->unit = LIVE_MBYTES;
	else if (!strcmp(m->mode, "connect"))
		m->unit = LIVE_CONNECTS;
}

/* The headline count of a tick, in the unit's own measure. */
static long long tick_count(const struct live_model *m)
{
	return m->unit == LIVE_MBYTES	  ? m->bytes
	       : m->unit == LIVE_CONNECTS ? m->connects
					  : m->requests;
}

/* One rate sample per tick: the count's rise over the last second of
 * ticks (LIVE_WIN), so that a count that moves by a few per tick does not
 * draw a comb.  A count or a time that went back (a new run without its
 * "start") starts the window over. */
static void push_rate(struct live_model *m)
{
	long long c = tick_count(m);
	int newest = (m->win_head + LIVE_WIN - 1) % LIVE_WIN;
	if (c < 0)
		return;
	if (m->win_n && (m->t_s < m->win_t[newest] || (double)c < m->win_c[newest]))
		m->win_n = 0;
	if (m->win_n && m->t_s == m->win_t[newest])
		return; /* the same tick again: no time passed */
	m->win_t[m->win_head] = m->t_s;
	m->win_c[m->win_head] = (double)c;
	m->win_head = (m->win_head + 1) % LIVE_WIN;
	if (m->win_n < LIVE_WIN)
		m->win_n++;
	if (m->win_n < 2)
		return;
	int oldest = (m->win_head + LIVE_WIN - m->win_n) % LIVE_WIN;
	double r = ((double)c - m->win_c[oldest]) / (m->t_s - m->win_t[oldest]);
	if (m->unit == LIVE_MBYTES)
		r /= 1e6;
	m->rate_now = r;
	if (r > m->rate_peak)
		m->rate_peak = r;
	m->hist[m->hist_head] = r;
	m->hist_head = (m->hist_head + 1) % LIVE_HIST;
	if (m->hist_n < LIVE_HIST)
		m->hist_n++;
}

/* accept_queue: {"len": n, "limit": n} or null (no sample: not ours). */
static void read_queue(struct live_model *m, const json_t *o)
{
	const json_t *aq = json_object_get(o, "accept_queue");
	if (!json_is_object(aq))
		return;
	m->aq_len = num_ll(aq, "len");
	m->aq_limit = num_ll(aq, "limit");
	if (m->aq_len > m->aq_max)
		m->aq_max = m->aq_len;
}

/* A key the record carries replaces what was known; one it leaves out
 * keeps it (an interval record has no "open": "established" stands in). */
static void keep_ll(long long *dst, const json_t *o, const char *key)
{
	if (json_object_get(o, key))
		*dst = num_ll(o, key);
}

static void on_tick(struct live_model *m, const json_t *o)
{
	double t = num_d(o, "t_s");
	m->ticks++;
	if (t >= 0)
		m->t_s = t;
	keep_ll(&m->requests, o, "requests");
	keep_ll(&m->bytes, o, "bytes");
	keep_ll(&m->connects, o, "connects");
	keep_ll(&m->errors, o, "errors");
	keep_ll(&m->open, o, "open");
	keep_ll(&m->connecting, o, "connecting");
	keep_ll(&m->syn_retry_waiting, o, "syn_retry_waiting");
	keep_ll(&m->served, o, "served");
	keep_ll(&m->starved, o, "starved");
	keep_ll(&m->listen_overflows, o, "listen_overflows");
	keep_ll(&m->server_accepted, o, "server_accepted");
	if (json_object_get(o, "next_retry_s"))
		m->next_retry_s = num_d(o, "next_retry_s");
	read_queue(m, o);
	push_rate(m);
}

/* An interval brings p50/p99; its other keys are per interval (requests)
 * or the same states a tick has, which only fill what ticks left unknown. */
static void on_interval(struct live_model *m, const json_t *o)
{
	m->intervals++;
	m->iv_t_s = num_d(o, "t_s");
	m->p50_us = num_d(o, "p50_us");
	m->p99_us = num_d(o, "p99_us");
	if (m->open < 0)
		keep_ll(&m->open, o, "established");
	if (m->served < 0)
		keep_ll(&m->served, o, "served");
	if (m->starved < 0)
		keep_ll(&m->starved, o, "starved");
	if (m->aq_len < 0)
		read_queue(m, o);
}

static void on_end(struct live_model *m, const json_t *o)
{
	const json_t *h = json_object_get(o, "headline");
	double t = num_d(o, "t_s");
	m->ended = 1;
	if (t >= 0)
		m->t_s = t;
	str_copy(m->end_error, sizeof m->end_error, json_object_get(o, "error"));
	str_copy(m->headline_name, sizeof m->headline_name, json_object_get(h, "name"));
	m->headline_value = num_d(h, "value");
}

/* "backlog=8 conns=100" from {"backlog": "8", "conns": 100} */
static void values_text(char *dst, size_t size, const json_t *values)
{
	const char *k;
	const json_t *v;
	size_t at = 0;
	dst[0] = '\0';
	json_object_foreach((json_t *)values, k, v)
	{
		char one[96];
		if (json_is_string(v))
			snprintf(one, sizeof one, "%s=%s", k, json_string_value(v));
		else if (json_is_number(v))
			snprintf(one, sizeof one, "%s=%g", k, json_number_value(v));
		else
			continue;
		int n = snprintf(dst + at, size - at, "%s%s", at ? " " : "", one);
		if (n < 0 || (size_t)n >= size - at)
			break;
		at += (size_t)n;
	}
	for (char *c = dst; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

static void on_run(struct live_model *m, const json_t *o)
{
	long long i = num_ll(o, "i"), n = num_ll(o, "n");
	reset_run(m);
	m->run_i = i >= 0 && i < 1000000 ? (int)i : 0;
	m->run_n = n > 0 && n < 1000000 ? (int)n : 0;
	str_copy(m->cell, sizeof m->cell, json_object_get(o, "cell"));
	values_text(m->values, sizeof m->values, json_object_get(o, "values"));
	m->eta_s = num_d(o, "eta_s");
}

static void on_run_end(struct live_model *m, const json_t *o)
{
	const json_t *err = json_object_get(o, "error");
	long long i = num_ll(o, "i");
	if (m->runs_n == LIVE_RUNS) {
		memmove(m->runs, m->runs + 1, (LIVE_RUNS - 1) * sizeof m->runs[0]);
		m->runs_n--;
	}
	struct live_run_bar *b = &m->runs[m->runs_n++];
	b->i = i >= 0 && i < 1000000 ? (int)i : m->run_i;
	snprintf(b->cell, sizeof b->cell, "%s", m->cell);
	b->value = num_d(json_object_get(o, "headline"), "value");
	b->failed = json_is_string(err) && json_string_length(err) > 0;
}

int live_model_line(struct live_model *m, const char *line, size_t len)
{
	json_error_t je;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	const char *kind = json_string_value(json_object_get(o, "kind"));
	m->lines++;
	if (!json_is_object(o) || !kind) {
		json_decref(o);
		m->malformed++;
		return -1;
	}
	if (!strcmp(kind, "tick"))
		on_tick(m, o);
	else if (!strcmp(kind, "interval"))
		on_interval(m, o);
	else if (!strcmp(kind, "start"))
		on_start(m, o);
	else if (!strcmp(kind, "end"))
		on_end(m, o);
	else if (!strcmp(kind, "run"))
		on_run(m, o);
	else if (!strcmp(kind, "run_end"))
		on_run_end(m, o);
	else
		m->unknown++;
	json_decref(o);
	return 0;
}

/* Blank lines (a producer's "\r\n" or a stray "\n") are no records. */
static void take_line(struct live_model *m)
{
	size_t n = m->buflen;
	while (n && (m->buf[n - 1] == '\r' || m->buf[n - 1] == ' '))
		n--;
	if (n)
		live_model_line(m, m->buf, n);
	m->buflen = 0;
}

void live_model_bytes(struct live_model *m, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (m->discarding) {
				m->discarding = 0;
				m->lines++;
				m->malformed++;
			} else {
				take_line(m);
			}
		} else if (m->discarding) {
			continue;
		} else if (m->buflen == sizeof m->buf) {
			m->discarding = 1; /* too long: no record of ours is */
			m->buflen = 0;
		} else {
			m->buf[m->buflen++] = p[i];
		}
	}
}

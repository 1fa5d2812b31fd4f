/* slots.c - the load run per client slot.
 *
 * A slot is one of --conns clients; it stays the same slot when its
 * connection is replaced (crr's next unit, a server that closes after a
 * reply, a reconnect after a timeout).  Totals hide a server that serves
 * one client at a time: the Real Python tutorial's echo server (one
 * accept(), then that client to the end) gives its one client ~50k fast
 * replies a second while nine others sit in the accept queue, and the
 * run's req/s and the percentiles of completed requests look excellent.
 * Per slot the truth shows: how many slots got any reply (served), how
 * many waited --timeout or the whole run with none (starved), how equal
 * the service was (Jain's index), and the latency percentiles count every
 * request that timed out or was still waiting at the end as at least its
 * waiting time - a censored observation, what that client felt.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "slots.h"

bool slots_apply(enum load_mode m)
{
	return m == MODE_RR || m == MODE_ECHO || m == MODE_HTTP || m == MODE_CRR;
}

/* ---- the engine's side ------------------------------------------------ */

/* The part of [from, to) inside the measured run (after the warm-up,
 * before the end of --duration). */
uint64_t slots_span(const struct lthread *t, uint64_t from, uint64_t to)
{
	const struct engine *e = t->e;
	if (from < e->t_measure)
		from = e->t_measure;
	if (e->t_end && to > e->t_end)
		to = e->t_end;
	return to > from ? to - from : 0;
}

void slots_rest(struct lthread *t, struct lconn *c, uint64_t now)
{
	if (!c->s_since)
		return;
	c->s_wait += slots_span(t, c->s_since, now);
	c->s_since = 0;
}

static void censor(struct lthread *t, uint64_t sched, uint64_t now)
{
	if (!measuring(t, sched) || now < sched)
		return;
	t->s.censored++;
	hist_record(&t->s.req_cens, now - sched);
}

void slots_timeout(struct lthread *t, struct lconn *c, uint64_t now)
{
	censor(t, c->t_sched, now);
}

/* Open loop: requests scheduled but never sent (no free connection) were
 * waiting too, from their scheduled moments. */
static void censor_pending(struct lthread *t, uint64_t end)
{
	uint64_t sched = t->first_pending;
	for (uint64_t k = 0; k < t->pending && sched < end; k++, sched += t->step)
		censor(t, sched, end);
}

/* A slot starved when it completed nothing and waited at least --timeout,
 * or the whole run: from the moment this thread's first slot began to
 * wait (its loop's first round; the end of the warm-up if later) to the
 * end.  A slot that began late (--connect-rate) or never needed to wait
 * (its --requests share was done) is neither served nor starved. */
static void count_slots(struct lthread *t, uint64_t end)
{
	const struct load_config *cfg = t->e->cfg;
	uint64_t whole = t->t_want ? slots_span(t, t->t_want, end) : 0;
	uint64_t need = cfg->timeout_us * 1000;
	if (whole < need)
		need = whole;
	t->s.slot_req = malloc((size_t)t->n * sizeof *t->s.slot_req);
	t->s.nslots = t->s.slot_req ? t->n : -1;
	for (int i = 0; i < t->n; i++) {
		const struct lconn *c = &t->c[i];
		if (t->s.slot_req)
			t->s.slot_req[i] = c->s_req;
		if (c->s_req)
			t->s.served++;
		else if (c->s_wait && c->s_wait >= need)
			t->s.starved++;
	}
}

void slots_finish(struct lthread *t)
{
	const struct engine *e = t->e;
	if (!slots_apply(e->cfg->mode))
		return;
	uint64_t end = e->t_end && e->t_end < t->t_done ? e->t_end : t->t_done;
	for (int i = 0; i < t->n; i++) {
		struct lconn *c = &t->c[i];
		if (c->st == C_SENDING || c->st == C_RECEIVING)
			censor(t, c->t_sched, end); /* in flight at the end */
		slots_rest(t, c, end);
	}
	if (e->cfg->rate > 0)
		censor_pending(t, end);
	count_slots(t, end);
}

/* ---- the numbers ------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

double fairness_jain(double n, double sum, double sum2)
{
	if (!(n > 0) || !(sum2 > 0))
		return NAN;
	return sum * sum / (n * sum2);
}

int fairness_compute(const uint64_t *x, int n, struct fairness *f)
{
	if (n < 1)
		return -1;
	uint64_t *v = malloc((size_t)n * sizeof *v);
	if (!v)
		return -1;
	memcpy(v, x, (size_t)n * sizeof *v);
	qsort(v, (size_t)n, sizeof *v, cmp_u64);
	/* long double: 10^5 slots of 10^7 requests square to 10^19 */
	long double sum = 0, sum2 = 0;
	for (int i = 0; i < n; i++) {
		sum += (long double)v[i];
		sum2 += (long double)v[i] * (long double)v[i];
	}
	f->min = v[0];
	f->p50 = v[(n + 1) / 2 - 1];
	f->max = v[n - 1];
	f->jain = sum2 > 0 ? (double)(sum * sum / ((long double)n * sum2)) : NAN;
	free(v);
	return 0;
}

json_t *slots_fairness_json(const struct lstats *s, enum load_mode m)
{
	struct fairness f;
	if (!slots_apply(m) || s->nslots < 1 || fairness_compute(s->slot_req, s->nslots, &f) < 0)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "requests_per_conn",
			    json_pack("{s:I, s:I, s:I}", "min", (json_int_t)f.min, "p50",
				      (json_int_t)f.p50, "max", (json_int_t)f.max));
	json_object_set_new(o, "jain", isnan(f.jain) ? json_null() : json_real(f.jain));
	json_object_set_new(o, "slots", json_integer(s->nslots));
	return o;
}

json_t *slots_latency_json(const struct lstats *s, bool closed)
{
	static struct hist all; /* ~59 KB: off the stack */
	uint64_t omitted = lstats_req_felt(s, closed, &all);
	json_t *o = hist_latency_json(&all);
	if (o) {
		json_object_set_new(o, "censored", json_integer((json_int_t)s->censored));
		json_object_set_new(o, "omitted", json_integer((json_int_t)omitted));
	}
	return o;
}

/* ---- the words -------------------------------------------------------- */

void slots_summary(const struct lstats *s, const struct load_config *cfg, FILE *f)
{
	struct fairness fr;
	if (!slots_apply(cfg->mode))
		return;
	fprintf(f, "  served %llu of %d connections, %llu starved", (unsigned long long)s->served,
		cfg->conns, (unsigned long long)s->starved);
	if (s->nslots > 0 && fairness_compute(s->slot_req, s->nslots, &fr) == 0) {
		fprintf(f, "; requests per connection min %llu p50 %llu max %llu",
			(unsigned long long)fr.min, (unsigned long long)fr.p50,
			(unsigned long long)fr.max);
		if (!isnan(fr.jain))
			fprintf(f, ", Jain's index %.3f", fr.jain);
	}
	fputc('\n', f);
}

static void line(json_t *explain, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(json_t *explain, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	json_array_append_new(explain, json_string(buf));
}

/* 45 us, 3.2 ms, 1.00 s */
static const char *span(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000000)
		snprintf(buf, len, "%.0f us", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", (double)ns / 1e9);
	return buf;
}

static void explain_starved(const struct lstats *s, const struct load_config *cfg,
			    double duration_s, json_t *explain)
{
	double timeout_s = (double)cfg->timeout_us / 1e6;
	char wait[64];
	if (duration_s <= timeout_s)
		snprintf(wait, sizeof wait, "the whole run (%.2f s)", duration_s);
	else
		snprintf(wait, sizeof wait, "at least --timeout %.2f s", timeout_s);
	line(explain, "%llu of %d connection%s %s served; %llu waited %s with no reply%s",
	     (unsigned long long)s->served, cfg->conns, cfg->conns == 1 ? "" : "s",
	     s->served == 1 ? "was" : "were", (unsigned long long)s->starved, wait,
	     s->served == 1 && cfg->conns > 1  ? ": the server answered one client only"
	     : !s->established && s->attempted ? ": not one of their connects succeeded"
					       : "");
}

/* Said only when the requests that never got a reply move the p99 (by
 * more than 10%): a healthy run ends with a few in flight too. */
static void explain_censored(const struct lstats *s, const struct load_config *cfg, json_t *explain)
{
	static struct hist all; /* ~59 KB: off the stack */
	char a[32], b[64], c[160] = "";
	uint64_t omitted = lstats_req_felt(s, cfg->rate <= 0, &all);
	uint64_t p99 = hist_percentile(&all, 99), done99 = hist_percentile(&s->req_lat, 99);
	if (s->req_lat.count && (double)p99 <= 1.1 * (double)done99)
		return;
	if (s->req_lat.count)
		snprintf(b, sizeof b, "completed requests alone: p99 %s",
			 span(done99, a, sizeof a));
	else
		snprintf(b, sizeof b, "no request completed");
	if (omitted)
		snprintf(c, sizeof c,
			 ", with the %llu requests their clients could not send meanwhile (one per "
			 "mean reply time)",
			 (unsigned long long)omitted);
	line(explain,
	     "%llu request%s timed out or %s still waiting at the end; counted at their waiting "
	     "times%s, they put p99 at %s (%s)",
	     (unsigned long long)s->censored, s->censored == 1 ? "" : "s",
	     s->censored == 1 ? "was" : "were", c, span(p99, a, sizeof a), b);
}

void slots_explain(const struct lstats *s, const struct load_config *cfg, double duration_s,
		   json_t *explain)
{
	if (!slots_apply(cfg->mode))
		return;
	if (s->starved)
		explain_starved(s, cfg, duration_s, explain);
	struct fairness fr;
	if (!s->starved && s->served >= 2 && s->nslots > 0 &&
	    fairness_compute(s->slot_req, s->nslots, &fr) == 0 && fr.jain < 0.8)
		line(explain,
		     "requests per connection ranged from %llu to %llu: Jain's fairness index "
		     "%.2f (1.00 is equal service)",
		     (unsigned long long)fr.min, (unsigned long long)fr.max, fr.jain);
	if (s->censored)
		explain_censored(s, cfg, explain);
}

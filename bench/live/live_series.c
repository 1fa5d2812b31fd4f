/* live_series.c - a finished run's time series as stream records (see
 * live_series.h).
 *
 * A run file keeps less than the stream carried: per interval (1 s by
 * default) the counts, and, in schema 2, the states; the accept queue
 * every --queue-sample ms.  So a replayed tick is made of:
 *  - counts (requests, bytes, connects, errors): the intervals' counts,
 *    spread evenly over each interval (the rate is flat within one);
 *  - the accept queue: the last sample at or before the tick, exact;
 *  - states (established, served, starved, SYN-retry waiters, the
 *    server's accepted count, ListenOverflows): the last finished
 *    interval's, when the run has them (schema 2); a schema-1 run gives
 *    established and connecting as estimates from the counts, and
 *    ListenOverflows and the server's accepted count only at the end.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "live_series.h"

static const json_t *path(const json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

static double num(const json_t *o, const char *key, double dflt)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) && isfinite(json_number_value(v)) ? json_number_value(v) : dflt;
}

/* A value copied as it is (null when absent): the stream's "not told". */
static json_t *copy_or_null(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return v ? json_deep_copy(v) : json_null();
}

int live_series_open(struct live_series *s, const json_t *run, char *err, size_t errlen)
{
	const char *schema = json_string_value(json_object_get(run, "schema"));
	const json_t *aq = json_object_get(run, "accept_queue");
	memset(s, 0, sizeof *s);
	if (!json_is_object(run) || !schema || strncmp(schema, "sockbench.run/", 14)) {
		snprintf(err, errlen, "not a sockbench run (no \"schema\": \"sockbench.run/N\")");
		return -1;
	}
	s->run = run;
	s->intervals = path(run, "load", "intervals");
	if (!json_is_array(s->intervals)) {
		snprintf(err, errlen, "%s without load.intervals: nothing to replay", schema);
		return -1;
	}
	s->n_iv = json_array_size(s->intervals);
	s->samples =
	    json_is_array(json_object_get(aq, "samples")) ? json_object_get(aq, "samples") : NULL;
	s->aq_limit = json_is_integer(json_object_get(aq, "limit"))
			  ? (long long)json_integer_value(json_object_get(aq, "limit"))
			  : -1;
	s->mode = json_string_value(json_object_get(path(run, "config", "load"), "mode"));
	if (!s->mode)
		s->mode = "rr";
	s->conns = (long long)num(path(run, "config", "load"), "conns", -1);
	s->duration_s = num(run, "duration_s", -1);
	if (s->duration_s <= 0 && s->n_iv)
		s->duration_s = num(json_array_get(s->intervals, s->n_iv - 1), "t_s", 0);
	if (s->duration_s <= 0) {
		snprintf(err, errlen, "no duration_s and no intervals: nothing to replay");
		return -1;
	}
	return 0;
}

json_t *live_series_start(const struct live_series *s)
{
	const json_t *cfg = path(s->run, "config", "server");
	const json_t *b = json_object_get(s->run, "server");
	json_t *backlog = json_is_integer(json_object_get(b, "backlog_effective"))
			      ? json_deep_copy(json_object_get(b, "backlog_effective"))
			      : copy_or_null(cfg, "backlog");
	return json_pack("{s:s, s:f, s:s, s:I, s:o, s:o, s:f, s:f}", "kind", "start", "t_s", 0.0,
			 "mode", s->mode, "conns", (json_int_t)s->conns, "target",
			 copy_or_null(json_object_get(s->run, "config"), "target"), "backlog",
			 backlog, "interval_s",
			 num(path(s->run, "config", "load"), "interval", 1.0), "duration_s",
			 s->duration_s);
}

/* Sums of the counts up to t, the interval holding t spread evenly. */
static void counts_at(const struct live_series *s, double t, double sum[4])
{
	static const char *const key[] = {"requests", "bytes", "connects", "errors"};
	double t0 = 0;
	memset(sum, 0, 4 * sizeof sum[0]);
	for (size_t k = 0; k < s->n_iv; k++) {
		const json_t *iv = json_array_get(s->intervals, k);
		double t1 = num(iv, "t_s", t0), f = 1;
		if (t1 > t) /* the interval still running at t: its share so far */
			f = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
		for (int i = 0; i < 4; i++)
			sum[i] += f * num(iv, key[i], 0);
		if (t1 > t)
			break;
		t0 = t1;
	}
}

/* The last interval finished at t, or NULL; its ListenOverflows summed. */
static const json_t *done_at(const struct live_series *s, double t, double *overflows, int *has_ovf)
{
	const json_t *last = NULL;
	*overflows = 0;
	*has_ovf = 0;
	for (size_t k = 0; k < s->n_iv; k++) {
		const json_t *iv = json_array_get(s->intervals, k);
		if (num(iv, "t_s", 0) > t + 1e-9)
			break;
		last = iv;
		if (json_is_number(json_object_get(iv, "listen_overflows"))) {
			*overflows += num(iv, "listen_overflows", 0);
			*has_ovf = 1;
		}
	}
	return last;
}

static json_t *queue_at(const struct live_series *s, double t)
{
	const json_t *best = NULL;
	size_t k;
	json_t *pair;
	if (!s->samples || s->aq_limit < 0)
		return json_null();
	json_array_foreach(s->samples, k, pair)
	{
		const json_t *ms = json_array_get(pair, 0);
		if (!json_is_number(ms) || json_number_value(ms) > t * 1000 + 1e-6)
			break;
		best = pair;
	}
	const json_t *len = json_array_get(best, 1);
	return json_pack("{s:I, s:I}", "len",
			 (json_int_t)(json_is_integer(len) ? json_integer_value(len) : 0), "limit",
			 (json_int_t)s->aq_limit);
}

/* Schema 1 has no states in its intervals: estimated from the counts. */
static void estimate(const struct live_series *s, const double sum[4], double t, json_t *tick)
{
	double open = sum[2], conn;
	if (strcmp(s->mode, "connect"))
		open -= sum[3]; /* an error closes a connection there */
	if (s->conns >= 0 && open > (double)s->conns)
		open = (double)s->conns;
	if (open < 0)
		open = 0;
	conn = (double)s->conns - open - (strcmp(s->mode, "connect") ? 0 : sum[3]);
	if (t >= s->duration_s || conn < 0 || s->conns < 0)
		conn = 0;
	json_object_set_new(tick, "open", json_integer((json_int_t)open));
	json_object_set_new(tick, "connecting", json_integer((json_int_t)conn));
}

json_t *live_series_tick(const struct live_series *s, double t, int final)
{
	double sum[4], ovf;
	int has_ovf;
	counts_at(s, t, sum);
	const json_t *iv = done_at(s, t, &ovf, &has_ovf);
	json_t *tick = json_pack("{s:s, s:f, s:I, s:I, s:I, s:I, s:o}", "kind", "tick", "t_s", t,
				 "requests", (json_int_t)sum[0], "bytes", (json_int_t)sum[1],
				 "connects", (json_int_t)sum[2], "errors", (json_int_t)sum[3],
				 "accept_queue", queue_at(s, t));
	if (iv && json_object_get(iv, "established")) {
		json_object_set_new(tick, "open", copy_or_null(iv, "established"));
		json_object_set_new(tick, "connecting", json_null());
	} else {
		estimate(s, sum, t, tick);
	}
	static const char *const state[] = {"served", "starved", "syn_retry_waiting",
					    "server_accepted"};
	for (int i = 0; i < 4; i++)
		json_object_set_new(tick, state[i], iv ? copy_or_null(iv, state[i]) : json_null());
	json_object_set_new(tick, "next_retry_s", json_null());
	json_object_set_new(tick, "listen_overflows",
			    has_ovf ? json_integer((json_int_t)ovf) : json_null());
	if (final && !has_ovf) {
		const json_t *lo =
		    path(json_object_get(s->run, "kernel"), "delta", "ListenOverflows");
		json_object_set_new(tick, "listen_overflows",
				    lo ? json_deep_copy(lo) : json_null());
	}
	if (final && json_is_null(json_object_get(tick, "server_accepted")))
		json_object_set_new(tick, "server_accepted",
				    copy_or_null(json_object_get(s->run, "server"), "accepted"));
	return tick;
}

json_t *live_series_interval(const struct live_series *s, size_t k, double *t)
{
	json_t *iv = json_deep_copy(json_array_get(s->intervals, k));
	if (!json_is_object(iv)) {
		json_decref(iv);
		iv = json_object();
	}
	*t = num(iv, "t_s", 0);
	json_object_set_new(iv, "kind", json_string("interval"));
	return iv;
}

/* The headline as a sweep names it: req/s, MB/s or connects. */
json_t *live_series_end(const struct live_series *s)
{
	const json_t *tp = path(s->run, "load", "throughput");
	const char *name = "req/s";
	double v = num(tp, "requests_per_s", -1);
	if (!strcmp(s->mode, "stream")) {
		name = "MB/s";
		v = num(tp, "bytes_per_s", -1) / 1e6;
	} else if (!strcmp(s->mode, "connect")) {
		name = "connects";
		v = num(path(s->run, "load", "connections"), "established", -1);
	}
	return json_pack("{s:s, s:f, s:o, s:{s:s, s:o}}", "kind", "end", "t_s", s->duration_s,
			 "error", copy_or_null(s->run, "error"), "headline", "name", name, "value",
			 v >= 0 ? json_real(v) : json_null());
}

static const char *opt_us(char *buf, size_t size, const json_t *iv, const char *key)
{
	const json_t *v = json_object_get(iv, key);
	if (!json_is_number(v))
		return "-";
	snprintf(buf, size, "%.0fus", json_number_value(v));
	return buf;
}

void live_series_line(const json_t *iv, const char *mode, char *buf, size_t size)
{
	char p50[32], p99[32], est[32] = "-";
	double t = num(iv, "t_s", 0);
	if (json_is_integer(json_object_get(iv, "established")))
		snprintf(est, sizeof est, "%lld",
			 (long long)json_integer_value(json_object_get(iv, "established")));
	snprintf(buf, size,
		 "%7.2f s  %s  requests %.0f  %.2f MB  connects %.0f  established %s  "
		 "p50 %s  p99 %s  errors %.0f",
		 t, mode, num(iv, "requests", 0), num(iv, "bytes", 0) / 1e6, num(iv, "connects", 0),
		 est, opt_us(p50, sizeof p50, iv, "p50_us"), opt_us(p99, sizeof p99, iv, "p99_us"),
		 num(iv, "errors", 0));
}

/* engine_req.c - one request's life on a connection: taken from the
 * quota or the open-loop schedule, begun, done or failed (counted and
 * timed), and what the connection does next.  The loops that drive it
 * are engine.c; http replies are engine_http.c. */
#include <stdlib.h>

#include "engine.h"
#include "engine_int.h"
#include "leave.h"
#include "sockbench/proto.h"

/* May this connection start another request now?  Takes the request from
 * the quota (--requests) or the open-loop schedule. */
bool engine_take_request(struct lthread *t, struct lconn *c, uint64_t now)
{
	const struct load_config *cfg = t->e->cfg;
	if (t->e->stop || (t->e->t_end && now >= t->e->t_end))
		return false;
	if (cfg->requests && t->issued >= t->quota)
		return false;
	if (cfg->rate > 0) {
		if (!t->pending)
			return false;
		c->t_sched = t->first_pending;
		t->first_pending += t->step;
		t->pending--;
	} else {
		c->t_sched = now;
	}
	t->issued++;
	return true;
}

void engine_request_begin(struct lthread *t, struct lconn *c, uint64_t now)
{
	c->st = C_SENDING;
	c->off = c->got = 0;
	if (t->e->cfg->mode == MODE_HTTP)
		http_resp_init(&c->hr, t->e->cfg->max_head, t->e->cfg->max_msg);
	c->t_sent = now;
	c->deadline = now + t->e->cfg->timeout_us * 1000;
	slot_wait(t, c, now);
}

void engine_request_fail(struct lthread *t, struct lconn *c, int kind, uint64_t now)
{
	/* After the end (another thread's sockets closing at the end can make
	 * a server drop the rest of us): the request was still waiting when
	 * the run ended, and is counted so, in flight and censored, as a
	 * reply that finishes after the end is. */
	if (t->e->t_end && now >= t->e->t_end)
		return;
	count_error(t, kind, now);
	if (measuring(t, c->t_sched))
		t->s.req_failed++;
	engine_conn_acked(t, c);
	engine_conn_close(t, c);
}

void engine_request_done(struct lthread *t, struct lconn *c, uint64_t now)
{
	if (measuring(t, c->t_sched)) {
		t->s.completed++;
		c->s_req++; /* its slot's: fairness */
		hist_record(&t->s.req_lat, now - c->t_sched);
		if (t->e->cfg->rate > 0)
			hist_record(&t->s.req_lat_unc, now - c->t_sent);
		struct ival *iv = ival_at(t, now);
		if (iv) {
			iv->requests++;
			if (!iv->h && (iv->h = malloc(sizeof *iv->h)))
				hist_init(iv->h);
			if (iv->h)
				hist_record(iv->h, now - c->t_sched);
		}
	}
	LIVE_INC(t->completed_live);
}

size_t engine_expect_len(const struct engine *e)
{
	switch (e->cfg->mode) {
	case MODE_ECHO:
		return e->cfg->req_size;
	default:
		return e->cfg->resp_size;
	}
}

/* What to do after a completed handshake or reply. */
void engine_next_unit(struct lthread *t, struct lconn *c, uint64_t now)
{
	enum load_mode m = t->e->cfg->mode;
	if (m == MODE_CONNECT) {
		c->st = C_HOLD;
		return;
	}
	if (m == MODE_STREAM) {
		c->st = t->e->stop ? C_DONE : C_SENDING;
		c->off = 0;
		return;
	}
	if (m == MODE_CRR && c->st != C_CONNECTING) {
		/* --close reset: each connection aborted, no TIME_WAIT (leave.h) */
		if (t->e->cfg->close_how == CLOSE_RESET)
			leave_linger0(c->fd);
		engine_conn_close(t, c); /* one request per connection; the loop reopens */
		return;
	}
	if (engine_take_request(t, c, now)) {
		engine_request_begin(t, c, now);
		return;
	}
	slots_rest(t, c, now); /* nothing to ask for: the slot is not waiting */
	if (t->e->cfg->requests && t->issued >= t->quota) {
		/* This thread's share is done: close rather than idle, or a
		 * one-at-a-time server would wait on us while others queue.
		 * That is the client's leave, so as --close says (exit is
		 * refused with --requests: load_opts.c). */
		if (t->e->cfg->close_how == CLOSE_RESET)
			leave_linger0(c->fd);
		engine_conn_close(t, c);
		c->st = C_DONE;
	} else if (t->e->cfg->rate > 0 && !t->e->stop) {
		engine_idle_push(t, c);
	} else {
		c->st = C_IDLE;
	}
}

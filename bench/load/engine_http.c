/* engine_http.c - the load generator's http replies: each received chunk
 * fed to the reply parser (lib/http_resp.c), and what a finished reply
 * means for its connection (RFC 9112 section 9.3: kept, or closed and the
 * slot reopened).  The loops are engine.c. */
#include "engine.h"
#include "engine_int.h"
#include "sockbench/proto.h"

/* http: the reply ended (at its framing's end, or at the close that ends
 * a body without a length).  1 when the connection is left, 0 when the
 * next request is under way on it. */
int engine_http_done(struct lthread *t, struct lconn *c, uint64_t now)
{
	const struct load_config *cfg = t->e->cfg;
	/* --http-body: the decoded body, whatever its framing */
	if (cfg->http_body >= 0 && c->hr.body != (uint64_t)cfg->http_body) {
		engine_request_fail(t, c, LERR_INTEGRITY, now);
		return 1;
	}
	if (t->e->t_end && now >= t->e->t_end)
		return 1; /* finished after the end: counted in flight, not done */
	if (measuring(t, c->t_sched) && c->hr.status >= 100 && c->hr.status < HTTP_STATUS_MAX)
		t->s.http_status[c->hr.status - 100]++;
	engine_request_done(t, c, now);
	if (!http_resp_keep(&c->hr)) {
		/* HTTP/1.0 without keep-alive, Connection: close, a body the
		 * close ended (RFC 9112 section 9.3): no error, the slot opens
		 * a new connection for its next request (open_due) */
		engine_conn_close(t, c);
		c->reopen = true;
		return 1;
	}
	engine_next_unit(t, c, now);
	return c->st == C_NONE || c->st == C_IDLE || c->st == C_DONE;
}

/* http: n reply bytes are in scratch.  1 when the connection is left (the
 * reply ended and the loop moved on, or it failed), 0 to read more. */
int engine_http_received(struct lthread *t, struct lconn *c, size_t n, uint64_t now)
{
	size_t used;
	enum http_resp_event ev = http_resp_feed(&c->hr, t->scratch, n, &used);
	c->got += n;
	if (ev == HTTP_RESP_MORE)
		return 0;
	/* One request at a time: bytes after the reply's end were never
	 * asked for, and a reply we cannot frame cannot be trusted. */
	if (ev == HTTP_RESP_DONE && used != n)
		ev = HTTP_RESP_BAD;
	if (ev != HTTP_RESP_DONE) {
		engine_request_fail(t, c,
				    ev == HTTP_RESP_HEAD_TOO_BIG ? LERR_HTTP_HEAD_TOO_BIG
				    : ev == HTTP_RESP_TOO_BIG	 ? LERR_REPLY_TOO_BIG
								 : LERR_INTEGRITY,
				    now);
		return 1;
	}
	return engine_http_done(t, c, now);
}

/* engine_int.h - the load generator's threads and connections, shared by
 * engine.c (the loops), engine_conn.c (a connection), engine_ctl.c (start,
 * observe, stop) and slots.c (per client slot).  Not an API: only those
 * files include it. */
#ifndef SOCKBENCH_ENGINE_INT_H
#define SOCKBENCH_ENGINE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "sockbench/proto.h"

#define SCRATCH (256 << 10)
#define TICK_NS 10000000ull /* timeouts and schedules checked every 10 ms at most */

enum cstate { C_NONE, C_CONNECTING, C_IDLE, C_SENDING, C_RECEIVING, C_HOLD, C_DONE };

struct lconn {
	int fd;
	enum cstate st;
	int src;
	uint64_t t_conn;     /* connect start: scheduled (--connect-rate) or actual */
	uint64_t t_sched;    /* request: scheduled (open loop) or sent */
	uint64_t t_sent;     /* request: first byte written */
	uint64_t deadline;   /* connect or request timeout */
	uint64_t off;	     /* bytes of the current request sent */
	uint64_t got;	     /* bytes of the current reply received */
	int next_idle;	     /* open loop: the idle list (engine_conn.c) */
	int prev_idle;	     /* open loop: the idle list, the other way */
	bool idle;	     /* in the idle list (then st is C_IDLE) */
	int next_ready;	     /* the ready list (turn used up, bytes waiting) */
	bool ready;	     /* in the ready list */
	bool reopen;	     /* http: a reply ended the connection; reopening is no error */
	struct http_resp hr; /* http: the reply being read */
	bool blocking;	     /* one-connection thread: waits in send/recv itself */
	bool epoll_only;     /* its blocking set-up failed: stays on epoll_wait */
	bool reserved;	     /* crr --requests: holds the request it opened for */
	uint8_t live;	     /* what the thread's live counts hold it as: LIVE_* */
	bool acked_base_set; /* stream: acked_base is known */
	uint64_t acked_base; /* stream: tcpi_bytes_acked when measuring began (1: the SYN) */
	/* The client slot this lconn is (one of --conns): it keeps these
	 * across reconnects (crr, a server's close, a timeout); slots.c. */
	uint64_t s_req;	  /* requests completed (measured) */
	uint64_t s_since; /* waiting for a reply since (0: not waiting) */
	uint64_t s_wait;  /* ns waited (measured part), summed at each rest */
};

struct lthread {
	struct engine *e;
	pthread_t tid;
	int idx, ep;
	struct lconn *c;
	int n;
	uint8_t *scratch;
	struct lstats s;
	uint64_t quota, issued; /* --requests: this thread's share */
	uint64_t reserved;	/* crr: requests held by connections still connecting */
	uint64_t conn_quota;	/* connect mode: connections to open */
	/* open loop: requests come due every `step` ns from `next` */
	uint64_t step, next, pending, first_pending;
	int idle_top;
	int ready_top; /* connections whose turn ended with bytes waiting */
	uint64_t turn; /* bytes the connection being stepped moved this turn */
	/* --connect-rate: new connections due every cstep ns */
	uint64_t cstep, cnext;
	int opened;	   /* connections opened so far (connect-rate) */
	int connecting;	   /* handshakes pending at the last timeout check */
	int done;	   /* atomic: the thread has left its loop */
	uint64_t loop_now; /* atomic: the loop's clock, published each round */
	uint64_t completed_live, connects_live;
	/* The live view's counts (engine_live), written by this thread only:
	 * open and connecting as connections change (engine_conn_live), the
	 * rest each timeout check (every TICK_NS) */
	uint64_t open_live, connecting_live;
	uint64_t syn_wait_live, next_retry_live, served_live, starved_live;
	int iv_gauged; /* the last interval whose gauges were written (-1) */
	uint64_t t_done; /* when the loop ended */
	uint64_t t_want; /* when its first slot began to wait (slots.c) */
};

#define LIVE_INC(x) __atomic_store_n(&(x), (x) + 1, __ATOMIC_RELAXED)
#define LIVE_DEC(x) __atomic_store_n(&(x), (x) - 1, __ATOMIC_RELAXED)

/* A connection as the live counts see it. */
enum { LIVE_NONE, LIVE_CONNECTING, LIVE_OPEN };
static inline void engine_conn_live(struct lthread *t, struct lconn *c, uint8_t to)
{
	if (c->live == to)
		return;
	if (c->live == LIVE_CONNECTING)
		LIVE_DEC(t->connecting_live);
	else if (c->live == LIVE_OPEN)
		LIVE_DEC(t->open_live);
	if (to == LIVE_CONNECTING)
		LIVE_INC(t->connecting_live);
	else if (to == LIVE_OPEN)
		LIVE_INC(t->open_live);
	c->live = to;
}

/* One thread's loop (pthread start routine; arg: its struct lthread). */
void *engine_thread(void *arg);

/* Is `when` inside the measured part of the run (after the warm-up)? */
static inline bool measuring(const struct lthread *t, uint64_t when)
{
	return when >= t->e->t_measure;
}

static inline struct ival *ival_at(struct lthread *t, uint64_t now)
{
	const struct engine *e = t->e;
	if (now < e->t_measure || (e->t_end && now >= e->t_end))
		return NULL; /* warm-up, or bytes arriving after the end */
	return lstats_ival(&t->s, (int)((now - e->t_measure) / (e->cfg->interval_us * 1000)), true);
}

static inline void count_error(struct lthread *t, int kind, uint64_t now)
{
	if (!measuring(t, now))
		return;
	t->s.err[kind < LERR_KINDS ? kind : STATS_MAX_ERRNO - 1]++;
	struct ival *iv = ival_at(t, now);
	if (iv) {
		iv->errors++;
		iv->errk[ek_of(kind)]++;
	}
}

/* A slot begins to wait for service (a connect, a request) at `when`;
 * it keeps waiting across failures and reconnects until it rests
 * (slots_rest: idle, or done) or the run ends.  Two stores at most. */
static inline void slot_wait(struct lthread *t, struct lconn *c, uint64_t when)
{
	if (c->s_since)
		return;
	c->s_since = when;
	if (!t->t_want || when < t->t_want)
		t->t_want = when;
}

/* slots.c: a slot stops waiting (idle without a request, or done); a
 * request that timed out, counted as at least its waiting time; the
 * thread's slots when its loop ended (in flight censored, starved ones,
 * the per-slot counts) into t->s. */
void slots_rest(struct lthread *t, struct lconn *c, uint64_t now);
void slots_timeout(struct lthread *t, struct lconn *c, uint64_t now);
void slots_finish(struct lthread *t);
/* The part of [from, to) inside the measured run. */
uint64_t slots_span(const struct lthread *t, uint64_t from, uint64_t to);

/* engine_conn.c: open a connection (0, or -1 when it failed and was
 * counted), fail one (err: an errno or LERR_*), close one (it also leaves
 * the idle list). */
int engine_conn_open(struct lthread *t, struct lconn *c, uint64_t sched);
void engine_conn_failed(struct lthread *t, struct lconn *c, int err, uint64_t now);
void engine_conn_close(struct lthread *t, struct lconn *c);
/* engine_conn.c: the open loop's idle list, each connection in it once and
 * C_IDLE: put an idle connection in (C_IDLE, on top), take one out (it
 * leaves C_IDLE: a request begins, or it closes). */
void engine_idle_push(struct lthread *t, struct lconn *c);
void engine_idle_unlink(struct lthread *t, struct lconn *c);
/* stream over TCP: note what the peer acknowledged of this connection
 * (before it is closed); for other modes and unix sockets nothing. */
void engine_conn_acked(struct lthread *t, struct lconn *c);
void engine_conn_measure_start(struct lthread *t, struct lconn *c);
/* engine_req.c: may this connection start another request now (the
 * quota, the schedule); begin it; the reply length expected; a request
 * failed (counted by kind, the connection closed) or done (counted,
 * timed); what comes after a handshake or a reply. */
bool engine_take_request(struct lthread *t, struct lconn *c, uint64_t now);
void engine_request_begin(struct lthread *t, struct lconn *c, uint64_t now);
size_t engine_expect_len(const struct engine *e);
void engine_request_fail(struct lthread *t, struct lconn *c, int kind, uint64_t now);
void engine_request_done(struct lthread *t, struct lconn *c, uint64_t now);
void engine_next_unit(struct lthread *t, struct lconn *c, uint64_t now);
/* engine_http.c: n reply bytes in scratch; 1 when the connection is left
 * (the reply ended and the loop moved on, or it failed), 0 to read more. */
int engine_http_received(struct lthread *t, struct lconn *c, size_t n, uint64_t now);
/* The reply ended (at its framing's end, or at the close that ends a body
 * without a length): the same answer. */
int engine_http_done(struct lthread *t, struct lconn *c, uint64_t now);
/* A reopened slot holds the request it reopens for (as crr does). */
void engine_conn_reserve(struct lthread *t, struct lconn *c);
/* A crr connection that connected lets go of the request it held. */
void engine_conn_release(struct lthread *t, struct lconn *c);
/* A connected TCP connection's local port, into the thread's stats. */
void engine_conn_port(struct lthread *t, struct lconn *c);

#endif

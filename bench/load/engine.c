/* engine.c - the load generator's loops.
 *
 * Each thread owns an epoll set and its connections.  Sockets are
 * registered once, edge-triggered, for both directions: no epoll_ctl per
 * request, and every wake-up drives the connection's state machine as far
 * as the socket allows (until EAGAIN).  Timestamps come from the vDSO's
 * clock_gettime (no system call).  Starting, observing and stopping the
 * threads is engine_ctl.c, a connection's opening and closing engine_conn.c,
 * a request's life engine_req.c, http replies engine_http.c;
 * what they share is engine_int.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "engine.h"
#include "engine_int.h"
#include "sockbench/errname.h"
#include "sockbench/kstat.h"
#include "slots.h"
#include "sockbench/proto.h"

static void on_connected(struct lthread *t, struct lconn *c, uint64_t now)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno; /* cannot tell how the handshake went */
	if (err) {
		engine_conn_failed(t, c, err, now);
		return;
	}
	if (measuring(t, c->t_conn)) {
		t->s.established++;
		hist_record(&t->s.conn_lat, now - c->t_conn);
		struct ival *iv = ival_at(t, now);
		if (iv)
			iv->connects++;
	}
	LIVE_INC(t->connects_live);
	engine_conn_live(t, c, LIVE_OPEN);
	engine_conn_port(t, c);
	engine_conn_release(t, c);
	engine_next_unit(t, c, now);
}

/* Bytes one connection may move per turn of its thread's loop: one
 * recv() into scratch.  A peer that streams without end (a header or body
 * that never finishes) must not keep the loop from its clock, its stop
 * flag, its timeouts and its other connections. */
#define TURN_BYTES SCRATCH

/* A connection that used up its turn with bytes still waiting: the
 * edge-triggered epoll set will not report it again (no new edge while
 * its data sits unread), so the loop gives it its next turn itself. */
static void ready_push(struct lthread *t, struct lconn *c)
{
	if (c->ready)
		return;
	c->ready = true;
	c->next_ready = t->ready_top;
	t->ready_top = (int)(c - t->c);
}

/* What a step_* function tells step(): drive the connection further, or
 * leave it (the socket said EAGAIN, it waits for the reply or the
 * schedule, or it was closed). */
enum { STEP_MORE, STEP_STOP };

/* C_SENDING: write what the socket takes of the request (or the stream). */
static int step_send(struct lthread *t, struct lconn *c, uint64_t *now)
{
	const struct engine *e = t->e;
	size_t len = e->cfg->mode == MODE_STREAM ? e->cfg->send_size : e->reqlen;
	ssize_t n = send(c->fd, e->reqbuf + c->off, len - c->off, MSG_NOSIGNAL);
	if (n < 0) {
		/* EINTR: only a blocking socket (wait_in_socket) sleeps in
		 * send(); its loop calls again after the clock and stop checks */
		if (errno != EAGAIN && errno != EINTR)
			engine_request_fail(t, c, errno, *now);
		return STEP_STOP;
	}
	c->off += (uint64_t)n;
	t->turn += (uint64_t)n;
	if (measuring(t, *now)) {
		t->s.bytes_out += (uint64_t)n;
		if (e->cfg->mode == MODE_STREAM) {
			engine_conn_measure_start(t, c);
			struct ival *iv = ival_at(t, *now);
			if (iv)
				iv->bytes += (uint64_t)n;
		}
	}
	if (c->off < len)
		return STEP_MORE;
	if (e->cfg->mode == MODE_STREAM) {
		*now = clock_now_ns();
		if (e->stop || (e->t_end && *now >= e->t_end))
			return STEP_STOP;
		c->off = 0;
		return STEP_MORE;
	}
	c->st = C_RECEIVING;
	/* The reply cannot be here yet: the server has not even been
	 * scheduled.  Trying recv() now costs a system call that says EAGAIN;
	 * the edge-triggered EPOLLIN that the reply's arrival raises brings us
	 * back instead. */
	return STEP_STOP;
}

/* recv() gave no bytes: n == 0 (the server closed) or n < 0 (err). */
static void recv_ended(struct lthread *t, struct lconn *c, ssize_t n, int err, uint64_t now)
{
	if (c->st == C_RECEIVING) {
		/* http: a body without a length ends with the close (RFC 9112
		 * section 6.3, item 7) */
		if (n == 0 && t->e->cfg->mode == MODE_HTTP && http_resp_eof(&c->hr)) {
			engine_http_done(t, c, now);
			return;
		}
		/* The server closed: mid-reply that is a short reply. */
		engine_request_fail(t, c, n < 0 ? err : c->got ? LERR_SHORT_REPLY : LERR_EOF, now);
		return;
	}
	count_error(t, n < 0 ? err : LERR_EOF, now);
	engine_conn_acked(t, c);
	engine_conn_close(t, c);
}

/* rr, crr, echo: n reply bytes are in scratch.  Every byte is checked:
 * the rr reply and the echo are both the i % 251 pattern from offset 0. */
static int reply_bytes(struct lthread *t, struct lconn *c, size_t n, uint64_t now)
{
	const struct engine *e = t->e;
	size_t want = engine_expect_len(e);
	if (c->got + n > want || pattern_check(t->scratch, n, c->got) != n) {
		engine_request_fail(t, c, LERR_INTEGRITY, now);
		return STEP_STOP;
	}
	c->got += n;
	if (c->got < want)
		return STEP_MORE;
	if (e->t_end && now >= e->t_end)
		return STEP_STOP; /* finished after the end: counted in flight, not done */
	engine_request_done(t, c, now);
	engine_next_unit(t, c, now);
	return c->st == C_NONE || c->st == C_IDLE ? STEP_STOP : STEP_MORE;
}

/* C_RECEIVING, C_HOLD, C_IDLE: read what came. */
static int step_recv(struct lthread *t, struct lconn *c, uint64_t *now)
{
	ssize_t n = recv(c->fd, t->scratch, SCRATCH, 0);
	int err = errno;
	*now = clock_now_ns();
	if (n <= 0) {
		/* EINTR: as in step_send, a blocking socket's loop calls again */
		if (n == 0 || (err != EAGAIN && err != EINTR))
			recv_ended(t, c, n, err, *now);
		return STEP_STOP;
	}
	if (c->st != C_RECEIVING) { /* bytes nobody asked for */
		engine_request_fail(t, c, LERR_INTEGRITY, *now);
		return STEP_STOP;
	}
	t->turn += (uint64_t)n;
	if (measuring(t, c->t_sched)) {
		t->s.bytes_in += (uint64_t)n;
		struct ival *iv = ival_at(t, *now);
		if (iv)
			iv->bytes += (uint64_t)n;
	}
	if (t->e->cfg->mode == MODE_HTTP)
		return engine_http_received(t, c, (size_t)n, *now) ? STEP_STOP : STEP_MORE;
	return reply_bytes(t, c, (size_t)n, *now);
}

/* Drive one connection until the socket says EAGAIN or its turn is over. */
static void step(struct lthread *t, struct lconn *c, uint32_t events)
{
	uint64_t now = clock_now_ns();
	if (c->st == C_CONNECTING) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		on_connected(t, c, now);
	}
	t->turn = 0;
	for (;;) {
		int r;
		if (c->st == C_SENDING)
			r = step_send(t, c, &now);
		else if (c->st == C_RECEIVING || c->st == C_HOLD || c->st == C_IDLE)
			r = step_recv(t, c, &now);
		else
			return;
		if (r == STEP_STOP)
			return;
		if (t->turn >= TURN_BYTES) {
			/* a blocking socket's loop (wait_in_socket) comes back
			 * by itself; the others wait in the ready list */
			if (!c->blocking)
				ready_push(t, c);
			return;
		}
	}
}

/* The connections whose turn ended with bytes waiting, one more turn
 * each; those that use it up again wait for the next round. */
static void run_ready(struct lthread *t)
{
	int i = t->ready_top;
	t->ready_top = -1;
	while (i >= 0 && !__atomic_load_n(&t->e->stop, __ATOMIC_RELAXED)) {
		struct lconn *c = &t->c[i];
		i = c->next_ready;
		c->ready = false;
		/* closed since, or reopened and still connecting: nothing
		 * waits (a reopened, connected one just meets EAGAIN) */
		if (c->st != C_NONE && c->st != C_CONNECTING && c->st != C_DONE)
			step(t, c, EPOLLIN | EPOLLOUT);
	}
}

/* ---- the thread's loop ------------------------------------------------- */

/* What a timeout check sees for the live view (engine_live) and the
 * intervals' gauges: handshakes pending, those that waited for a SYN
 * retry and when the earliest of them sends its next SYN, slots served
 * and starved so far (slots.c's rules, applied at `now`). */
struct gauge {
	int connecting;
	uint64_t syn_wait, next_retry, served, starved;
};

static void gauge_conn(const struct lthread *t, const struct lconn *c, uint64_t now,
		       uint64_t need, struct gauge *g)
{
	if (c->st == C_CONNECTING) {
		g->connecting++;
		uint64_t waited = now > c->t_conn ? now - c->t_conn : 0;
		if (waited >= TCP_SYN_RETRY_NS) { /* its first SYN went unanswered */
			g->syn_wait++;
			uint64_t at = c->t_conn + kstat_syn_retry_next(t->e->syn_linear, waited);
			if (!g->next_retry || at < g->next_retry)
				g->next_retry = at;
		}
	}
	if (!slots_apply(t->e->cfg->mode))
		return;
	if (c->s_req) {
		g->served++;
		return;
	}
	uint64_t w = c->s_wait + (c->s_since ? slots_span(t, c->s_since, now) : 0);
	if (w && w >= need)
		g->starved++;
}

static void gauge_set(struct lthread *t, struct ival *iv, const struct gauge *g)
{
	iv->open = t->open_live;
	iv->served = g->served;
	iv->starved = g->starved;
	iv->syn_wait = g->syn_wait;
}

/* Published for the controller; written into the interval `now` is in
 * (and any this thread skipped since its last look). */
static void gauge_publish(struct lthread *t, const struct gauge *g, uint64_t now)
{
	const struct engine *e = t->e;
	__atomic_store_n(&t->syn_wait_live, g->syn_wait, __ATOMIC_RELAXED);
	__atomic_store_n(&t->next_retry_live, g->next_retry, __ATOMIC_RELAXED);
	__atomic_store_n(&t->served_live, g->served, __ATOMIC_RELAXED);
	__atomic_store_n(&t->starved_live, g->starved, __ATOMIC_RELAXED);
	if (now < e->t_measure || (e->t_end && now >= e->t_end))
		return;
	int cur = (int)((now - e->t_measure) / (e->cfg->interval_us * 1000));
	for (int i = t->iv_gauged + 1; i <= cur; i++) {
		struct ival *iv = lstats_ival(&t->s, i, true);
		if (iv)
			gauge_set(t, iv, g);
	}
	if (cur > t->iv_gauged)
		t->iv_gauged = cur;
	struct ival *iv = lstats_ival(&t->s, cur, true);
	if (iv)
		gauge_set(t, iv, g);
}

/* The slots' wait that makes one starved, at `now` (slots.c: --timeout,
 * or all of the run so far when that is shorter). */
static uint64_t starve_need(const struct lthread *t, uint64_t now)
{
	uint64_t whole = t->t_want ? slots_span(t, t->t_want, now) : 0;
	uint64_t need = t->e->cfg->timeout_us * 1000;
	return whole < need ? whole : need;
}

static void check_timeouts(struct lthread *t, uint64_t now)
{
	struct gauge g = {0};
	/* connect mode, everything opened and no handshake pending: nothing
	 * can time out any more, so held connections cost no scanning */
	if (t->e->cfg->mode == MODE_CONNECT && t->opened >= (int)t->conn_quota && !t->connecting) {
		gauge_publish(t, &g, now);
		return;
	}
	uint64_t need = starve_need(t, now);
	for (int i = 0; i < t->n; i++) {
		struct lconn *c = &t->c[i];
		gauge_conn(t, c, now, need, &g);
		if (c->st == C_CONNECTING && now >= c->deadline) {
			engine_conn_failed(t, c, LERR_CONNECT_TIMEOUT, now);
			c->st = t->e->cfg->mode == MODE_CONNECT ? C_DONE : C_NONE;
		} else if ((c->st == C_SENDING || c->st == C_RECEIVING) &&
			   t->e->cfg->mode != MODE_STREAM && now >= c->deadline) {
			slots_timeout(t, c, now); /* censored: waited its timeout */
			engine_request_fail(t, c, LERR_REQUEST_TIMEOUT, now);
		}
	}
	t->connecting = g.connecting;
	gauge_publish(t, &g, now);
}

/* The thread's last gauges: its slots as slots_finish counted them, in
 * the interval it ended in (the run's last, for --duration). */
static void gauge_final(struct lthread *t)
{
	const struct engine *e = t->e;
	uint64_t end = e->t_end && t->t_done >= e->t_end ? e->t_end - 1 : t->t_done;
	struct gauge g = {.served = t->s.served,
			  .starved = t->s.starved,
			  .syn_wait = t->syn_wait_live,
			  .next_retry = t->next_retry_live};
	gauge_publish(t, &g, end);
}

static bool want_more(const struct lthread *t, uint64_t now)
{
	const struct engine *e = t->e;
	if (e->stop || (e->t_end && now >= e->t_end))
		return false;
	if (e->cfg->requests && t->issued + t->reserved >= t->quota)
		return false;
	return true;
}

/* Open connections that are due: all at once, or on the --connect-rate
 * schedule; reopen closed ones (after errors, or crr's next unit). */
static void open_due(struct lthread *t, uint64_t now)
{
	const struct load_config *cfg = t->e->cfg;
	/* connect mode opens each connection once, in order: start past the
	 * ones already opened, or 100,000 held connections cost a scan of
	 * them all every tick. */
	int from = cfg->mode == MODE_CONNECT ? t->opened : 0;
	for (int i = from; i < t->n; i++) {
		struct lconn *c = &t->c[i];
		if (c->st != C_NONE)
			continue;
		if (cfg->mode == MODE_CONNECT && t->opened >= (int)t->conn_quota) {
			c->st = C_DONE;
			continue;
		}
		if (!want_more(t, now) && cfg->mode != MODE_CONNECT)
			break;
		uint64_t sched = now;
		if (cfg->connect_rate > 0) {
			if (now < t->cnext)
				break;
			sched = t->cnext;
			t->cnext += t->cstep;
		}
		if (c->reopen && measuring(t, now))
			t->s.reconnects++;
		/* a slot reopened for its next http request holds that request
		 * while it connects, as crr does: --requests N opens no
		 * connection that would find none left */
		if (c->reopen)
			engine_conn_reserve(t, c);
		c->reopen = false;
		t->opened++;
		slot_wait(t, c, sched);
		if (engine_conn_open(t, c, sched) < 0)
			c->st = cfg->mode == MODE_CONNECT ? C_DONE : C_NONE;
		if (c->st == C_NONE && cfg->connect_rate <= 0)
			break; /* failing fast: retry on the next tick, not in a tight loop */
	}
}

/* Open loop: requests come due at fixed intervals whatever the server
 * does; one that waits for a free connection is still timed from its
 * scheduled moment (coordinated omission corrected). */
static void schedule_due(struct lthread *t, uint64_t now)
{
	if (t->e->cfg->rate <= 0)
		return;
	while (t->next <= now && want_more(t, t->next)) {
		if (!t->pending)
			t->first_pending = t->next;
		t->pending++;
		t->next += t->step;
	}
	/* Each connection in the idle list is there once and C_IDLE
	 * (engine_conn.c), so this ends after one pass at most; the stop is
	 * checked each round all the same (every loop stoppable). */
	while (t->pending && t->idle_top >= 0 && !__atomic_load_n(&t->e->stop, __ATOMIC_RELAXED)) {
		struct lconn *c = &t->c[t->idle_top];
		if (!engine_take_request(t, c, now))
			break; /* the end or the --requests quota: for every connection */
		engine_idle_unlink(t, c);
		engine_request_begin(t, c, now);
		step(t, c, EPOLLOUT);
	}
}

static bool thread_finished(struct lthread *t)
{
	const struct load_config *cfg = t->e->cfg;
	if (cfg->requests)
		return t->s.completed + t->s.req_failed >= t->quota;
	return false;
}

/* A thread with one connection in a closed loop (rr, http) has nothing
 * to multiplex: it waits in recv() itself, like netperf and sockperf,
 * instead of epoll_wait() then recv().  One system call per reply
 * instead of two, and the wake-up is the socket's own (sk_data_ready
 * wakes the task sleeping in tcp_recvmsg) rather than the epoll
 * callback's: about 1.5 us less per round trip on the 2-core VM
 * (docs/performance.md).  The socket turns blocking with 10 ms send and
 * receive timeouts, so the loop still checks the clock, the stop flag and
 * the request timeout every tick; echo is left out, as a blocking send()
 * of a large block could wait on a server that waits on us. */
static bool wait_in_socket(struct lthread *t, struct lconn *c)
{
	if (c->epoll_only)
		return false;
	if (!c->blocking) {
		struct timeval tv = {0, (suseconds_t)(TICK_NS / 1000)};
		/* The timeouts first: a socket that cannot have them must not
		 * turn blocking, or a silent server would hold the thread in
		 * recv() past every deadline and the stop. */
		int fl = fcntl(c->fd, F_GETFL);
		if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
		    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0 || fl < 0 ||
		    fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
			c->epoll_only = true; /* stays non-blocking: epoll_wait as usual */
			return false;
		}
		c->blocking = true;
	}
	step(t, c, EPOLLIN | EPOLLOUT);
	return true;
}

void *engine_thread(void *arg)
{
	struct lthread *t = arg;
	struct engine *e = t->e;
	enum load_mode m = e->cfg->mode;
	const bool single = t->n == 1 && e->cfg->rate <= 0 && (m == MODE_RR || m == MODE_HTTP);
	struct epoll_event ev[256];
	uint64_t next_check = 0;
	while (!__atomic_load_n(&e->stop, __ATOMIC_RELAXED)) {
		uint64_t now = clock_now_ns();
		/* Everything this thread wrote for earlier intervals is
		 * visible to the controller once it sees this clock. */
		__atomic_store_n(&t->loop_now, now, __ATOMIC_RELEASE);
		if (e->t_end && now >= e->t_end)
			break;
		open_due(t, now);
		schedule_due(t, now);
		if (now >= next_check) {
			check_timeouts(t, now);
			next_check = now + TICK_NS;
		}
		if (thread_finished(t))
			break;
		if (single && (t->c[0].st == C_SENDING || t->c[0].st == C_RECEIVING) &&
		    wait_in_socket(t, &t->c[0]))
			continue;
		uint64_t wait = t->ready_top >= 0 ? 0 : TICK_NS;
		if (e->cfg->rate > 0 && t->next > now && t->next - now < wait)
			wait = t->next - now;
		if (e->cfg->connect_rate > 0 && t->cnext > now && t->cnext - now < wait)
			wait = t->cnext - now;
		int n = epoll_wait(t->ep, ev, 256, (int)((wait + 999999) / 1000000));
		if (n < 0 && errno != EINTR) {
			/* EBADF, EFAULT, EINVAL: this thread's epoll set is
			 * broken and none of its connections can move again.
			 * Counted (warm-up or not), and the thread ends rather
			 * than spin.  EINTR (a handled signal: SIGWINCH from a
			 * resized terminal) is no failure: the loop goes on. */
			int err = errno;
			t->s.err[err < STATS_MAX_ERRNO ? err : STATS_MAX_ERRNO - 1]++;
			break;
		}
		for (int i = 0; i < n && !__atomic_load_n(&e->stop, __ATOMIC_RELAXED); i++)
			step(t, ev[i].data.ptr, ev[i].events);
		run_ready(t);
	}
	t->t_done = clock_now_ns();
	slots_finish(t); /* before the sockets close: who was still waiting */
	gauge_final(t);
	for (int i = 0; i < t->n; i++) {
		struct lconn *c = &t->c[i];
		if (c->st == C_SENDING || c->st == C_RECEIVING)
			if (e->cfg->mode != MODE_STREAM && measuring(t, c->t_sched))
				t->s.in_flight_at_end++;
		engine_conn_acked(t, c);
		/* left open: the run's end reads out the replies still on
		 * their way, then leaves as --close says (leave.c) */
	}
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	t->s.cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
		     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

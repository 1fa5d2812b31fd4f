/* uring.c - one thread, io_uring: the loop submits the I/O, the kernel
 * reports results.
 *
 * The readiness models ask "which sockets could I recv() from now?" and
 * then make each call themselves.  io_uring turns that around: the loop
 * puts the operations themselves (accept, recv, sendmsg) in a submission
 * ring shared with the kernel, and later takes one completion per
 * operation from a second ring, holding the value the system call would
 * have returned.  One io_uring_enter() hands over a whole batch and waits
 * for results.  A recv on a socket with no data still waits - the kernel
 * arms its own poll and retries when it fires - but that is no longer the
 * program's job, and no syscall is spent on a socket that is not ready.
 *
 * The shared session code has a core without system calls for this
 * (sess.h): sess_rbuf() says where to receive, sess_received() takes the
 * result; sess_out() and sess_sent() do the same for sending.
 *
 * A connection has at most one operation in flight, a recv or a sendmsg:
 * the protocols answer a request before reading the next one anyway, and
 * then there is one clear moment a connection may be freed - when its
 * operation has completed.  Until then the kernel owns its buffers.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>

#include "sockbench/clock.h"
#include "sockbench/server.h"
#include "sockbench/sess.h"

/* Accepts kept in flight on the listen socket (1 with --accept-delay-ms),
 * as the epoll model accepts up to 64 per wake-up.  One connection does not
 * wake them all: io_uring waits for accept with EPOLLEXCLUSIVE. */
#define ACCEPT_DEPTH 16
/* Every connection keeps an operation in flight, so completions can
 * outnumber the submission ring.  Past RING_CQ the kernel keeps them on an
 * overflow list (IORING_FEAT_NODROP, 5.5): slower, nothing lost. */
#define RING_SQ 256
#define RING_CQ 4096
/* How long a stop waits for the completions of shut-down sockets. */
#define DRAIN_MS 1000

enum op_kind { OP_ACCEPT, OP_LISTEN_POLL, OP_STOP, OP_RECV, OP_SEND };

struct conn;

/* What a completion's user_data points at: one per operation that can be
 * in flight, so that each can also be cancelled on its own (a cancel by
 * user_data stops the first match only, and several cancels of one
 * shared value may all hit the same request). */
struct op {
	enum op_kind kind;
	bool busy;	/* submitted, completion not reaped yet */
	struct conn *k; /* NULL for accept and stop */
};

struct conn {
	struct op op; /* the one operation in flight */
	struct sess *c;
	/* sendmsg's header and iovecs.  The kernel copies them when it takes
	 * the submission (IORING_FEAT_SUBMIT_STABLE, 5.5), but they live here
	 * until the completion so that nothing depends on when that is. */
	struct msghdr mh;
	struct iovec *iov; /* allocated at the first reply */
	struct conn *prev, *next;
};

struct loop {
	struct io_uring ring;
	struct srv *s;
	struct conntab tab; /* the sessions, by fd (idle sweep) */
	struct conn *conns;
	int nconns;
	int niov;
	int accepts;	 /* accept operations in flight */
	bool fd_starved; /* accept said EMFILE/ENFILE: poll the listen socket */
	bool stopping;
	int sq_err; /* why sqe_get() last gave no entry (an errno) */
	struct op acc[ACCEPT_DEPTH], lpoll, stop_op;
};

/* A free submission entry, or NULL with the reason in l->sq_err.  A full
 * ring is handed to the kernel first, and io_uring_enter(2) may refuse
 * the batch: -EBUSY when the completion ring is overcommitted, -EAGAIN
 * when the kernel could not allocate for a request, -EINTR after a
 * handled signal (retried here).  What was queued stays in the ring for
 * the next submit; the caller gets no entry and decides (see each). */
static struct io_uring_sqe *sqe_get(struct loop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
	if (sqe)
		return sqe;
	int r;
	do
		r = io_uring_submit(&l->ring);
	while (r == -EINTR);
	sqe = io_uring_get_sqe(&l->ring);
	if (!sqe)
		l->sq_err = r < 0 ? -r : EBUSY; /* submitted, yet the ring is still full */
	return sqe;
}

static void conn_close(struct loop *l, struct conn *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else
		l->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	l->nconns--;
	conntab_del(&l->tab, k->c); /* counts and closes the socket */
	free(k->iov);
	free(k);
}

static int arm_recv(struct loop *l, struct conn *k)
{
	size_t room;
	uint8_t *p = sess_rbuf(k->c, &room);
	if (!p)
		return -ENOMEM;
	struct io_uring_sqe *sqe = sqe_get(l);
	if (!sqe)
		return -l->sq_err; /* closed and counted: nothing would wake it */
	io_uring_prep_recv(sqe, k->c->fd, p, room, 0);
	k->op.kind = OP_RECV;
	k->op.busy = true;
	io_uring_sqe_set_data(sqe, &k->op);
	return 0;
}

static int arm_send(struct loop *l, struct conn *k)
{
	bool naive = l->s->cfg->send == SEND_SEND;
	if (!k->iov && !(k->iov = malloc((size_t)l->niov * sizeof *k->iov)))
		return -ENOMEM;
	k->mh = (struct msghdr){.msg_iov = k->iov,
				.msg_iovlen = (size_t)sess_out(k->c, k->iov, l->niov)};
	struct io_uring_sqe *sqe = sqe_get(l);
	if (!sqe)
		return -l->sq_err;
	/* `send`: MSG_DONTWAIT makes io_uring behave as a non-blocking
	 * send() does - the kernel marks the request REQ_F_NOWAIT and does not
	 * wait for room, so a full socket buffer gives a short count or
	 * -EAGAIN, which sess_sent() counts as dropped.  Without it (`sendall`)
	 * a full buffer makes io_uring wait for POLLOUT itself; a short count
	 * still completes (no MSG_WAITALL) and the rest is sent again.
	 * MSG_NOSIGNAL: EPIPE, not SIGPIPE (io_uring adds it anyway). */
	io_uring_prep_sendmsg(sqe, k->c->fd, &k->mh,
			      naive ? MSG_DONTWAIT | MSG_NOSIGNAL : MSG_NOSIGNAL);
	k->op.kind = OP_SEND;
	k->op.busy = true;
	io_uring_sqe_set_data(sqe, &k->op);
	return 0;
}

/* Submit what the session waits for next, or close it. */
static void conn_next(struct loop *l, struct conn *k, enum sess_want w)
{
	int r = 0;
	k->c->want = w;
	if (w == SESS_READ)
		r = arm_recv(l, k);
	else if (w == SESS_WRITE)
		r = arm_send(l, k);
	if (r < 0)
		stats_error(l->s->st, -r);
	if (w == SESS_CLOSE || r < 0)
		conn_close(l, k);
}

static void add_conn(struct loop *l, int fd)
{
	struct sess *c = conntab_add(&l->tab, l->s, fd);
	if (!c)
		return; /* closed and counted */
	struct conn *k = calloc(1, sizeof *k);
	if (!k) {
		stats_error(l->s->st, ENOMEM);
		conntab_del(&l->tab, c);
		return;
	}
	k->c = c;
	k->op.k = k;
	k->next = l->conns;
	if (l->conns)
		l->conns->prev = k;
	l->conns = k;
	l->nconns++;
	conn_next(l, k, SESS_READ);
}

static bool arm_accept(struct loop *l, struct op *op)
{
	struct srv *s = l->s;
	if (s->cfg->accept_delay_ms)
		srv_sleep_ms(s->cfg->accept_delay_ms); /* a slow acceptor: the backlog fills */
	struct io_uring_sqe *sqe = sqe_get(l);
	if (!sqe)
		return false; /* tried again next round */
	/* Not a fixed (registered) file: the new socket gets an ordinary fd,
	 * counted against RLIMIT_NOFILE like any accept4(). */
	io_uring_prep_accept(sqe, s->lfd[0], NULL, NULL, SOCK_CLOEXEC);
	op->busy = true;
	io_uring_sqe_set_data(sqe, op);
	l->accepts++;
	return true;
}

static void on_accept(struct loop *l, int res)
{
	struct srv *s = l->s;
	l->accepts--;
	if (res >= 0) {
		int fd = srv_admit(s, res); /* --max-conns, --sndbuf, counting */
		if (fd < 0)
			return;
		if (l->stopping) {
			close(fd); /* it raced the stop: accepted and closed, counted */
			stats_conn_close(s->st);
			return;
		}
		add_conn(l, fd);
	} else if (res == -EMFILE || res == -ENFILE) {
		/* Out of descriptors.  io_uring's accept takes the fd before it
		 * looks for a connection, so it fails at once whether one waits
		 * or not: armed again, it would spin.  Poll the listen socket
		 * instead until a connection is there (on_listen_poll). */
		l->fd_starved = true;
	} else if (res != -EAGAIN && res != -EINTR && res != -ECANCELED) {
		stats_error(s->st, -res);
	}
	/* Not counted: -ECANCELED (our stop) and -EAGAIN, which should not
	 * come - io_uring waits for a connection with its own poll, and only
	 * an accept punted to a worker thread would see the listen socket's
	 * O_NONBLOCK.  The main loop arms a new accept either way. */
}

static void arm_listen_poll(struct loop *l)
{
	struct io_uring_sqe *sqe = sqe_get(l);
	if (!sqe)
		return; /* lpoll not busy: the main loop tries again next round */
	io_uring_prep_poll_add(sqe, l->s->lfd[0], POLLIN);
	l->lpoll.busy = true;
	io_uring_sqe_set_data(sqe, &l->lpoll);
}

/* Out of fds and a connection waits: the shared srv_accept() counts the
 * EMFILE, gives up the spare fd to take the connection and close it, so
 * the client is told at once - or returns a socket if an fd came free,
 * and io_uring accepts again. */
static void on_listen_poll(struct loop *l)
{
	if (l->stopping)
		return;
	int fd = srv_accept(l->s, l->s->lfd[0], true);
	if (fd >= 0)
		add_conn(l, fd);
	if (fd != -EMFILE && fd != -ENFILE)
		l->fd_starved = false;
}

static void arm_stop(struct loop *l)
{
	struct io_uring_sqe *sqe = sqe_get(l);
	if (!sqe)
		return; /* stop_op not busy: the main loop tries again next round */
	/* One-shot poll: it completes once, then is armed again. */
	io_uring_prep_poll_add(sqe, l->s->stop_fd, POLLIN);
	l->stop_op.busy = true;
	io_uring_sqe_set_data(sqe, &l->stop_op);
}

static void on_conn(struct loop *l, struct conn *k, int res)
{
	struct sess *c = k->c;
	if (l->stopping) {
		/* Our own shutdown() ended this operation: count the bytes it
		 * moved, not the EPIPE or EOF it got. */
		if (res > 0 && k->op.kind == OP_RECV)
			sess_received(c, res);
		else if (res > 0)
			sess_sent(c, res);
		conn_close(l, k);
		return;
	}
	/* res is what recv()/sendmsg() would have returned, -errno on error */
	conn_next(l, k, k->op.kind == OP_RECV ? sess_received(c, res) : sess_sent(c, res));
}

static void reap(struct loop *l)
{
	struct io_uring_cqe *cqe;
	/* peek: take what has completed without entering the kernel. */
	while (io_uring_peek_cqe(&l->ring, &cqe) == 0) {
		struct op *op = io_uring_cqe_get_data(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&l->ring, cqe);
		if (!op)
			continue; /* a cancel request's own completion */
		op->busy = false;
		switch (op->kind) {
		case OP_ACCEPT:
			on_accept(l, res);
			break;
		case OP_LISTEN_POLL:
			on_listen_poll(l);
			break;
		case OP_STOP:
			srv_stop_requested(l->s);
			break;
		default:
			on_conn(l, op->k, res);
		}
	}
}

/* Wait up to ms for a completion (ms < 0: no limit), submitting what is
 * queued in the same io_uring_enter(), then reap everything ready. */
static int wait_reap(struct loop *l, int ms)
{
	struct __kernel_timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000LL};
	struct io_uring_cqe *cqe;
	int r = io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1, ms >= 0 ? &ts : NULL, NULL);
	reap(l);
	/* -ETIME: the timeout; -EINTR: a handled signal not in the signalfd
	 * set (SIGWINCH, say) - nothing failed, the loop waits again;
	 * -EBUSY/-EAGAIN: completions overflowed or the kernel was short of
	 * memory - reaping (done above) makes room.  Anything else (EBADF,
	 * EFAULT, EINVAL: the ring itself is broken) ends run() with it. */
	if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY && r != -EAGAIN)
		return r;
	return 0;
}

static void cancel(struct loop *l, struct op *op)
{
	struct io_uring_sqe *sqe = sqe_get(l);
	if (!sqe)
		return; /* the drain's time limit and stop_all's last resort cover it */
	/* The target completes with -ECANCELED (or its result, if it won the
	 * race); the cancel request has its own completion, user_data NULL. */
	io_uring_prep_cancel(sqe, op, 0);
	io_uring_sqe_set_data(sqe, NULL);
}

static void drain(struct loop *l, unsigned ms)
{
	uint64_t end = clock_now_ms() + ms;
	while (l->nconns > 0 || l->accepts > 0) {
		uint64_t now = clock_now_ms();
		if (now >= end || wait_reap(l, (int)(end - now)) < 0)
			break;
	}
}

/* Stop: end every operation in flight, then close.  close() would not do:
 * a pending io_uring operation holds its own reference to the socket's
 * file, so closing the fd neither wakes nor cancels it.  shutdown() acts
 * on the socket itself: a pending recv completes with 0 (EOF), a pending
 * send with -EPIPE. */
static void stop_all(struct loop *l)
{
	struct conn *k, *next;
	l->stopping = true;
	for (int i = 0; i < ACCEPT_DEPTH; i++)
		if (l->acc[i].busy)
			cancel(l, &l->acc[i]);
	if (l->lpoll.busy)
		cancel(l, &l->lpoll);
	for (k = l->conns; k; k = next) {
		next = k->next;
		if (k->op.busy)
			shutdown(k->c->fd, SHUT_RDWR);
		else
			conn_close(l, k);
	}
	drain(l, DRAIN_MS);
	/* Anything still pending (it should not be): ask io_uring to cancel. */
	for (k = l->conns; k; k = k->next)
		cancel(l, &k->op);
	drain(l, DRAIN_MS / 4);
	/* Still not completed: count and close the sockets but leave their
	 * memory alone - the kernel may yet write into the receive buffer.
	 * The process is about to exit. */
	for (k = l->conns; k; k = next) {
		next = k->next;
		k->c->ibuf = NULL;
		conntab_del(&l->tab, k->c);
	}
	l->conns = NULL;
}

/* Each operation this model submits, and the kernel that added it.
 * TIMEOUT: io_uring_wait_cqe_timeout() submits one where the kernel cannot
 * take the timeout as an argument (IORING_FEAT_EXT_ARG, 5.11). */
static const int needed_ops[] = {
    IORING_OP_ACCEPT,	    /* 5.5 */
    IORING_OP_RECV,	    /* 5.6 */
    IORING_OP_SENDMSG,	    /* 5.3 */
    IORING_OP_POLL_ADD,	    /* 5.1 */
    IORING_OP_ASYNC_CANCEL, /* 5.5 */
    IORING_OP_TIMEOUT,	    /* 5.4 */
};

/* The ring, or -errno: -EPERM when kernel.io_uring_disabled or a container's
 * seccomp filter forbids it, -ENOSYS on a kernel built without it,
 * -EOPNOTSUPP when an operation above is missing (probes need 5.6). */
static int ring_init(struct loop *l)
{
	struct io_uring_params p;
	/* SINGLE_ISSUER + DEFER_TASKRUN (6.1): only this thread submits, and
	 * completion work runs when it asks for completions, not by
	 * interrupting it - the recommended set-up for one-thread servers.
	 * Older kernels refuse the flags with -EINVAL: retry without. */
	const unsigned flags[] = {IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER |
				      IORING_SETUP_DEFER_TASKRUN,
				  IORING_SETUP_CQSIZE};
	int r = -EINVAL;
	for (unsigned i = 0; i < 2 && r == -EINVAL; i++) {
		p = (struct io_uring_params){.flags = flags[i], .cq_entries = RING_CQ};
		r = io_uring_queue_init_params(RING_SQ, &l->ring, &p);
	}
	if (r < 0)
		return r;
	struct io_uring_probe *pr = io_uring_get_probe_ring(&l->ring);
	r = pr ? 0 : -EOPNOTSUPP;
	for (size_t i = 0; pr && i < sizeof needed_ops / sizeof needed_ops[0]; i++)
		if (!io_uring_opcode_supported(pr, needed_ops[i]))
			r = -EOPNOTSUPP;
	if (pr)
		io_uring_free_probe(pr);
	if (r < 0)
		io_uring_queue_exit(&l->ring);
	return r;
}

/* Before READY: a kernel or sandbox that refuses io_uring is a failed
 * start (one line, exit 1), not a server that announced itself and died. */
static int probe(void)
{
	static struct loop l;
	int r = ring_init(&l);
	if (r == 0)
		io_uring_queue_exit(&l.ring);
	return r;
}

static int run(struct srv *s)
{
	struct loop l = {.s = s,
			 .lpoll = {.kind = OP_LISTEN_POLL},
			 .stop_op = {.kind = OP_STOP},
			 .niov = sess_iov_max(s)};
	int depth = s->cfg->accept_delay_ms ? 1 : ACCEPT_DEPTH, tick = srv_tick_ms(s), r;
	for (int i = 0; i < ACCEPT_DEPTH; i++)
		l.acc[i].kind = OP_ACCEPT;
	r = ring_init(&l);
	if (r < 0)
		return r;
	uint64_t next_sweep = clock_now_ms() + (uint64_t)(tick > 0 ? tick : 0);
	while (!srv_stopping) {
		if (!l.stop_op.busy)
			arm_stop(&l);
		if (l.fd_starved && !l.lpoll.busy)
			arm_listen_poll(&l);
		for (int i = 0; i < depth && !srv_stopping && !l.fd_starved; i++)
			if (!l.acc[i].busy && !arm_accept(&l, &l.acc[i]))
				break;
		r = wait_reap(&l, tick);
		if (r < 0)
			break;
		if (tick > 0 && clock_now_ms() >= next_sweep) {
			/* shutdown() idle sockets: their recv completes with 0 */
			conntab_sweep_idle(&l.tab, s->cfg->idle_timeout_ms);
			next_sweep = clock_now_ms() + (uint64_t)tick;
		}
	}
	stop_all(&l);
	conntab_close_all(&l.tab);
	io_uring_queue_exit(&l.ring);
	return r;
}

const struct server_model model_uring = {
    .name = "uring",
    .help = "one thread, io_uring: accept, recv and sendmsg submitted to the kernel",
    .event_loop = true,
    .probe = probe,
    .run = run,
};

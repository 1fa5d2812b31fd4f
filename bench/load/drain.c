/* drain.c - the client's last reads and writes, after the run's end and
 * before its leave.
 *
 * Why drain: a reply still on its way when the run ended lands in the
 * client's receive queue, and close() on a socket with unread data sends
 * RST instead of FIN (tcp_close, net/ipv4/tcp.c: "data_was_unread",
 * counted as TCPAbortOnClose; RFC 2525 section 2.17).  A lesson that says
 * "close() sends FIN" must not reset connections behind the viewer's
 * back, so each request in flight is finished: the rest of it sent, its
 * reply read to its end.  None of it is counted: the run had ended, and
 * in_flight_at_end (and the censored latencies) already hold them.
 *
 * --unread does the opposite on purpose: one more request, and a wait
 * until its reply is in the receive queue, never read.
 *
 * One poll() loop over the connections that still move, 10 ms at most per
 * wait: bounded by --timeout, ended by SIGINT/SIGTERM within a tick.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "leave.h"
#include "sockbench/clock.h"
#include "sockbench/proto.h"
#include "sockbench/stopsig.h"

enum dstate { D_SEND, D_RECV, D_WAIT, D_DONE, D_FAIL };

#define DRAIN_BUF (64 << 10)

static void set_nonblocking(int fd)
{
	/* the one-connection thread made its socket blocking (engine.c,
	 * wait_in_socket); every step here must return at once */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* The rest of the request; then the reply is read (drain) or awaited. */
static enum dstate step_send(const struct engine *e, struct leave_conn *l, enum dstate next)
{
	while (l->off < e->reqlen) {
		ssize_t n = send(l->fd, e->reqbuf + l->off, e->reqlen - l->off, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? D_SEND : D_FAIL;
		l->off += (uint64_t)n;
	}
	return next;
}

/* rr, echo: exactly the reply's length, no byte more (a byte more would
 * be one nobody asked for, left in the queue); http: to the reply's end
 * as its framing says. */
static enum dstate step_recv(const struct engine *e, struct leave_conn *l, uint8_t *buf)
{
	const struct load_config *c = e->cfg;
	uint64_t want = c->mode == MODE_ECHO ? c->req_size : c->resp_size;
	size_t used;
	/* a reply the loop read whole after the end is not read again (it
	 * left it as it was: counted in flight, not done) */
	if (c->mode == MODE_HTTP && http_resp_feed(&l->hr, buf, 0, &used) == HTTP_RESP_DONE)
		return D_DONE;
	for (;;) {
		size_t room = DRAIN_BUF;
		if (c->mode != MODE_HTTP) {
			if (l->got >= want)
				return D_DONE;
			if (want - l->got < room)
				room = (size_t)(want - l->got);
		}
		ssize_t n = recv(l->fd, buf, room, 0);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? D_RECV : D_FAIL;
		if (n == 0) /* the server closed: a reply it ended so is whole */
			return c->mode == MODE_HTTP && http_resp_eof(&l->hr) ? D_DONE : D_FAIL;
		l->got += (uint64_t)n;
		if (c->mode != MODE_HTTP)
			continue;
		enum http_resp_event ev = http_resp_feed(&l->hr, buf, (size_t)n, &used);
		if (ev == HTTP_RESP_DONE)
			return D_DONE; /* what followed it was read too: the queue is empty */
		if (ev != HTTP_RESP_MORE)
			return D_FAIL;
	}
}

/* --unread: readable, and bytes (not only the server's FIN) are queued. */
static enum dstate step_wait(const struct leave_conn *l)
{
	int queued = 0;
	if (ioctl(l->fd, FIONREAD, &queued) < 0)
		return D_FAIL;
	return queued > 0 ? D_DONE : D_FAIL;
}

static enum dstate step(const struct engine *e, struct leave_conn *l, enum dstate st,
			uint8_t *buf)
{
	switch (st) {
	case D_SEND:
		st = step_send(e, l, e->cfg->unread && !l->in_flight ? D_WAIT : D_RECV);
		return st == D_RECV ? step_recv(e, l, buf) : st;
	case D_RECV:
		return step_recv(e, l, buf);
	case D_WAIT:
		return step_wait(l);
	default:
		return st;
	}
}

/* Drive each connection of idx[0..n) (indexes into e->left, states in
 * st[]) until it is done or failed, the deadline passes, or a stop signal
 * comes. */
static void drive(struct engine *e, const int *idx, enum dstate *st, int n)
{
	uint64_t deadline = clock_now_ns() + e->cfg->timeout_us * 1000;
	struct pollfd *pf = calloc((size_t)n, sizeof *pf);
	int *at = calloc((size_t)n, sizeof *at);
	uint8_t *buf = malloc(DRAIN_BUF);
	/* a first step for each at once: what is already there (a reply
	 * read whole before the end, bytes queued) raises no new poll event */
	for (int i = 0; buf && i < n; i++)
		st[i] = step(e, &e->left[idx[i]], st[i], buf);
	while (pf && at && buf && clock_now_ns() < deadline && !stopsig_caught()) {
		int k = 0;
		for (int i = 0; i < n; i++) {
			if (st[i] != D_SEND && st[i] != D_RECV && st[i] != D_WAIT)
				continue;
			pf[k] = (struct pollfd){.fd = e->left[idx[i]].fd,
						.events = st[i] == D_SEND ? POLLOUT : POLLIN};
			at[k++] = i;
		}
		if (!k)
			break;
		if (poll(pf, (nfds_t)k, 10) <= 0)
			continue; /* a tick: the clock and the stop flag again */
		for (int j = 0; j < k; j++)
			if (pf[j].revents)
				st[at[j]] = step(e, &e->left[idx[at[j]]], st[at[j]], buf);
	}
	free(pf);
	free(at);
	free(buf);
}

/* The connections of one phase: in flight (drain) or connected and whole
 * (unread); run them; count how they ended. */
static void phase(struct engine *e, bool unread, uint64_t *done, uint64_t *failed)
{
	int *idx = calloc((size_t)e->nleft + 1, sizeof *idx), n = 0;
	enum dstate *st = calloc((size_t)e->nleft + 1, sizeof *st);
	if (!idx || !st) {
		free(idx);
		free(st);
		return;
	}
	for (int i = 0; i < e->nleft; i++) {
		struct leave_conn *l = &e->left[i];
		if (unread ? !l->connected || l->broken : !l->in_flight)
			continue;
		if (unread) { /* a fresh request, from its first byte */
			l->in_flight = false;
			l->off = 0;
		}
		set_nonblocking(l->fd);
		st[n] = l->off < e->reqlen ? D_SEND : D_RECV;
		idx[n++] = i;
	}
	drive(e, idx, st, n);
	for (int i = 0; i < n; i++) {
		bool ok = st[i] == D_DONE;
		*(ok ? done : failed) += 1;
		if (!ok)
			e->left[idx[i]].broken = true;
	}
	free(idx);
	free(st);
}

void leave_drain(struct engine *e, struct leave_counts *lc)
{
	phase(e, false, &lc->drained, &lc->drain_failed);
}

void leave_unread(struct engine *e, struct leave_counts *lc)
{
	phase(e, true, &lc->unread_waiting, &lc->unread_missing);
}

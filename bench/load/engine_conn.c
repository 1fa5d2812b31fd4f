/* engine_conn.c - the load generator's connections: open one (socket
 * options, source address, non-blocking connect into the thread's epoll
 * set), fail one (counted, and with --requests the request it was for),
 * close one; the open loop's list of idle ones.  The loops that drive them
 * are engine.c. */
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_acked (glibc's lacks it) */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "engine.h"
#include "engine_int.h"

/* The open loop's idle list: connections whose reply came with no request
 * due wait here for the schedule (engine.c's schedule_due takes the top
 * one).  Doubly linked, so that a connection leaves it at once wherever it
 * stops being idle: taken for a request, or closed while it waited (the
 * server's FIN or RST, bytes nobody asked for).  A closed connection left
 * in the list was linked a second time when its slot reconnected and went
 * idle again: the list turned into a cycle that schedule_due walked for
 * ever (a server killed mid-run under --rate). */
void engine_idle_push(struct lthread *t, struct lconn *c)
{
	int i = (int)(c - t->c);
	c->st = C_IDLE;
	if (c->idle)
		return; /* in the list already (not reached: a linked one is idle) */
	c->idle = true;
	c->prev_idle = -1;
	c->next_idle = t->idle_top;
	if (t->idle_top >= 0)
		t->c[t->idle_top].prev_idle = i;
	t->idle_top = i;
}

void engine_idle_unlink(struct lthread *t, struct lconn *c)
{
	if (!c->idle)
		return;
	c->idle = false;
	if (c->prev_idle >= 0)
		t->c[c->prev_idle].next_idle = c->next_idle;
	else
		t->idle_top = c->next_idle;
	if (c->next_idle >= 0)
		t->c[c->next_idle].prev_idle = c->prev_idle;
	c->next_idle = c->prev_idle = -1;
}

void engine_conn_close(struct lthread *t, struct lconn *c)
{
	engine_idle_unlink(t, c);
	engine_conn_live(t, c, LIVE_NONE);
	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	c->blocking = c->epoll_only = c->acked_base_set = false;
	c->st = C_NONE;
}

/* A connection that could not be opened (err: an errno or LERR_*).  With
 * --requests in a request mode it takes one request with it, failed: that
 * request could not be sent, and a run against a dead port must still
 * reach its count rather than retry for ever. */
/* crr with --requests opens a connection only for a request that is still
 * to be made: the connection holds it while it connects, so that a thread
 * with one request left does not open a connection on every idle slot
 * (--requests 500 opened 501-503).  Connected or failed, it lets go: the
 * request is then taken (take_request) or failed with it. */
void engine_conn_reserve(struct lthread *t, struct lconn *c)
{
	if (t->e->cfg->requests && !c->reserved) {
		c->reserved = true;
		t->reserved++;
	}
}

static void reserve(struct lthread *t, struct lconn *c)
{
	const struct load_config *cfg = t->e->cfg;
	if (cfg->requests && cfg->mode == MODE_CRR && !c->reserved) {
		c->reserved = true;
		t->reserved++;
	}
}

/* Bytes the peer's TCP acknowledged: tcpi_bytes_acked (Linux 4.1), which
 * counts sequence space, so the SYN is 1 of it (and the FIN, once sent
 * and acknowledged; we read before close(), so ours never is).  It
 * includes what waits in the peer's receive buffer unread: the kernel
 * acknowledges on arrival, not when the application reads. */
static int tcp_acked(int fd, uint64_t *out)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof ti.tcpi_bytes_acked)
		return -1;
	*out = ti.tcpi_bytes_acked;
	return 0;
}

void engine_conn_acked(struct lthread *t, struct lconn *c)
{
	uint64_t acked;
	if (t->e->cfg->mode != MODE_STREAM || t->e->target.family == AF_UNIX || c->fd < 0 ||
	    !c->acked_base_set)
		return;
	if (tcp_acked(c->fd, &acked) < 0) {
		t->s.acked_unknown++;
		return;
	}
	if (acked > c->acked_base)
		t->s.bytes_acked += acked - c->acked_base;
	c->acked_base = acked; /* a second call adds nothing twice */
}

/* stream: the first measured send of a connection fixes what was acked
 * before (the SYN, and any warm-up bytes) */
void engine_conn_measure_start(struct lthread *t, struct lconn *c)
{
	if (c->acked_base_set || t->e->target.family == AF_UNIX)
		return;
	c->acked_base_set = true;
	c->acked_base = 1;
	if (!measuring(t, c->t_conn) && tcp_acked(c->fd, &c->acked_base) < 0)
		t->s.acked_unknown++;
}

/* The local port the kernel chose at connect() (inet_hash_connect picks
 * it from net.ipv4.ip_local_port_range, skipping ports whose 4-tuple is in
 * use): read once per connection, after the handshake. */
void engine_conn_port(struct lthread *t, struct lconn *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	uint16_t port;
	if (t->e->target.family == AF_UNIX ||
	    getsockname(c->fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET)
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		return;
	struct lstats *s = &t->s;
	if (!s->lport_bits && !(s->lport_bits = calloc(65536 / 64, sizeof *s->lport_bits)))
		return;
	if (!s->lport_max || port < s->lport_min)
		s->lport_min = port;
	if (port > s->lport_max)
		s->lport_max = port;
	s->lport_bits[port / 64] |= 1ull << (port % 64);
}

void engine_conn_release(struct lthread *t, struct lconn *c)
{
	if (c->reserved) {
		c->reserved = false;
		t->reserved--;
	}
}

void engine_conn_failed(struct lthread *t, struct lconn *c, int err, uint64_t now)
{
	const struct load_config *cfg = t->e->cfg;
	bool counted = measuring(t, c->t_conn);
	engine_conn_release(t, c);
	count_error(t, err, now);
	if (counted) {
		t->s.conn_failed++;
		hist_record(&t->s.conn_fail_lat, now > c->t_conn ? now - c->t_conn : 0);
	}
	if (cfg->requests && cfg->mode != MODE_CONNECT && cfg->mode != MODE_STREAM &&
	    t->issued < t->quota) {
		t->issued++;
		if (counted)
			t->s.req_failed++;
	}
	engine_conn_close(t, c);
}

/* Socket options and source address before connect(): 0 or an errno.
 * They fail on a fresh socket only when something outside the program
 * says no (an LSM, a cgroup BPF setsockopt program: EACCES, EPERM) or
 * the kernel lacks the option (IP_BIND_ADDRESS_NO_PORT, 4.2: ENOPROTOOPT);
 * a connection without them would measure something else, so it fails,
 * counted by errno. */
static int conn_setup(const struct engine *e, const struct lconn *c, int fd)
{
	int one = 1;
	if (e->target.family == AF_UNIX)
		return 0;
	/* TCP_NODELAY: Nagle would hold the tail of a request written in
	 * pieces until the server ACKs the head, and its delayed ACK takes up
	 * to 40 ms: latency of the algorithm, not of the server. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		return errno;
	if (!e->cfg->nsources)
		return 0;
	/* IP_BIND_ADDRESS_NO_PORT: bind() picks the address only; the port is
	 * chosen at connect() time against the full 4-tuple, so each source
	 * address has its own port range. */
	const struct net_addr *src = &e->cfg->sources[c->src];
	if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) < 0 ||
	    bind(fd, (const struct sockaddr *)&src->ss, src->len) < 0)
		return errno;
	return 0;
}

int engine_conn_open(struct lthread *t, struct lconn *c, uint64_t sched)
{
	const struct engine *e = t->e;
	uint64_t now = clock_now_ns();
	reserve(t, c);
	int fd = socket(e->target.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (measuring(t, sched))
		t->s.attempted++;
	c->t_conn = sched;
	if (fd < 0) {
		engine_conn_failed(t, c, errno, now);
		return -1;
	}
	c->fd = fd; /* from here engine_conn_failed() closes it */
	int err = conn_setup(e, c, fd);
	if (err) {
		engine_conn_failed(t, c, err, now);
		return -1;
	}
	c->st = C_CONNECTING;
	engine_conn_live(t, c, LIVE_CONNECTING);
	c->deadline = now + e->cfg->connect_timeout_us * 1000;
	/* epoll_ctl(ADD) fails with ENOMEM (the kernel's epitem allocation)
	 * or ENOSPC (the user's fs.epoll.max_user_watches reached): such a
	 * socket would never be reported and its request would wait for the
	 * connect timeout, so it fails now, counted by errno. */
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP,
				 .data.ptr = c};
	/* Non-blocking connect: the SYN leaves now; EINPROGRESS until the
	 * handshake completes (writable) or fails (SO_ERROR).  A unix socket
	 * has no handshake: connect() either joins the listener's queue at
	 * once (0) or, the queue being full, says EAGAIN - a non-blocking
	 * connect does not wait for room (unix_stream_connect,
	 * unix_wait_for_peer with a zero timeout).  That is a failed
	 * connection, counted as EAGAIN; it is not connected, and a recv() on
	 * it would say EINVAL.  The slot tries again as any failed connect
	 * does: request modes on the next tick, connect mode never (each slot
	 * connects once). */
	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ||
	    (connect(fd, (const struct sockaddr *)&e->target.ss, e->target.len) < 0 &&
	     errno != EINPROGRESS)) {
		engine_conn_failed(t, c, errno, now);
		return -1;
	}
	return 0;
}

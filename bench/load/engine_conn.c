/* engine_conn.c - the load generator's connections: open one (socket
 * options, source address, non-blocking connect into the thread's epoll
 * set), fail one (counted, and with --requests the request it was for),
 * close one.  The loops that drive them are engine.c. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "engine.h"
#include "engine_int.h"

void engine_conn_close(struct lconn *c)
{
	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	c->blocking = c->epoll_only = false;
	c->st = C_NONE;
}

/* A connection that could not be opened (err: an errno or LERR_*).  With
 * --requests in a request mode it takes one request with it, failed: that
 * request could not be sent, and a run against a dead port must still
 * reach its count rather than retry for ever. */
void engine_conn_failed(struct lthread *t, struct lconn *c, int err, uint64_t now)
{
	const struct load_config *cfg = t->e->cfg;
	bool counted = measuring(t, c->t_conn);
	count_error(t, err, now);
	if (counted)
		t->s.conn_failed++;
	if (cfg->requests && cfg->mode != MODE_CONNECT && cfg->mode != MODE_STREAM &&
	    t->issued < t->quota) {
		t->issued++;
		if (counted)
			t->s.req_failed++;
	}
	engine_conn_close(c);
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
	c->deadline = now + e->cfg->connect_timeout_us * 1000;
	/* epoll_ctl(ADD) fails with ENOMEM (the kernel's epitem allocation)
	 * or ENOSPC (the user's fs.epoll.max_user_watches reached): such a
	 * socket would never be reported and its request would wait for the
	 * connect timeout, so it fails now, counted by errno. */
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP,
				 .data.ptr = c};
	/* Non-blocking connect: the SYN leaves now; EINPROGRESS until the
	 * handshake completes (writable) or fails (SO_ERROR). */
	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ||
	    (connect(fd, (const struct sockaddr *)&e->target.ss, e->target.len) < 0 &&
	     errno != EINPROGRESS && errno != EAGAIN)) {
		engine_conn_failed(t, c, errno, now);
		return -1;
	}
	return 0;
}

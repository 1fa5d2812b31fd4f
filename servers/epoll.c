/* epoll.c - one thread, level-triggered epoll, non-blocking sockets.
 *
 * The loop also serves each prefork worker (epoll_loop).  Level-triggered:
 * a socket stays reported while it has data, so reading one recv_size
 * chunk per wake-up is correct and keeps connections fair to each other.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/server.h"
#include "sockbench/sess.h"

struct loop {
	int ep;
	struct conntab tab;
};

/* Register c's socket (ADD) or re-aim it (MOD); -errno when the kernel
 * refuses, and then the connection is closed and counted by errno: a
 * socket outside the set is never reported, so it would sit unserved and
 * uncounted until the stop.  ADD allocates an epitem and a wait-queue
 * entry per watched fd (fs/eventpoll.c, ep_insert) and fails with ENOMEM
 * when that allocation does, or with ENOSPC once the user's watches reach
 * fs.epoll.max_user_watches (by default 4% of low memory divided by the
 * ~200 bytes one watch costs: a limit that millions of sockets meet).
 * MOD allocates nothing; it fails only for a fd not in the set (ENOENT). */
static int watch(struct loop *l, struct sess *c, enum sess_want w, int op)
{
	struct epoll_event ev = {.events = w == SESS_WRITE ? EPOLLOUT : EPOLLIN, .data.fd = c->fd};
	c->want = w;
	if (epoll_ctl(l->ep, op, c->fd, &ev) == 0)
		return 0;
	int e = errno;
	stats_error(c->srv->st, e);
	conntab_del(&l->tab, c); /* closed: accepted == closed still holds */
	return -e;
}

static int add_conn(struct srv *s, int fd, void *arg)
{
	struct loop *l = arg;
	struct sess *c = conntab_add(&l->tab, s, fd);
	if (!c)
		return -ENOMEM;
	return watch(l, c, SESS_READ, EPOLL_CTL_ADD);
}

static void on_conn(struct loop *l, struct sess *c, uint32_t events)
{
	enum sess_want w = c->want == SESS_WRITE && (events & (EPOLLOUT | EPOLLERR))
			       ? sess_on_write(c)
			       : sess_on_read(c);
	if (w == SESS_CLOSE)
		conntab_del(&l->tab, c); /* close() also removes it from the epoll set */
	else if (w != c->want)
		watch(l, c, w, EPOLL_CTL_MOD); /* on failure c is gone, counted */
}

int epoll_loop(struct srv *s, int lfd, bool exclusive)
{
	struct loop l = {.ep = epoll_create1(EPOLL_CLOEXEC)};
	if (l.ep < 0)
		return -errno;
	/* EPOLLEXCLUSIVE (4.5+): of the epoll sets waiting on this listen
	 * socket, wake one (or a few) instead of all - the herd tamed. */
	struct epoll_event ev = {.events = EPOLLIN | (exclusive ? EPOLLEXCLUSIVE : 0u),
				 .data.fd = lfd};
	struct epoll_event sev = {.events = EPOLLIN, .data.fd = s->stop_fd};
	if (epoll_ctl(l.ep, EPOLL_CTL_ADD, lfd, &ev) < 0 ||
	    epoll_ctl(l.ep, EPOLL_CTL_ADD, s->stop_fd, &sev) < 0) {
		int e = errno;
		close(l.ep);
		return -e;
	}
	struct epoll_event evs[256];
	int tick = srv_tick_ms(s), r = 0;
	uint64_t next_sweep = clock_now_ms() + (uint64_t)(tick > 0 ? tick : 0);
	while (!srv_stopping) {
		int n = epoll_wait(l.ep, evs, 256, tick);
		if (n < 0) {
			/* EINTR: a signal whose handler ran (SIGWINCH, once a
			 * handler is installed; INT and TERM come through the
			 * signalfd) - nothing failed, wait again.  The rest
			 * (EBADF, EFAULT, EINVAL) means the loop itself is broken:
			 * serve.c reports it and exits 1. */
			if (errno != EINTR) {
				r = -errno;
				break;
			}
			n = 0;
		}
		for (int i = 0; i < n && !srv_stopping; i++) {
			int fd = evs[i].data.fd;
			if (fd == s->stop_fd)
				srv_stop_requested(s);
			else if (fd == lfd)
				srv_accept_ready(s, lfd, add_conn, &l);
			else if (conntab_get(&l.tab, fd))
				on_conn(&l, conntab_get(&l.tab, fd), evs[i].events);
		}
		if (tick > 0 && clock_now_ms() >= next_sweep) {
			conntab_sweep_idle(&l.tab, s->cfg->idle_timeout_ms);
			next_sweep = clock_now_ms() + (uint64_t)tick;
		}
	}
	conntab_close_all(&l.tab);
	close(l.ep);
	return r;
}

static int run(struct srv *s)
{
	return epoll_loop(s, s->lfd[0], false);
}

const struct server_model model_epoll = {
    .name = "epoll",
    .help = "one thread, level-triggered epoll, non-blocking sockets",
    .event_loop = true,
    .run = run,
};

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

static void watch(struct loop *l, struct sess *c, enum sess_want w, int op)
{
	struct epoll_event ev = {.events = w == SESS_WRITE ? EPOLLOUT : EPOLLIN, .data.fd = c->fd};
	c->want = w;
	epoll_ctl(l->ep, op, c->fd, &ev);
}

static int add_conn(struct srv *s, int fd, void *arg)
{
	struct loop *l = arg;
	struct sess *c = conntab_add(&l->tab, s, fd);
	if (!c)
		return -ENOMEM;
	watch(l, c, SESS_READ, EPOLL_CTL_ADD);
	return 0;
}

static void on_conn(struct loop *l, struct sess *c, uint32_t events)
{
	enum sess_want w = c->want == SESS_WRITE && (events & (EPOLLOUT | EPOLLERR))
			       ? sess_on_write(c)
			       : sess_on_read(c);
	if (w == SESS_CLOSE)
		conntab_del(&l->tab, c); /* close() also removes it from the epoll set */
	else if (w != c->want)
		watch(l, c, w, EPOLL_CTL_MOD);
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
	int tick = srv_tick_ms(s);
	uint64_t next_sweep = clock_now_ms() + (uint64_t)(tick > 0 ? tick : 0);
	while (!srv_stopping) {
		int n = epoll_wait(l.ep, evs, 256, tick);
		if (n < 0 && errno != EINTR)
			break;
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
	return 0;
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

/* libevent.c - one thread, libevent's loop over plain `struct event`s.
 *
 * libevent wraps the best wait the kernel offers (epoll on Linux: see
 * event_base_get_method()) in callbacks and timers.  This model is the
 * epoll model again with a portable library in between, so comparing the
 * two shows what that layer costs.
 *
 * Why plain events and not bufferevents, libevent's usual way to serve a
 * socket: a bufferevent reads whatever the socket holds into an evbuffer,
 * in its own chunk size (not --recv-size), copies every byte once more,
 * and writes its output evbuffer until it is empty - it is always
 * `sendall`.  That hides exactly what the lessons measure: the recv size
 * and `send` versus `sendall`.  A plain event only says "readable" or
 * "writable"; the shared session code (sess.c) then makes every recv() and
 * sendmsg() itself, as in the other models.
 */
#include <errno.h>
#include <stdlib.h>
#include <event2/event.h>

#include "sockbench/server.h"
#include "sockbench/sess.h"

struct conn;

struct loop {
	struct event_base *base;
	struct srv *s;
	struct conntab tab; /* the sessions, by fd (idle sweep) */
	struct conn *conns; /* every connection's event, to free them at stop */
};

/* What a connection adds to its session: the event that watches it. */
struct conn {
	struct sess *c;
	struct event *ev;
	struct loop *l;
	struct conn *prev, *next;
};

static void on_conn(evutil_socket_t fd, short what, void *arg);

static void conn_close(struct conn *k)
{
	struct loop *l = k->l;
	/* event_free() first: it takes the fd out of the epoll set
	 * (event_del) while the fd still exists.  Freeing the event from
	 * inside its own callback is allowed: libevent copied what it needs
	 * to finish the callback before calling it. */
	event_free(k->ev);
	if (k->prev)
		k->prev->next = k->next;
	else
		l->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	conntab_del(&l->tab, k->c); /* counts and closes the socket */
	free(k);
}

/* event_add() on an fd event is epoll_ctl() at once (no changelist: see
 * below), so it fails as epoll_ctl does - ENOMEM, or ENOSPC past
 * fs.epoll.max_user_watches (servers/epoll.c, watch) - with errno kept
 * and a "[warn] Epoll ADD" line on stderr from libevent itself. */
static int add_errno(void)
{
	return errno ? errno : EIO;
}

/* Point the connection's event at what the session waits for next;
 * -errno when libevent refuses (the caller closes and counts). */
static int watch(struct conn *k, enum sess_want w)
{
	short what = (w == SESS_WRITE ? EV_WRITE : EV_READ) | EV_PERSIST;
	k->c->want = w;
	/* An event's fd and kinds are fixed while it is added: take it out,
	 * re-aim it, add it again.  Without EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST
	 * that is two epoll_ctl() calls (DEL, ADD) where the epoll model makes
	 * one MOD; the changelist would merge them but is off by default, as
	 * it misbehaves with dup()ed fds.  It only happens when a reply did not
	 * fit in the socket buffer. */
	errno = 0;
	if (event_del(k->ev) < 0)
		return -add_errno(); /* still added: event_assign would corrupt it */
	if (event_assign(k->ev, k->l->base, k->c->fd, what, on_conn, k) < 0)
		return -EINVAL;
	return event_add(k->ev, NULL) < 0 ? -add_errno() : 0;
}

static void on_conn(evutil_socket_t fd, short what, void *arg)
{
	struct conn *k = arg;
	(void)fd;
	/* Level-triggered (no EV_ET): the event fires again while the socket
	 * stays readable, so one recv_size chunk per callback is correct and
	 * keeps connections fair to each other, as in the epoll model.
	 * libevent reports only the kinds we asked for: EPOLLERR/EPOLLHUP
	 * arrive as EV_READ or EV_WRITE, whichever is added. */
	enum sess_want w = (what & EV_WRITE) ? sess_on_write(k->c) : sess_on_read(k->c);
	if (w == SESS_CLOSE) {
		conn_close(k);
	} else if (w != k->c->want) {
		int r = watch(k, w);
		if (r < 0) {
			stats_error(k->l->s->st, -r);
			conn_close(k);
		}
	}
}

static int add_conn(struct srv *s, int fd, void *arg)
{
	struct loop *l = arg;
	struct sess *c = conntab_add(&l->tab, s, fd);
	if (!c)
		return -ENOMEM; /* closed and counted */
	struct conn *k = calloc(1, sizeof *k);
	if (k)
		k->ev = event_new(l->base, fd, EV_READ | EV_PERSIST, on_conn, k);
	int e = k && k->ev ? 0 : ENOMEM; /* an allocation failed */
	errno = 0;
	if (!e && event_add(k->ev, NULL) < 0)
		e = add_errno();
	if (e) {
		/* Not watched, never served: closed and counted by errno, so
		 * that accepted == closed. */
		if (k && k->ev)
			event_free(k->ev);
		free(k);
		stats_error(s->st, e);
		conntab_del(&l->tab, c);
		return -e;
	}
	k->c = c;
	k->l = l;
	c->want = SESS_READ;
	k->next = l->conns;
	if (l->conns)
		l->conns->prev = k;
	l->conns = k;
	return 0;
}

static void on_listen(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;
	(void)what;
	if (srv_accept_ready(l->s, fd, add_conn, l) == -EINTR)
		event_base_loopbreak(l->base);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;
	(void)fd;
	(void)what;
	/* loopbreak: event_base_dispatch() returns once this callback is
	 * done; events that became active in the same round do not run. */
	if (srv_stop_requested(l->s))
		event_base_loopbreak(l->base);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct loop *l = arg;
	(void)fd;
	(void)what;
	/* Shut idle sockets down: their read event fires, recv() sees EOF,
	 * and they close on the normal path. */
	conntab_sweep_idle(&l->tab, l->s->cfg->idle_timeout_ms);
}

static int run(struct srv *s)
{
	struct loop l = {.s = s};
	struct event *lev = NULL, *sev = NULL, *tev = NULL;
	int tick = srv_tick_ms(s), r = -ENOMEM;
	l.base = event_base_new();
	if (!l.base)
		return -ENOMEM;
	lev = event_new(l.base, s->lfd[0], EV_READ | EV_PERSIST, on_listen, &l);
	sev = event_new(l.base, s->stop_fd, EV_READ | EV_PERSIST, on_stop, &l);
	if (!lev || !sev || event_add(lev, NULL) < 0 || event_add(sev, NULL) < 0)
		goto out;
	if (tick > 0) {
		/* fd -1, EV_PERSIST: a timer that re-arms itself every tick. */
		struct timeval tv = {.tv_sec = tick / 1000, .tv_usec = (tick % 1000) * 1000};
		tev = event_new(l.base, -1, EV_PERSIST, on_tick, &l);
		if (!tev || event_add(tev, &tv) < 0)
			goto out;
	}
	r = 0;
	errno = 0;
	/* libevent's epoll backend retries epoll_wait() after EINTR itself
	 * (epoll_dispatch returns 0 then); any other failure ends the loop
	 * with -1 and errno from epoll_wait. */
	if (!srv_stopping && event_base_dispatch(l.base) < 0)
		r = errno ? -errno : -EIO;
out:
	for (struct conn *k = l.conns, *next; k; k = next) {
		next = k->next;
		conn_close(k);
	}
	conntab_close_all(&l.tab);
	if (tev)
		event_free(tev);
	if (sev)
		event_free(sev);
	if (lev)
		event_free(lev);
	event_base_free(l.base);
	return r;
}

const struct server_model model_libevent = {
    .name = "libevent",
    .help = "one thread, libevent loop of plain events (epoll underneath)",
    .event_loop = true,
    .run = run,
};

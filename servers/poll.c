/* poll.c - one thread, poll(2), non-blocking sockets.
 *
 * poll() hands the kernel the whole list on every call and the kernel
 * walks it: the cost grows with the number of connections, idle or not,
 * which is what epoll was made to avoid.  The list is rebuilt from the
 * session table each round - the same O(n) the kernel pays anyway.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "sockbench/server.h"
#include "sockbench/sess.h"

static int add_conn(struct srv *s, int fd, void *arg)
{
	return conntab_add(arg, s, fd) ? 0 : -ENOMEM;
}

static int run(struct srv *s)
{
	struct conntab tab = {0};
	struct pollfd *pf = NULL;
	int cap = 0, lfd = s->lfd[0], tick = srv_tick_ms(s), r = 0;
	while (!srv_stopping) {
		if (cap < tab.n + 2) {
			cap = 2 * (tab.n + 2);
			struct pollfd *p = realloc(pf, (size_t)cap * sizeof *p);
			if (!p) {
				r = -ENOMEM;
				break;
			}
			pf = p;
		}
		int n = 0;
		pf[n++] = (struct pollfd){.fd = s->stop_fd, .events = POLLIN};
		pf[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (int fd = 0; fd < tab.cap; fd++) {
			struct sess *c = tab.v[fd];
			if (c)
				pf[n++] = (struct pollfd){
				    .fd = fd, .events = c->want == SESS_WRITE ? POLLOUT : POLLIN};
		}
		/* EINTR (a handled signal, such as SIGWINCH) is no failure: the
		 * revents are still 0 from the rebuild above, so the round does
		 * nothing and polls again. */
		int k = poll(pf, (nfds_t)n, tick);
		if (k < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		if (pf[0].revents)
			srv_stop_requested(s);
		for (int i = 2; i < n && k > 0 && !srv_stopping; i++) {
			if (!pf[i].revents)
				continue;
			struct sess *c = conntab_get(&tab, pf[i].fd);
			conntab_serve(&tab, c);
		}
		/* Accept after serving: new sockets join the next round. */
		if (pf[1].revents && !srv_stopping)
			srv_accept_ready(s, lfd, add_conn, &tab);
		if (tick > 0)
			conntab_sweep_idle(&tab, s->cfg->idle_timeout_ms);
	}
	conntab_close_all(&tab);
	free(pf);
	return r;
}

const struct server_model model_poll = {
    .name = "poll",
    .help = "one thread, poll(2) over every connection each round",
    .event_loop = true,
    .run = run,
};

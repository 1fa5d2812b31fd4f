/* select.c - one thread, select(2), non-blocking sockets.
 *
 * An fd_set is a bitmap of FD_SETSIZE (1024) bits: FD_SET with an fd of
 * 1024 or more writes past its end (undefined behaviour, glibc aborts
 * with _FORTIFY_SOURCE).  So a connection whose fd is that high is closed
 * at once (srv_admit, told by fd_limit) and counted in
 * rejected_fd_setsize - select's hard limit.
 */
#include <errno.h>
#include <sys/select.h>
#include <unistd.h>

#include "sockbench/server.h"
#include "sockbench/sess.h"

static int add_conn(struct srv *s, int fd, void *arg)
{
	return conntab_add(arg, s, fd) ? 0 : -ENOMEM;
}

static int run(struct srv *s)
{
	struct conntab tab = {0};
	int lfd = s->lfd[0], tick = srv_tick_ms(s), r = 0;
	if (lfd >= FD_SETSIZE || s->stop_fd >= FD_SETSIZE)
		return -EMFILE;
	s->fd_limit = FD_SETSIZE; /* srv_admit refuses the rest */
	while (!srv_stopping) {
		fd_set rd, wr;
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		FD_SET(s->stop_fd, &rd);
		FD_SET(lfd, &rd);
		int maxfd = lfd > s->stop_fd ? lfd : s->stop_fd;
		for (int fd = 0; fd < tab.cap; fd++) {
			struct sess *c = tab.v[fd];
			if (!c)
				continue;
			FD_SET(fd, c->want == SESS_WRITE ? &wr : &rd);
			if (fd > maxfd)
				maxfd = fd;
		}
		/* select() overwrites its timeout on Linux: make it anew each round. */
		struct timeval tv = {.tv_sec = tick / 1000, .tv_usec = (tick % 1000) * 1000};
		/* On error the sets are left as they were (select(2)): every
		 * use below is behind k > 0, so EINTR (a handled signal) just
		 * makes a new round. */
		int k = select(maxfd + 1, &rd, &wr, NULL, tick >= 0 ? &tv : NULL);
		if (k < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		if (k > 0 && FD_ISSET(s->stop_fd, &rd))
			srv_stop_requested(s);
		for (int fd = 0; k > 0 && fd < tab.cap && !srv_stopping; fd++) {
			struct sess *c = tab.v[fd];
			if (!c || !FD_ISSET(fd, c->want == SESS_WRITE ? &wr : &rd))
				continue;
			conntab_serve(&tab, c);
		}
		if (k > 0 && FD_ISSET(lfd, &rd) && !srv_stopping)
			srv_accept_ready(s, lfd, add_conn, &tab);
		if (tick > 0)
			conntab_sweep_idle(&tab, s->cfg->idle_timeout_ms);
	}
	conntab_close_all(&tab);
	return r;
}

const struct server_model model_select = {
    .name = "select",
    .help = "one thread, select(2); fds >= FD_SETSIZE (1024) refused and counted",
    .event_loop = true,
    .run = run,
};

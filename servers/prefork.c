/* prefork.c - N worker processes forked up front, each with its own epoll
 * loop, all accepting from the same port.
 *
 * --accept-mode decides how a new connection finds a worker:
 *  shared    one listen socket in every worker's epoll set: every worker
 *            wakes for each connection, one wins accept(), the others find
 *            EAGAIN (counted as empty wake-ups) - the thundering herd;
 *  exclusive the same socket added with EPOLLEXCLUSIVE: the kernel wakes
 *            one waiter (or a few) instead of all;
 *  reuseport one SO_REUSEPORT listen socket per worker: the kernel picks
 *            the socket by a hash of the connection's addresses, so each
 *            worker has its own accept queue and nobody wakes in vain.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "sockbench/kids.h"
#include "sockbench/server.h"

static void worker(struct srv *s, int i)
{
	bool reuseport = s->cfg->accept_mode == ACCEPT_REUSEPORT;
	int lfd = reuseport ? s->lfd[i] : s->lfd[0];
	s->worker = i;
	s->st->workers[i].pid = getpid();
	for (int k = 0; k < s->nlfd; k++)
		if (s->lfd[k] != lfd)
			close(s->lfd[k]);
	/* The signalfd inherited from the parent reads this process's own
	 * signals: SIGTERM from the parent stops this loop. */
	int r = epoll_loop(s, lfd, s->cfg->accept_mode == ACCEPT_EXCLUSIVE);
	/* A worker has no stderr line of its own to give: its loop's failure
	 * (epoll_wait, say) goes into the shared stats, and the parent
	 * notices the worker gone. */
	if (r < 0)
		stats_error(s->st, -r);
	_exit(r < 0 ? 1 : 0);
}

static int run(struct srv *s)
{
	struct kids kids = {0};
	int n = s->cfg->workers, r = 0;
	s->st->nworkers = n;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0)
			worker(s, i);
		if (pid < 0 || kids_add(&kids, pid) < 0) {
			r = pid < 0 ? -errno : -ENOMEM;
			goto out;
		}
	}
	/* The parent only waits: for a stop signal, or for workers to die. */
	struct pollfd pf = {.fd = s->stop_fd, .events = POLLIN};
	while (!srv_stop_requested(s)) {
		/* EINTR: a handled signal (not INT/TERM: those are read from
		 * the signalfd); look at the workers and wait again. */
		if (poll(&pf, 1, 500) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		kids_reap(&kids);
		/* A stop sent to the process group reaches the workers too, and
		 * they may exit before this loop reads the signal: all gone is an
		 * error only when no stop was asked for. */
		if (kids.n == 0 && !srv_stop_requested(s)) {
			r = -ECHILD; /* every worker is gone: nothing serves */
			break;
		}
	}
out:
	kids_stop(&kids, 2000);
	return r;
}

const struct server_model model_prefork = {
    .name = "prefork",
    .help = "N worker processes, each an epoll loop (--workers, --accept-mode)",
    .event_loop = true,
    .run = run,
};

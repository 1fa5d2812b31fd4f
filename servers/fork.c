/* fork.c - a process per connection, the classic Unix server.
 *
 * The parent only accepts; each child serves one connection on a blocking
 * socket and exits.  Counters live in shared memory (stats.h), so the
 * children's bytes add up in the parent's report.
 */
#include <errno.h>
#include <unistd.h>

#include "sockbench/kids.h"
#include "sockbench/server.h"

static int run(struct srv *s)
{
	struct kids kids = {0};
	int r = srv_blocking_signals(s);
	if (r < 0)
		return r;
	while (!srv_stopping) {
		kids_reap(&kids);
		r = srv_wait_listen(s, s->lfd[0]);
		if (r < 0)
			break;
		if (r == 0)
			continue;
		int fd = srv_accept(s, s->lfd[0], false);
		if (fd < 0)
			continue;
		pid_t pid = fork();
		if (pid == 0) {
			close(s->lfd[0]);
			srv_set_current_fd(fd); /* SIGTERM shuts it down */
			blocking_serve(s, fd);
			/* _exit: no atexit handlers, no stdio flush of the
			 * parent's buffers, no leak check of the parent's heap. */
			_exit(0);
		}
		if (pid < 0) {
			stats_error(s->st, errno);
			stats_conn_close(s->st);
		} else if (kids_add(&kids, pid) < 0) {
			stats_error(s->st, ENOMEM);
		}
		close(fd); /* the child has its own reference */
	}
	kids_stop(&kids, 2000);
	return r < 0 ? r : 0;
}

const struct server_model model_fork = {
    .name = "fork",
    .help = "a process per connection (fork after accept), children reaped",
    .event_loop = false,
    .run = run,
};

/* blocking.c - the textbook loop: accept one, serve it to the end, repeat.
 *
 * While one client is served, the others wait in the accept queue (up to
 * backlog + 1 of them) and behind it in SYN retries: the lesson.
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "sockbench/server.h"
#include "sockbench/sess.h"

/* Serve one connection on a blocking socket until it closes; shared with
 * the fork and thread models. */
void blocking_serve(struct srv *s, int fd)
{
	struct sess c;
	unsigned idle = s->cfg->idle_timeout_ms;
	int r = sess_init(&c, s, fd, true);
	if (r == 0 && idle) {
		/* A blocking recv() gives up after SO_RCVTIMEO with EAGAIN.
		 * Without it --idle-timeout-ms would not hold: refuse the
		 * connection, counted (an LSM or a cgroup BPF program can say
		 * no to setsockopt). */
		struct timeval tv = {.tv_sec = idle / 1000, .tv_usec = (idle % 1000) * 1000};
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
			r = -errno;
			stats_error(s->st, -r);
		}
	}
	if (r == 0)
		while (!srv_stopping && sess_on_read(&c) != SESS_CLOSE)
			;
	sess_close(&c);
}

static int run(struct srv *s)
{
	int r = srv_blocking_signals(s);
	if (r < 0)
		return r;
	while (!srv_stopping) {
		r = srv_wait_listen(s, s->lfd[0]);
		if (r <= 0)
			return r;
		int fd = srv_accept(s, s->lfd[0], false);
		if (fd < 0)
			continue;
		srv_set_current_fd(fd); /* SIGTERM shuts it down: recv returns */
		blocking_serve(s, fd);
		srv_set_current_fd(-1);
	}
	return 0;
}

const struct server_model model_blocking = {
    .name = "blocking",
    .help = "one connection at a time: accept, serve to the end, accept again",
    .event_loop = false,
    .run = run,
};

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
	if (idle) {
		/* A blocking recv() gives up after SO_RCVTIMEO with EAGAIN. */
		struct timeval tv = {.tv_sec = idle / 1000, .tv_usec = (idle % 1000) * 1000};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	}
	if (sess_init(&c, s, fd, true) == 0)
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

/* none.c - no listener: the port is bound, and nothing listens on it.
 *
 * `serve` binds the socket (the port is taken, and READY says which) but
 * never calls listen() (bind_only), and this model only waits for its stop
 * signal.  A bound socket that has not listened is in state CLOSE, not
 * LISTEN: the kernel's lookup for an incoming SYN (__inet_lookup_listener,
 * net/ipv4/inet_hashtables.c) finds no listener for the port, and
 * tcp_v4_rcv answers the SYN with RST (tcp_v4_send_reset).  The client's
 * connect() fails at once with ECONNREFUSED - no timeout, no SYN retry.
 * That is the "nothing listens on the port" case of the reject lesson;
 * on a unix socket the same holds (connect() to a bound path nobody
 * listens on: ECONNREFUSED).
 *
 * Its stats count nothing: accepted 0, closed 0; backlog_effective is null
 * (there is no accept queue).
 */
#include <errno.h>
#include <poll.h>

#include "sockbench/server.h"

static int run(struct srv *s)
{
	struct pollfd pf = {.fd = s->stop_fd, .events = POLLIN};
	/* the stop signal arrives through the signalfd: wait for nothing else */
	while (!srv_stop_requested(s))
		if (poll(&pf, 1, -1) < 0 && errno != EINTR)
			return -errno;
	return 0;
}

const struct server_model model_none = {
    .name = "none",
    .help = "binds the port, never listen()s: every connect is refused (RST: ECONNREFUSED)",
    .event_loop = true,
    .bind_only = true,
    .run = run,
};

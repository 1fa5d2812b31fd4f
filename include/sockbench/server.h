/* server.h - the server models and what they share.
 *
 * A model is one file in servers/ exporting one `const struct server_model`,
 * listed once in servers/registry.c.  Its run() owns the waiting loop only:
 * accept through srv_accept(), bytes through sess_* (sess.h).
 */
#ifndef SOCKBENCH_SERVER_H
#define SOCKBENCH_SERVER_H

#include <signal.h>
#include <stdbool.h>

#include "sockbench/net.h"
#include "sockbench/serve.h"
#include "sockbench/stats.h"

struct srv {
	const struct serve_config *cfg;
	struct net_addr addr;
	int lfd[STATS_MAX_WORKERS]; /* listen sockets: one, or one per reuseport worker */
	int nlfd;
	struct stats *st;
	int stop_fd;	/* readable when SIGINT/SIGTERM arrived (signalfd or pipe) */
	int reserve_fd; /* spare fd, given up to accept-and-close when out of fds */
	int worker;	/* prefork worker index, else 0 */
	int fd_limit;	/* > 0: fds from here up are refused (select's FD_SETSIZE) */
	bool reuseaddr; /* SO_REUSEADDR as getsockopt read it on lfd[0] */
};

struct server_model {
	const char *name;
	const char *help;	   /* one line for --help */
	bool event_loop;	   /* waits through stop_fd (signals blocked); else blocking */
	bool bind_only;		   /* serve binds the socket and never calls listen() */
	int (*probe)(void);	   /* optional, before listen(): -errno if unusable here */
	int (*run)(struct srv *s); /* 0 clean stop; else -errno */
	/* Models in another language (servers/python.c): the options they take
	 * (NULL: every one) and exec(), which replaces `serve` before anything
	 * listens, the effective options passed as argv; returns only on
	 * failure (said in one line), with the exit status. */
	const char *const *opts;
	bool send_buffered; /* takes --send buffered */
	int (*exec)(const struct serve_config *c);
};

extern const struct server_model *const server_models[]; /* NULL-terminated */
const struct server_model *server_find(const char *name);

/* Set when SIGINT/SIGTERM arrived: checked by every loop. */
extern volatile sig_atomic_t srv_stopping;

/* Accept one connection from lfd and apply --max-conns and fd exhaustion.
 * Returns the fd (>= 0), -EAGAIN when none waits, -EINTR when stopping,
 * -ECONNABORTED when it was accepted and refused (counted), other -errno
 * (counted).  Sleeps --accept-delay-ms first, sets --sndbuf/--rcvbuf. */
int srv_accept(struct srv *s, int lfd, bool nonblock);
/* Admit a socket accept() returned: count it, end it at once when
 * --on-accept is close or reset (-ECONNABORTED, counted), refuse it past --max-conns
 * (-ECONNABORTED, closed and counted), set --sndbuf/--rcvbuf and
 * TCP_NODELAY (refused the same way, the errno counted, if setsockopt
 * fails). */
int srv_admit(struct srv *s, int fd);
/* Listen socket readable: accept up to a batch (one when --accept-delay-ms
 * is set: a slow acceptor takes one per wake-up) and hand each new socket
 * to add(); counts a wake-up that found nothing as empty.  Returns the
 * number accepted or -EINTR when stopping. */
int srv_accept_ready(struct srv *s, int lfd, int (*add)(struct srv *s, int fd, void *arg),
		     void *arg);
/* nanosleep that resumes after signals unless the server is stopping. */
void srv_sleep_ms(unsigned ms);
/* Drain stop_fd; true when the server must stop. */
bool srv_stop_requested(struct srv *s);
/* For blocking models: unblock SIGINT/SIGTERM and deliver them to a handler
 * that sets srv_stopping, wakes stop_fd and shuts down *cur_fd (if >= 0) so a
 * blocked recv()/send() returns at once. */
int srv_blocking_signals(struct srv *s);
void srv_set_current_fd(int fd);
/* Wait until lfd is readable or stop_fd fires: 1 ready, 0 stopping, -errno. */
int srv_wait_listen(struct srv *s, int lfd);
/* Timeout for poll-style waits given --idle-timeout-ms: -1 when off. */
int srv_tick_ms(const struct srv *s);

/* Wait for SIGUSR1 (--pause-accept); false when told to stop instead. */
bool srv_wait_resume(struct srv *s);

/* Shared loops: the epoll loop (also each prefork worker's) and the
 * blocking per-connection loop (blocking, fork, thread). */
int epoll_loop(struct srv *s, int lfd, bool exclusive);
void blocking_serve(struct srv *s, int fd);

/* Sessions of an event loop, by fd. */
struct sess;
struct conntab {
	struct sess **v;
	int cap;
	int n;
};
/* New session for fd (NULL: out of memory, fd closed and counted). */
struct sess *conntab_add(struct conntab *t, struct srv *s, int fd);
struct sess *conntab_get(const struct conntab *t, int fd);
void conntab_del(struct conntab *t, struct sess *c);
void conntab_close_all(struct conntab *t);
/* The socket is ready for what c->want says: read or write, then close
 * the session or record what it waits for next. */
void conntab_serve(struct conntab *t, struct sess *c);
/* --idle-timeout-ms: shut down sessions idle that long.  The loop then sees
 * them readable (EOF) and closes them on its normal path. */
void conntab_sweep_idle(struct conntab *t, unsigned timeout_ms);

#endif

/* srv.c - what every server model shares: accepting, stopping, pausing. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockbench/server.h"
#include "sockbench/serve.h"

volatile sig_atomic_t srv_stopping;
static volatile sig_atomic_t cur_fd = -1;
static int wake_w = -1; /* write end of the blocking models' stop pipe */

/* The socket options every accepted socket gets; 0 or -errno.  On a
 * fresh socket these fail only when something outside the program says
 * no: an LSM's socket_setsockopt hook (EACCES) or a cgroup BPF setsockopt
 * program (EPERM) - the values themselves are clamped, never refused. */
static int set_sockopts(const struct srv *s, int fd)
{
	const struct serve_config *cfg = s->cfg;
	int one = 1;
	/* Buffers asked for are doubled by the kernel and capped at
	 * net.core.[rw]mem_max; serve reports what getsockopt says. */
	if (cfg->sndbuf &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cfg->sndbuf, sizeof cfg->sndbuf) < 0)
		return -errno;
	if (cfg->rcvbuf &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cfg->rcvbuf, sizeof cfg->rcvbuf) < 0)
		return -errno;
	/* TCP_NODELAY, as nginx and netperf do: an echo server answers in
	 * recv_size pieces, far below loopback's 64 KiB MSS, and Nagle would
	 * hold each piece until the previous one is ACKed - while the client's
	 * delayed ACK waits up to 40 ms.  Per-request latency, not the
	 * algorithm, is what sockbench measures. */
	if (s->addr.family != AF_UNIX &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		return -errno;
	return 0;
}

/* --on-accept close|reset: the connection is accepted - the handshake
 * completed in the kernel long before, accept() only takes it off the
 * queue - and ended at once, before a byte is read.
 *
 * close: close() sends FIN; the client's connect() had succeeded, its
 * recv() returns 0 (EOF).  Had it sent bytes first, they meet a socket
 * nobody will read and the kernel answers RST instead: unread data at
 * close() (tcp_close, TCPAbortOnClose) or data arriving after it
 * (tcp_rcv_state_process, TCPAbortOnData).
 *
 * reset: SO_LINGER with l_onoff 1 and l_linger 0 makes close() abort the
 * connection: __tcp_close sees SOCK_LINGER with a zero linger time and
 * calls tcp_disconnect, which sends RST (tcp_send_active_reset) instead of
 * FIN and skips TIME_WAIT (net/ipv4/tcp.c).  The client's next recv() or
 * send() fails with ECONNRESET.  If the kernel says no to SO_LINGER (an
 * LSM, a cgroup BPF program) the connection is closed with FIN instead and
 * the errno counted: never a reset that did not happen. */
static int end_on_accept(struct srv *s, int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	if (s->cfg->on_accept == ON_ACCEPT_CLOSE)
		STATS_ADD(s->st, closed_on_accept, 1);
	else if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0)
		STATS_ADD(s->st, reset_on_accept, 1);
	else
		stats_error(s->st, errno);
	close(fd);
	STATS_ADD(s->st, closed, 1);
	return -ECONNABORTED;
}

int srv_admit(struct srv *s, int fd)
{
	const struct serve_config *cfg = s->cfg;
	STATS_ADD(s->st, accepted, 1);
	STATS_ADD(s->st, workers[s->worker].accepts, 1);
	if (cfg->on_accept != ON_ACCEPT_SERVE)
		return end_on_accept(s, fd);
	if (s->fd_limit > 0 && fd >= s->fd_limit) {
		/* A model that cannot hold this fd (select: FD_SET past
		 * FD_SETSIZE writes out of its bitmap) refuses it before it is
		 * counted as open. */
		close(fd);
		STATS_ADD(s->st, rejected_fd_setsize, 1);
		STATS_ADD(s->st, closed, 1);
		return -EMFILE;
	}
	if (!stats_conn_try_open(s->st, (int64_t)cfg->max_conns)) {
		/* Accepted, so the client sees an orderly close rather than
		 * a SYN timeout: the limit is the server's, not the kernel's. */
		close(fd);
		STATS_ADD(s->st, rejected_max_conns, 1);
		STATS_ADD(s->st, closed, 1);
		return -ECONNABORTED;
	}
	int r = set_sockopts(s, fd);
	if (r < 0) {
		/* A connection without the buffers or TCP_NODELAY the run asked
		 * for would measure another experiment: refuse it, counted by
		 * errno. */
		close(fd);
		stats_error(s->st, -r);
		stats_conn_close(s->st);
		return -ECONNABORTED;
	}
	return fd;
}

void srv_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !srv_stopping)
		;
}

int srv_accept(struct srv *s, int lfd, bool nonblock)
{
	if (s->cfg->accept_delay_ms)
		srv_sleep_ms(s->cfg->accept_delay_ms);
	if (srv_stopping)
		return -EINTR;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
	if (fd >= 0)
		return srv_admit(s, fd);
	int e = errno;
	if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)
		return -e;
	stats_error(s->st, e);
	if ((e == EMFILE || e == ENFILE) && s->reserve_fd >= 0) {
		/* Out of descriptors, the connection stays queued and a
		 * level-triggered loop would spin on it.  Give back the spare
		 * fd, take the connection, close it, keep the spare again. */
		close(s->reserve_fd);
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			STATS_ADD(s->st, accepted, 1);
			STATS_ADD(s->st, workers[s->worker].accepts, 1);
			STATS_ADD(s->st, closed, 1);
			close(fd);
		}
		s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	return -e;
}

int srv_accept_ready(struct srv *s, int lfd, int (*add)(struct srv *s, int fd, void *arg),
		     void *arg)
{
	int batch = s->cfg->accept_delay_ms ? 1 : 64, got = 0;
	for (int i = 0; i < batch; i++) {
		int fd = srv_accept(s, lfd, true);
		if (fd == -EINTR)
			return -EINTR;
		if (fd == -EAGAIN || fd == -EWOULDBLOCK) {
			/* Woken for a connection another process took first:
			 * the thundering herd's wasted wake-up. */
			if (i == 0)
				STATS_ADD(s->st, workers[s->worker].empty_wakeups, 1);
			break;
		}
		if (fd == -EMFILE || fd == -ENFILE)
			break;
		if (fd >= 0) {
			add(s, fd, arg);
			got++;
		}
	}
	return got;
}

bool srv_stop_requested(struct srv *s)
{
	struct signalfd_siginfo si;
	char buf[64];
	if (s->stop_fd < 0)
		return srv_stopping;
	if (!s->cfg->model->event_loop) {
		while (read(s->stop_fd, buf, sizeof buf) > 0)
			;
		return srv_stopping;
	}
	while (read(s->stop_fd, &si, sizeof si) == (ssize_t)sizeof si)
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM)
			srv_stopping = 1;
	return srv_stopping;
}

static void on_stop_signal(int sig)
{
	(void)sig;
	int e = errno;
	srv_stopping = 1;
	if (wake_w >= 0 && write(wake_w, "x", 1) < 0) {
		/* full pipe: a wake-up is already pending */
	}
	/* A blocked recv()/send() on this connection returns at once. */
	if (cur_fd >= 0)
		shutdown(cur_fd, SHUT_RDWR);
	errno = e;
}

void srv_set_current_fd(int fd)
{
	cur_fd = fd;
}

int srv_blocking_signals(struct srv *s)
{
	int p[2];
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	s->stop_fd = p[0];
	wake_w = p[1];
	/* No SA_RESTART: a signal makes blocking calls return EINTR. */
	struct sigaction sa = {.sa_handler = on_stop_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (srv_stopping)
		on_stop_signal(SIGTERM);
	return -pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int srv_wait_listen(struct srv *s, int lfd)
{
	struct pollfd pf[2] = {{.fd = lfd, .events = POLLIN}, {.fd = s->stop_fd, .events = POLLIN}};
	for (;;) {
		if (srv_stop_requested(s))
			return 0;
		int n = poll(pf, 2, 1000);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && (pf[0].revents & (POLLIN | POLLERR | POLLHUP)))
			return srv_stop_requested(s) ? 0 : 1;
	}
}

int srv_tick_ms(const struct srv *s)
{
	unsigned t = s->cfg->idle_timeout_ms;
	if (!t)
		return -1;
	return t < 40 ? 10 : (int)(t / 4);
}

bool srv_wait_resume(struct srv *s)
{
	struct pollfd pf = {.fd = s->stop_fd, .events = POLLIN};
	struct signalfd_siginfo si;
	for (;;) {
		if (poll(&pf, 1, -1) < 0 && errno != EINTR)
			return false;
		while (read(s->stop_fd, &si, sizeof si) == (ssize_t)sizeof si) {
			if (si.ssi_signo == SIGUSR1)
				return true;
			if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
				srv_stopping = 1;
				return false;
			}
		}
	}
}

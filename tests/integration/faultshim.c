/* faultshim.c - an LD_PRELOAD library that makes system calls fail on
 * purpose, for tests/integration/test_syscalls.py.
 *
 * The kernel rarely refuses epoll_ctl(ADD) (ENOMEM, or ENOSPC once
 * fs.epoll.max_user_watches is reached) and epoll_wait() returns EINTR
 * only when a handler catches a signal; neither can be provoked on a
 * shared machine without changing host sysctls.  This library stands in
 * front of libc (and liburing) and fails the calls it is told to, by
 * environment variables read once at load:
 *
 *   SBFAULT_ERRNO=ENOMEM   the errno of every injected failure (default ENOMEM)
 *   SBFAULT_PEER=127.0.0.2 per-connection faults hit the sockets whose peer
 *                          (getpeername) is this IPv4 address: a test client
 *                          binds it before connect() to mark its connection
 *   SBFAULT_ADD=peer       epoll_ctl(EPOLL_CTL_ADD) of a marked socket fails
 *   SBFAULT_ADD=every:N    every Nth epoll_ctl(EPOLL_CTL_ADD) of the process
 *                          fails (a client socket has no peer yet when added)
 *   SBFAULT_SOCKOPT=NAME   setsockopt(NAME) on a marked socket fails; NAME is
 *                          SO_SNDBUF, SO_RCVBUF or TCP_NODELAY
 *   SBFAULT_EINTR=N        every Nth wait (epoll_wait, epoll_pwait, poll,
 *                          ppoll, select, io_uring_submit_and_wait_timeout)
 *                          returns EINTR at once, as after a signal
 *   SBFAULT_WAIT_FAIL=N    the Nth wait and every one after it fails with
 *                          SBFAULT_ERRNO
 *   SBFAULT_SIGWINCH=1     install a SIGWINCH handler without SA_RESTART, so
 *                          that a real SIGWINCH interrupts a blocked call
 *                          (its default action is to be ignored: no EINTR)
 *   SBFAULT_REPORT=FILE    at exit, append one line of counts to FILE:
 *                          "pid=P add_failed=A sockopt_failed=S eintr_injected=I
 *                          eintr_real=R wait_failed=W sigwinch=G"
 *
 * _exit() is wrapped too, so that fork and prefork children report.
 * Under ASan the sanitizer runtime must come first in LD_PRELOAD;
 * its own interceptors of epoll_wait, poll and select then call these
 * wrappers as the "real" functions (dlsym(RTLD_NEXT) from libasan finds
 * this library before libc), so the faults reach sanitized builds too.
 * Built without sanitizers (tests/CMakeLists.txt): it allocates nothing.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#define EXPORT	 __attribute__((visibility("default")))
#define COUNT(x) __atomic_add_fetch(&(x), 1, __ATOMIC_RELAXED)

static struct {
	int err;
	struct in_addr peer;
	bool have_peer, add_peer;
	unsigned long add_every, eintr_every, wait_fail_from;
	int sockopt_level, sockopt_name;
	const char *report;
} cfg;

static struct {
	unsigned long adds, waits;
	unsigned long add_failed, sockopt_failed, eintr_injected, eintr_real, wait_failed;
	unsigned long sigwinch;
} n;

static const struct {
	const char *name;
	int value;
} errnos[] = {{"ENOMEM", ENOMEM},   {"ENOSPC", ENOSPC}, {"EBADF", EBADF},   {"EINVAL", EINVAL},
	      {"ENOBUFS", ENOBUFS}, {"EPERM", EPERM},	{"EFAULT", EFAULT}, {"EIO", EIO}};

static unsigned long env_ulong(const char *name)
{
	const char *v = getenv(name);
	return v ? strtoul(v, NULL, 10) : 0;
}

static void on_sigwinch(int sig)
{
	(void)sig;
	COUNT(n.sigwinch);
}

__attribute__((constructor)) static void shim_init(void)
{
	const char *v = getenv("SBFAULT_ERRNO");
	cfg.err = ENOMEM;
	for (size_t i = 0; v && i < sizeof errnos / sizeof errnos[0]; i++)
		if (!strcmp(v, errnos[i].name))
			cfg.err = errnos[i].value;
	v = getenv("SBFAULT_PEER");
	cfg.have_peer = v && inet_pton(AF_INET, v, &cfg.peer) == 1;
	v = getenv("SBFAULT_ADD");
	if (v && !strcmp(v, "peer"))
		cfg.add_peer = true;
	else if (v && !strncmp(v, "every:", 6))
		cfg.add_every = strtoul(v + 6, NULL, 10);
	v = getenv("SBFAULT_SOCKOPT");
	if (v && !strcmp(v, "SO_SNDBUF"))
		cfg.sockopt_level = SOL_SOCKET, cfg.sockopt_name = SO_SNDBUF;
	else if (v && !strcmp(v, "SO_RCVBUF"))
		cfg.sockopt_level = SOL_SOCKET, cfg.sockopt_name = SO_RCVBUF;
	else if (v && !strcmp(v, "TCP_NODELAY"))
		cfg.sockopt_level = IPPROTO_TCP, cfg.sockopt_name = TCP_NODELAY;
	cfg.eintr_every = env_ulong("SBFAULT_EINTR");
	cfg.wait_fail_from = env_ulong("SBFAULT_WAIT_FAIL");
	cfg.report = getenv("SBFAULT_REPORT");
	if (getenv("SBFAULT_SIGWINCH")) {
		struct sigaction sa = {.sa_handler = on_sigwinch}; /* no SA_RESTART */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGWINCH, &sa, NULL);
	}
}

static void *real(const char *name);

__attribute__((destructor)) static void shim_report(void)
{
	if (!cfg.report)
		return;
	char line[256];
	int len = snprintf(line, sizeof line,
			   "pid=%d add_failed=%lu sockopt_failed=%lu eintr_injected=%lu "
			   "eintr_real=%lu wait_failed=%lu sigwinch=%lu\n",
			   (int)getpid(), n.add_failed, n.sockopt_failed, n.eintr_injected,
			   n.eintr_real, n.wait_failed, n.sigwinch);
	int fd = open(cfg.report, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, line, (size_t)len) < 0) {
			/* nothing to do: the test sees the line missing */
		}
		close(fd);
	}
}

static void *real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (!f)
		abort(); /* a wrapper without the function it wraps */
	return f;
}

/* Is fd a socket connected from SBFAULT_PEER? */
static bool marked(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	if (!cfg.have_peer || getpeername(fd, (struct sockaddr *)&a, &len) < 0)
		return false;
	return a.sin_family == AF_INET && a.sin_addr.s_addr == cfg.peer.s_addr;
}

/* Before a wait: 0 to make the real call, else the errno to fail with. */
static int wait_fault(void)
{
	unsigned long k = COUNT(n.waits);
	if (cfg.wait_fail_from && k >= cfg.wait_fail_from) {
		COUNT(n.wait_failed);
		return cfg.err;
	}
	if (cfg.eintr_every && k % cfg.eintr_every == 0) {
		COUNT(n.eintr_injected);
		return EINTR;
	}
	return 0;
}

static int waited(int r)
{
	if (r < 0 && errno == EINTR)
		COUNT(n.eintr_real);
	return r;
}

EXPORT int epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
	static int (*f)(int, int, int, struct epoll_event *);
	if (!f)
		f = real("epoll_ctl");
	if (op == EPOLL_CTL_ADD) {
		unsigned long k = COUNT(n.adds);
		if ((cfg.add_every && k % cfg.add_every == 0) || (cfg.add_peer && marked(fd))) {
			COUNT(n.add_failed);
			errno = cfg.err;
			return -1;
		}
	}
	return f(ep, op, fd, ev);
}

EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	static int (*f)(int, int, int, const void *, socklen_t);
	if (!f)
		f = real("setsockopt");
	if (cfg.sockopt_name && level == cfg.sockopt_level && name == cfg.sockopt_name &&
	    marked(fd)) {
		COUNT(n.sockopt_failed);
		errno = cfg.err;
		return -1;
	}
	return f(fd, level, name, val, len);
}

EXPORT int epoll_wait(int ep, struct epoll_event *ev, int max, int ms)
{
	static int (*f)(int, struct epoll_event *, int, int);
	if (!f)
		f = real("epoll_wait");
	int e = wait_fault();
	if (e) {
		errno = e;
		return -1;
	}
	return waited(f(ep, ev, max, ms));
}

EXPORT int epoll_pwait(int ep, struct epoll_event *ev, int max, int ms, const sigset_t *ss)
{
	static int (*f)(int, struct epoll_event *, int, int, const sigset_t *);
	if (!f)
		f = real("epoll_pwait");
	int e = wait_fault();
	if (e) {
		errno = e;
		return -1;
	}
	return waited(f(ep, ev, max, ms, ss));
}

EXPORT int poll(struct pollfd *pf, nfds_t nfds, int ms)
{
	static int (*f)(struct pollfd *, nfds_t, int);
	if (!f)
		f = real("poll");
	int e = wait_fault();
	if (e) {
		errno = e;
		return -1;
	}
	return waited(f(pf, nfds, ms));
}

EXPORT int ppoll(struct pollfd *pf, nfds_t nfds, const struct timespec *ts, const sigset_t *ss)
{
	static int (*f)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
	if (!f)
		f = real("ppoll");
	int e = wait_fault();
	if (e) {
		errno = e;
		return -1;
	}
	return waited(f(pf, nfds, ts, ss));
}

EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
	static int (*f)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	if (!f)
		f = real("select");
	int e = wait_fault();
	if (e) {
		errno = e;
		return -1;
	}
	return waited(f(nfds, r, w, x, tv));
}

/* fork and prefork children leave with _exit(): report first. */
EXPORT void _exit(int status)
{
	static void (*f)(int);
	if (!f)
		f = real("_exit");
	shim_report();
	f(status);
	abort(); /* not reached: keeps the noreturn promise */
}

/* liburing returns -errno instead of setting errno. */
EXPORT int io_uring_submit_and_wait_timeout(struct io_uring *ring, struct io_uring_cqe **cqe,
					    unsigned wait_nr, struct __kernel_timespec *ts,
					    sigset_t *ss)
{
	static int (*f)(struct io_uring *, struct io_uring_cqe **, unsigned,
			struct __kernel_timespec *, sigset_t *);
	if (!f)
		f = real("io_uring_submit_and_wait_timeout");
	int e = wait_fault();
	if (e)
		return -e;
	int r = f(ring, cqe, wait_nr, ts, ss);
	if (r == -EINTR)
		COUNT(n.eintr_real);
	return r;
}

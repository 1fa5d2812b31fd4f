/* pidns.c - a PID namespace per started process, under an init of our own.
 *
 * Why: a process we start (the server under test, a sweep's run) must not
 * outlive us, however we end.  A process group does not hold a setsid
 * daemon, and a SIGKILLed parent cleans up nothing.  A PID namespace does:
 * when its PID 1 exits, the kernel SIGKILLs every process in it
 * (zap_pid_namespace) and waits for them, and PR_SET_PDEATHSIG makes that
 * PID 1 die with us.
 *
 *   caller --clone(NEWPID|NEWNS)--> init (PID 1) --fork--> payload (PID 2)
 *      ^---------- socket: the init's start, the payload's pid,
 *                  the payload's wait status
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/single_threaded.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/pidns.h"

#define START_MS 5000

enum { MSG_STARTED = 1, MSG_PAYLOAD, MSG_FAILED, MSG_STATUS };

/* One message on the socket (SOCK_SEQPACKET: one message per send). */
struct msg {
	int kind;
	int value;     /* STARTED: errno of the /proc mount; FAILED: errno; STATUS */
	char what[48]; /* the step that failed */
};

static void say(int sock, int kind, int value, const char *what)
{
	struct msg m = {.kind = kind, .value = value};
	snprintf(m.what, sizeof m.what, "%s", what);
	/* MSG_NOSIGNAL: a parent that is gone must not SIGPIPE us */
	while (send(sock, &m, sizeof m, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/* The init could not start the payload: say why and end. */
static _Noreturn void fail(int sock, const char *what, int e)
{
	say(sock, MSG_FAILED, e, what);
	_exit(127);
}

/* fork() with new namespaces.  glibc's fork() takes no flags and its
 * clone() wants a stack of its own, so this is the raw system call with no
 * stack: the child goes on from here on a copy of ours, as bubblewrap and
 * systemd (raw_clone) do.  glibc's fork handlers do not run, so the malloc
 * and stdio locks are not reset in the child: harmless when no other
 * thread could hold one, hence single-threaded callers only. */
static pid_t clone_ns(unsigned long flags)
{
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : 0;
}

/* In a new user namespace: our uid and gid become 0 there (setgroups
 * must be denied before an unprivileged gid_map; user_namespaces(7)). */
static void map_ids(int sock, uid_t uid, gid_t gid)
{
	char map[64];
	if (write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
		fail(sock, "/proc/self/setgroups", errno);
	snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) < 0)
		fail(sock, "/proc/self/uid_map", errno);
	snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		fail(sock, "/proc/self/gid_map", errno);
}

/* A /proc of this PID namespace, so that /proc/PID and /proc/self name
 * the processes as they see themselves (LeakSanitizer reads its threads
 * there).  The mount namespace is a copy of the caller's whose mounts may
 * share events with the host's: making / a slave first keeps our mount
 * from propagating out, and without that no mount is made.  0, or errno
 * (*what names the step). */
static int private_proc(const char **what)
{
	*what = "making / a slave mount";
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return errno;
	*what = "mounting /proc";
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return errno;
	return 0;
}

/* The init holds only its socket and its signalfd: every other
 * descriptor of the caller is the payload's business. */
static void close_others(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;
	if (lo > 0)
		close_range(0, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	close_range((unsigned)hi + 1, ~0U, 0);
}

/* The payload has exited: pass its status on and end, which makes the
 * kernel kill whatever is left in the namespace.  PID 1 cannot die of a
 * signal it sends itself, so a signal death is 128+N here and the true
 * status travels on the socket. */
static _Noreturn void init_done(int sock, int status)
{
	say(sock, MSG_STATUS, status, "");
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* To the payload's process group (all it started and kept there), or to
 * the payload alone when it has left its group. */
static void forward(pid_t payload, int sig)
{
	if (kill(-payload, sig) < 0)
		kill(payload, sig);
}

/* PID 1's life: reap, forward, and end with the payload or the parent. */
static _Noreturn void init_loop(int sock, pid_t payload, const sigset_t *set)
{
	int sfd = signalfd(-1, set, SFD_CLOEXEC);
	if (sfd < 0)
		fail(sock, "signalfd", errno);
	close_others(sock, sfd);
	for (;;) {
		struct pollfd pf[2] = {{.fd = sfd, .events = POLLIN}, {.fd = sock}};
		if (poll(pf, 2, -1) < 0)
			continue;
		/* the parent's end closed: it is gone (PDEATHSIG's twin) */
		if (pf[1].revents & (POLLHUP | POLLERR))
			_exit(1);
		struct signalfd_siginfo si;
		if (!(pf[0].revents & POLLIN) || read(sfd, &si, sizeof si) != sizeof si)
			continue;
		if (si.ssi_signo != SIGCHLD) {
			forward(payload, (int)si.ssi_signo);
			continue;
		}
		int status;
		pid_t p;
		while ((p = waitpid(-1, &status, WNOHANG)) > 0)
			if (p == payload)
				init_done(sock, status);
	}
}

/* The signals the init takes (the rest keep their default action, which
 * PID 1 ignores unless they come from outside the namespace). */
static void init_signals(sigset_t *set)
{
	static const int fwd[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD};
	sigemptyset(set);
	for (size_t i = 0; i < sizeof fwd / sizeof fwd[0]; i++)
		sigaddset(set, fwd[i]);
}

struct start {
	int sv[2];   /* [0] the caller's end, [1] the init's */
	bool userns; /* map these ids to 0 first */
	uid_t uid;
	gid_t gid;
	sigset_t old; /* the caller's signal mask, for the payload */
};

/* In the clone child, PID 1.  Returns only in the payload (PID 2). */
static void init_main(struct start *st)
{
	int sock = st->sv[1];
	close(st->sv[0]);
	/* PDEATHSIG fires when the parent *thread* exits: we were cloned by
	 * the caller's thread, which is the process's main one.  If the
	 * parent died before this line, nothing will fire: getppid() says 0
	 * in here (the parent lives outside the namespace), so the socket is
	 * the check instead - its only other end is the parent's. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct pollfd pf = {.fd = sock};
	if (poll(&pf, 1, 0) > 0 && (pf.revents & (POLLHUP | POLLERR)))
		_exit(1);
	setpgid(0, 0);
	prctl(PR_SET_NAME, "sockbench-init");
	sigset_t set;
	init_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (st->userns)
		map_ids(sock, st->uid, st->gid);
	const char *what = "";
	int perr = private_proc(&what);
	pid_t payload = fork();
	if (payload < 0)
		fail(sock, "fork", errno);
	if (payload == 0) {
		/* the parent learns our pid from this message's credentials,
		 * which the kernel gives in the reader's own PID namespace */
		say(sock, MSG_PAYLOAD, 0, "");
		close(sock);
		setpgid(0, 0);
		sigprocmask(SIG_SETMASK, &st->old, NULL);
		return;
	}
	say(sock, MSG_STARTED, perr, perr ? what : "");
	init_loop(sock, payload, &set);
}

/* A message and its sender's pid (as we see it).  1, 0 at the end, or
 * -errno (-EAGAIN: none waiting). */
static int hear(int sock, struct msg *m, pid_t *from)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} c;
	struct iovec iov = {.iov_base = m, .iov_len = sizeof *m};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof c.buf};
	ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof *m)
		return -EPROTO;
	*from = 0;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_CREDENTIALS) {
			struct ucred u;
			memcpy(&u, CMSG_DATA(h), sizeof u);
			*from = u.pid;
		}
	m->what[sizeof m->what - 1] = '\0';
	return 1;
}

/* Wait for the init's start and the payload's pid; 0, or -1 with err. */
static int await_start(struct pidns *ns, char *err, size_t errlen)
{
	bool started = false;
	uint64_t until = clock_now_ms() + START_MS;
	while (!started || !ns->payload) {
		struct msg m;
		pid_t from;
		int r = hear(ns->sock, &m, &from);
		if (r == -EAGAIN || r == -EINTR) {
			uint64_t now = clock_now_ms();
			struct pollfd pf = {.fd = ns->sock, .events = POLLIN};
			if (now >= until) {
				snprintf(err, errlen,
					 "the PID namespace's init did not start "
					 "within %d s",
					 START_MS / 1000);
				return -1;
			}
			poll(&pf, 1, (int)(until - now));
			continue;
		}
		if (r <= 0) {
			snprintf(err, errlen, "the PID namespace's init ended at its start (%s)",
				 r ? strerror(-r) : "no word from it");
			return -1;
		}
		if (m.kind == MSG_FAILED) {
			snprintf(err, errlen, "PID namespace: %s: %s", m.what, strerror(m.value));
			return -1;
		}
		if (m.kind == MSG_PAYLOAD)
			ns->payload = from;
		if (m.kind == MSG_STARTED) {
			started = true;
			if (m.value)
				snprintf(
				    ns->warning, sizeof ns->warning,
				    "no private /proc in the PID namespace (%s: %s): /proc/PID "
				    "there names processes by their outer pids",
				    m.what, strerror(m.value));
		}
	}
	return 0;
}

/* No PID namespace: a plain child, which at least dies with us. */
static pid_t plain_fork(struct pidns *ns, int e, char *err, size_t errlen)
{
	pid_t parent = getpid();
	snprintf(ns->warning, sizeof ns->warning,
		 "no PID namespace (%s): a process started under it can outlive the run "
		 "(a setsid daemon; any, once its parent is killed)",
		 e ? strerror(e) : "called from a multi-threaded process");
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		setpgid(0, 0);
		return 0;
	}
	setpgid(pid, pid);
	ns->payload = pid;
	return pid;
}

/* glibc's __libc_single_threaded turns false at the first
 * pthread_create and stays so after every thread was joined (glibc 2.36).
 * The kernel's count says whether other threads still exist: a joined
 * thread's task may linger a moment past pthread_join (the join wakes on
 * CLONE_CHILD_CLEARTID, before the task leaves its group), so ask a few
 * times.  Only the process's own threads are counted: none of them can
 * then hold a lock the clone child would inherit. */
static bool only_thread(void)
{
	for (int tries = 0; tries < 20; tries++) {
		char line[128];
		int n = -1;
		FILE *f = fopen("/proc/self/status", "re");
		if (!f)
			return false;
		while (fgets(line, sizeof line, f))
			if (sscanf(line, "Threads: %d", &n) == 1)
				break;
		fclose(f);
		if (n == 1)
			return true;
		usleep(1000);
	}
	return false;
}

pid_t pidns_fork(struct pidns *ns, char *err, size_t errlen)
{
	struct start st = {.uid = getuid(), .gid = getgid()};
	memset(ns, 0, sizeof *ns);
	ns->sock = -1;
	if (!__libc_single_threaded && !only_thread())
		return plain_fork(ns, 0, err, errlen);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, st.sv) < 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(st.sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
	sigprocmask(SIG_SETMASK, NULL, &st.old);
	pid_t pid = clone_ns(CLONE_NEWPID | CLONE_NEWNS);
	int e = errno;
	if (pid < 0) {
		/* not root: a user namespace of our own makes us root there */
		st.userns = true;
		pid = clone_ns(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS);
	}
	if (pid == 0) {
		init_main(&st);
		return 0;
	}
	close(st.sv[1]);
	if (pid < 0) {
		close(st.sv[0]);
		return plain_fork(ns, e, err, errlen);
	}
	setpgid(pid, pid);
	ns->init = pid;
	ns->sock = st.sv[0];
	ns->userns = st.userns;
	if (await_start(ns, err, errlen) < 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		pidns_close(ns);
		return -1;
	}
	return pid;
}

int pidns_status(struct pidns *ns, int init_status)
{
	struct msg m;
	pid_t from;
	while (!ns->have_status && ns->sock >= 0 && hear(ns->sock, &m, &from) > 0)
		if (m.kind == MSG_STATUS) {
			ns->status = m.value;
			ns->have_status = true;
		}
	return ns->have_status ? ns->status : init_status;
}

void pidns_close(struct pidns *ns)
{
	if (ns->sock >= 0)
		close(ns->sock);
	ns->sock = -1;
}

/* leave.c - how the client leaves its connections (--close).
 *
 *   fin    close().  With an empty receive queue the kernel sends FIN
 *          (tcp_close -> tcp_send_fin); the side that sends FIN first
 *          ends in TIME_WAIT for 60 s (TCP_TIMEWAIT_LEN).
 *   reset  setsockopt(SO_LINGER, {1, 0}) then close(): the kernel aborts
 *          the connection - RST, no FIN, no TIME_WAIT on either side
 *          (tcp_close: SOCK_LINGER with sk_lingertime 0 ->
 *          tcp_disconnect, counted as TCPAbortOnData).
 *   exit   the program ends without calling close(), as a client killed
 *          by Ctrl-C or returning from main does: the kernel closes every
 *          descriptor of an exiting process (do_exit -> exit_files ->
 *          fput -> sock_close -> tcp_close), exactly as close() would.
 *          So exit is FIN too, unless...
 *
 * ... in every case, data still unread in the receive queue turns the
 * close into an RST: tcp_close() sends RST instead of FIN when the
 * receive queue is not empty (RFC 2525 section 2.17), counted as
 * TCPAbortOnClose.  drain.c empties the queues first, or (--unread) fills
 * them on purpose.
 *
 * `exit` is done for real: a fork()ed child holds a copy of every
 * connection, the parent closes its own (no FIN yet: the child's
 * references keep the sockets open), then tells the child to _exit(); the
 * kernel's close at its exit is what the peer sees.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "leave.h"
#include "sockbench/clock.h"

#define EXIT_WAIT_MS 2000

void leave_linger0(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

static void close_all(struct engine *e)
{
	for (int i = 0; i < e->nleft; i++) {
		if (e->left[i].fd >= 0)
			close(e->left[i].fd);
		e->left[i].fd = -1;
	}
}

/* The child: only async-signal-safe calls after fork() (the parent was
 * multi-threaded once; a lock another thread held would be held for
 * ever here).  It waits for the parent's word - or for the parent's end,
 * which closes the pipe's write end and makes read() return 0 - and
 * exits without closing anything itself. */
static void exit_child(int rd, int wr)
{
	char b;
	close(wr);
	while (read(rd, &b, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* The child is told to go; its exit is waited for, bounded (it has
 * nothing to do but exit), then killed. */
static int exit_reap(pid_t pid, int wr, struct leave_counts *lc)
{
	int status = 0;
	if (write(wr, "x", 1) != 1)
		snprintf(lc->error, sizeof lc->error, "--close exit: pipe: %s", strerror(errno));
	close(wr);
	uint64_t until = clock_now_ms() + EXIT_WAIT_MS;
	pid_t got;
	while ((got = waitpid(pid, &status, WNOHANG)) == 0 && clock_now_ms() < until)
		poll(NULL, 0, 1);
	if (got == 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		snprintf(lc->error, sizeof lc->error,
			 "--close exit: the child did not exit within %d ms; killed", EXIT_WAIT_MS);
	}
	return status;
}

static void leave_by_exit(struct engine *e, struct leave_counts *lc)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(lc->error, sizeof lc->error, "--close exit: pipe: %s; closed instead",
			 strerror(errno));
		close_all(e);
		return;
	}
	pid_t pid = fork();
	if (pid == 0)
		exit_child(p[0], p[1]);
	close(p[0]);
	if (pid < 0) {
		snprintf(lc->error, sizeof lc->error, "--close exit: fork: %s; closed instead",
			 strerror(errno));
		close(p[1]);
		close_all(e);
		return;
	}
	/* the child's copies keep every socket open: these close() calls
	 * only drop our references, nothing goes on the wire yet */
	close_all(e);
	lc->exit_status = exit_reap(pid, p[1], lc);
}

void leave_close(struct engine *e, struct leave_counts *lc)
{
	for (int i = 0; i < e->nleft; i++)
		lc->conns += e->left[i].fd >= 0;
	switch (e->cfg->close_how) {
	case CLOSE_RESET:
		for (int i = 0; i < e->nleft; i++)
			if (e->left[i].fd >= 0)
				leave_linger0(e->left[i].fd);
		close_all(e);
		break;
	case CLOSE_EXIT:
		leave_by_exit(e, lc);
		break;
	default:
		close_all(e);
	}
}

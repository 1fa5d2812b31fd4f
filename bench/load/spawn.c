/* spawn.c - start, watch and stop the server under test. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/diag.h"
#include "sockbench/proc.h"
#include "sockbench/spawn.h"
#include "sockbench/stopsig.h"

#define READY_TIMEOUT_MS 5000
#define STOP_GRACE_MS	 2000
#define STOP_EXIT_MS	 15000

/* How a child ended, from its wait status: "signal 9, SIGKILL", "status 3". */
static void status_text(int status, char *out, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(out, len, "signal %d, SIG%s", WTERMSIG(status),
			 sigabbrev_np(WTERMSIG(status)) ?: "?");
	else
		snprintf(out, len, "status %d", WEXITSTATUS(status));
}

/* A file of the run's own with no name: O_TMPFILE in /tmp (a memfd where
 * the filesystem has none).  Nothing is left to remove however the run
 * ends: it goes with the last descriptor, ours or the server's. */
static int unnamed_file(const char *what, char *err, size_t errlen)
{
	int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = memfd_create(what, MFD_CLOEXEC);
	if (fd < 0)
		snprintf(err, errlen, "%s: %s", what, strerror(errno));
	return fd;
}

/* The server's stderr goes to such a file (not a pipe, which a chatty
 * server - python's http.server logs every request there - would fill and
 * block on); its last line names why a server failed.  It runs in a PID
 * namespace of its own (lib/pidns.c): it, and all it starts, end with the
 * run or with us. */
static int start(struct spawn *sp, char **argv, char *err, size_t errlen)
{
	int p[2];
	if ((sp->err_fd = unnamed_file("server stderr", err, errlen)) < 0)
		return -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	sp->pid = pidns_fork(&sp->ns, err, errlen);
	if (sp->pid < 0) {
		sp->pid = 0;
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (sp->pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(sp->err_fd, STDERR_FILENO);
		/* --stats-fd: the one descriptor of ours it keeps */
		if (sp->stats_fd >= 0)
			fcntl(sp->stats_fd, F_SETFD, 0);
		if (sp->counters_fd >= 0)
			fcntl(sp->counters_fd, F_SETFD, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "sockbench load: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	sp->out_fd = p[0];
	fcntl(sp->out_fd, F_SETFL, O_NONBLOCK);
	snprintf(sp->warning, sizeof sp->warning, "%s%s", sp->ns.warning[0] ? "server: " : "",
		 sp->ns.warning);
	return 0;
}

/* The last len-1 bytes (at most) of the server's stderr, read where they
 * lie: the server's own file offset is not ours to move. */
static ssize_t err_tail(const struct spawn *sp, char *buf, size_t len)
{
	struct stat st;
	if (sp->err_fd < 0 || fstat(sp->err_fd, &st) < 0)
		return -1;
	off_t from = st.st_size > (off_t)len - 1 ? st.st_size - (off_t)len + 1 : 0;
	ssize_t n = pread(sp->err_fd, buf, (size_t)(st.st_size - from), from);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* ": <the server's last stderr line>" (or "" when it said nothing). */
static void last_words(const struct spawn *sp, char *out, size_t len)
{
	char buf[1024];
	out[0] = '\0';
	ssize_t n = err_tail(sp, buf, sizeof buf);
	if (n <= 0)
		return;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	char *l = strrchr(buf, '\n');
	l = l ? l + 1 : buf;
	if (*l)
		snprintf(out, len, ": %s", l);
}

/* A failed server's stderr (its last 16 KiB) for the caller to show: a
 * sanitizer's report, a traceback, are more than one line. */
static void keep_tail(struct spawn *sp)
{
	struct stat st;
	free(sp->err_tail);
	sp->err_tail = NULL;
	if (sp->err_fd < 0 || fstat(sp->err_fd, &st) < 0 || st.st_size == 0)
		return;
	size_t len = (size_t)(st.st_size < 16384 ? st.st_size : 16384) + 1;
	if ((sp->err_tail = malloc(len)) && err_tail(sp, sp->err_tail, len) < 0)
		sp->err_tail[0] = '\0';
}

/* "READY model=.. addr=127.0.0.1 port=40123 ..." -> addr:port.  The
 * address runs up to " port=": a unix: path may hold spaces. */
static void parse_ready(struct spawn *sp, const char *line)
{
	const char *a = strstr(line, " addr="), *p = strstr(line, " port=");
	char addr[128] = "127.0.0.1";
	if (a && p > a)
		snprintf(addr, sizeof addr, "%.*s", (int)(p - a - 6), a + 6);
	else if (a)
		sscanf(a + 6, "%127s", addr);
	if (p)
		sp->port = atoi(p + 6);
	if (!strncmp(addr, "unix:", 5))
		snprintf(sp->addr, sizeof sp->addr, "%s", addr);
	else if (strchr(addr, ':'))
		snprintf(sp->addr, sizeof sp->addr, "[%s]:%d", addr, sp->port);
	else
		snprintf(sp->addr, sizeof sp->addr, "%s:%d", addr, sp->port);
}

/* Wait for READY on stdout, or (port > 0) a LISTEN socket on the port. */
static int wait_ready(struct spawn *sp, int port, char *err, size_t errlen)
{
	char line[1024];
	size_t have = 0;
	int nl = port > 0 ? diag_open() : -1;
	uint64_t until = clock_now_ms() + READY_TIMEOUT_MS;
	int rc = -1;
	while (clock_now_ms() < until && !stopsig_caught()) {
		struct pollfd pf = {.fd = sp->out_fd, .events = POLLIN};
		poll(&pf, 1, 10);
		ssize_t n = read(sp->out_fd, line + have, sizeof line - 1 - have);
		if (n > 0) {
			have += (size_t)n;
			line[have] = '\0';
			char *l = line;
			for (char *e; (e = strchr(l, '\n')); l = e + 1) {
				*e = '\0';
				if (!strncmp(l, "READY", 5)) {
					parse_ready(sp, l);
					sp->ready_line = true;
					rc = 0;
					goto out;
				}
			}
			have = strlen(l);
			memmove(line, l, have);
			if (have == sizeof line - 1)
				have = 0; /* a long line without READY: forget it */
		}
		int status;
		if (waitpid(sp->pid, &status, WNOHANG) == sp->pid) {
			char how[64];
			char said[300];
			sp->died_status = pidns_status(&sp->ns, status);
			sp->died = true;
			status_text(sp->died_status, how, sizeof how);
			last_words(sp, said, sizeof said);
			snprintf(err, errlen, "server exited before it was ready (%s)%s", how,
				 said);
			sp->pid = 0;
			goto out;
		}
		int q, lim;
		if (nl >= 0 && (diag_listen_queue(nl, AF_INET, (uint16_t)port, &q, &lim) == 0 ||
				diag_listen_queue(nl, AF_INET6, (uint16_t)port, &q, &lim) == 0)) {
			sp->port = port;
			snprintf(sp->addr, sizeof sp->addr, "127.0.0.1:%d", port);
			rc = 0;
			goto out;
		}
	}
	if (stopsig_caught())
		snprintf(err, errlen, "stopped by %s while the server started",
			 stopsig_name(stopsig_caught()));
	else
		snprintf(err, errlen, "server not ready within %d s: no READY line%s",
			 READY_TIMEOUT_MS / 1000,
			 port > 0 ? " and no LISTEN socket on its port" : "");
out:
	if (nl >= 0)
		close(nl);
	return rc;
}

int spawn_wait_ready(struct spawn *sp, char *err, size_t errlen)
{
	return wait_ready(sp, 0, err, errlen);
}

int spawn_serve(struct spawn *sp, const char *opts, char *err, size_t errlen)
{
	char self[512], **words = NULL;
	int nw = 0;
	char fdnum[16];
	spawn_init(sp);
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) {
		snprintf(err, errlen, "/proc/self/exe: %s", strerror(errno));
		return -1;
	}
	self[n] = '\0';
	/* its stats come back through a descriptor, not a file we would
	 * have to remove (a SIGKILLed load removes nothing) */
	if ((sp->stats_fd = unnamed_file("server stats", err, errlen)) < 0)
		return -1;
	snprintf(fdnum, sizeof fdnum, "%d", sp->stats_fd);
	/* its counters live in a memfd of ours that it maps as its stats
	 * block: `accepted` read while the run goes on, at no cost to it */
	char cfdnum[16] = "";
	sp->counters_fd = memfd_create("server counters", MFD_CLOEXEC);
	if (sp->counters_fd >= 0 && ftruncate(sp->counters_fd, sizeof(struct stats)) == 0) {
		void *m = mmap(NULL, sizeof(struct stats), PROT_READ, MAP_SHARED, sp->counters_fd, 0);
		sp->counters = m == MAP_FAILED ? NULL : m;
	}
	if (sp->counters)
		snprintf(cfdnum, sizeof cfdnum, "%d", sp->counters_fd);
	if (words_split(opts, &words, &nw, err, errlen) < 0)
		return -1;
	/* --port 0 first, so that a --port in OPTS (later) wins. */
	char **argv = calloc((size_t)nw + 10, sizeof *argv);
	int k = 0;
	argv[k++] = self;
	argv[k++] = "serve";
	argv[k++] = "--port";
	argv[k++] = "0";
	for (int i = 0; i < nw; i++)
		argv[k++] = words[i];
	argv[k++] = "--stats-fd";
	argv[k++] = fdnum;
	if (cfdnum[0]) {
		argv[k++] = "--counters-fd";
		argv[k++] = cfdnum;
	}
	argv[k] = NULL;
	int rc = start(sp, argv, err, errlen);
	free(argv);
	words_free(words);
	return rc < 0 ? rc : wait_ready(sp, 0, err, errlen);
}

int64_t spawn_accepted(const struct spawn *sp)
{
	/* serve fills in nworkers before it listens; a block still zero
	 * after READY was never used (a Python model execs python) */
	if (!sp || !sp->counters || !__atomic_load_n(&sp->counters->nworkers, __ATOMIC_RELAXED))
		return -1;
	return (int64_t)__atomic_load_n(&sp->counters->accepted, __ATOMIC_RELAXED);
}

void spawn_init(struct spawn *sp)
{
	memset(sp, 0, sizeof *sp);
	sp->out_fd = sp->stats_fd = sp->err_fd = sp->counters_fd = -1;
	sp->ns.sock = -1;
}

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int spawn_cmd(struct spawn *sp, const char *cmd, int backlog, unsigned recv_size, char *err,
	      size_t errlen)
{
	return spawn_cmd_at(sp, cmd, 0, backlog, recv_size, err, errlen);
}

int spawn_cmd_at(struct spawn *sp, const char *cmd, int port, int backlog, unsigned recv_size,
		 char *err, size_t errlen)
{
	char **words = NULL;
	int nw = 0;
	spawn_init(sp);
	if (port <= 0)
		port = free_port();
	if (port < 0) {
		snprintf(err, errlen, "no free port: %s", strerror(errno));
		return -1;
	}
	if (words_split(cmd, &words, &nw, err, errlen) < 0)
		return -1;
	for (int i = 0; i < nw; i++) {
		char buf[4096];
		if (words_fill(words[i], buf, sizeof buf, port, backlog, recv_size, "127.0.0.1") <
		    0) {
			snprintf(err, errlen, "word too long after filling placeholders: %s",
				 words[i]);
			words_free(words);
			return -1;
		}
		free(words[i]);
		words[i] = strdup(buf);
	}
	int rc = start(sp, words, err, errlen);
	words_free(words);
	if (rc < 0)
		return rc;
	sp->port = port;
	return wait_ready(sp, port, err, errlen);
}

void spawn_drain(struct spawn *sp)
{
	char buf[4096];
	if (sp->on_drain) {
		sp->on_drain(sp); /* its stats come this way at the end */
		return;
	}
	if (sp->out_fd >= 0)
		while (read(sp->out_fd, buf, sizeof buf) > 0)
			;
}

static bool stats_written(const struct spawn *sp)
{
	struct stat st;
	return sp->stats_fd >= 0 && fstat(sp->stats_fd, &st) == 0 && st.st_size > 0;
}

bool spawn_exited(struct spawn *sp)
{
	int status;
	if (!sp->died && sp->pid > 0 && waitpid(sp->pid, &status, WNOHANG) == sp->pid) {
		sp->died_status = pidns_status(&sp->ns, status);
		sp->died = true;
	}
	return sp->died;
}

/* What a stop of the server saw, for proc_stop's hooks. */
struct stopping {
	struct spawn *sp;
	int status;
	char where[96];
};

/* 2 s to stop.  A --serve server that has written its stats is already in
 * its exit path; in the sanitizer build LeakSanitizer's scan runs there,
 * which a busy machine can stretch past 2 s.  Its exit status is the leak
 * check's verdict, so it gets up to 15 s to give it rather than a SIGKILL
 * that would hide a report.  Meanwhile its stdout is drained, so that a
 * full pipe never holds it up. */
static int stop_turn(void *arg, int grace_ms)
{
	struct stopping *st = arg;
	(void)grace_ms;
	spawn_drain(st->sp);
	return stats_written(st->sp) ? STOP_EXIT_MS : STOP_GRACE_MS;
}

/* Hung: no exit after SIGTERM.  Say where it waits (its state and kernel
 * wait channel) before it is killed: the server's, not its init's. */
static void stop_hung(void *arg, pid_t pid)
{
	struct stopping *st = arg;
	proc_where(st->sp->ns.payload > 0 ? st->sp->ns.payload : pid, st->where, sizeof st->where);
}

/* The init passes the server's own wait status on. */
static void stop_reaped(void *arg, pid_t pid, int status)
{
	struct stopping *st = arg;
	(void)pid;
	st->status = pidns_status(&st->sp->ns, status);
}

/* Stop a server still running; 0, or -1 with err saying why not cleanly. */
static int stop_running(struct spawn *sp, char *err, size_t errlen)
{
	struct stopping st = {.sp = sp};
	struct proc_stop how = {.grace_ms = STOP_GRACE_MS,
				.group = true,
				.on_turn = stop_turn,
				.on_hung = stop_hung,
				.on_reaped = stop_reaped,
				.arg = &st};
	pid_t pid = sp->pid;
	uint64_t t0 = clock_now_ms();
	if (proc_stop(&pid, 1, &how) > 0) {
		snprintf(err, errlen, "server did not stop within %d s of SIGTERM (%s); killed",
			 (int)((clock_now_ms() - t0 + 500) / 1000), st.where);
		return -1;
	}
	if (sp->stats_fd >= 0 && !(WIFEXITED(st.status) && WEXITSTATUS(st.status) == 0)) {
		/* Our own server exits 0 on SIGTERM; anything else (a
		 * sanitizer's report, a crash in cleanup) is a failed run even
		 * though its stats were written. */
		char how_text[64];
		status_text(st.status, how_text, sizeof how_text);
		snprintf(err, errlen, "server failed while stopping (%s)", how_text);
		return -1;
	}
	return 0;
}

int spawn_stop(struct spawn *sp, json_t **stats, char *err, size_t errlen)
{
	int rc = 0;
	if (sp->on_stop)
		return sp->on_stop(sp, stats, err, errlen);
	if (stats)
		*stats = NULL;
	if (sp->pid > 0) {
		if (spawn_exited(sp) && sp->run_over && WIFEXITED(sp->died_status) &&
		    WEXITSTATUS(sp->died_status) == 0) {
			/* alive through the whole run, then gone by itself with
			 * status 0 once its clients were: the tutorial's server
			 * serves one client and returns.  Not a failure. */
			rc = 0;
		} else if (spawn_exited(sp)) {
			char how[64], said[300];
			status_text(sp->died_status, how, sizeof how);
			last_words(sp, said, sizeof said);
			snprintf(err, errlen, "server %s during the run (%s)%s",
				 WIFSIGNALED(sp->died_status) ? "died" : "exited", how, said);
			rc = -1;
		} else {
			rc = stop_running(sp, err, errlen);
		}
		/* anything it left behind: with a PID namespace the kernel
		 * killed it when the init ended; without, its process group */
		kill(-sp->pid, SIGKILL);
		sp->pid = 0;
	}
	pidns_close(&sp->ns);
	if (sp->out_fd >= 0)
		close(sp->out_fd);
	sp->out_fd = -1;
	if (sp->stats_fd >= 0) {
		json_error_t je;
		json_t *j = lseek(sp->stats_fd, 0, SEEK_SET) == 0
				? json_loadfd(sp->stats_fd, 0, &je)
				: NULL;
		if (stats)
			*stats = j;
		else
			json_decref(j);
		close(sp->stats_fd);
		sp->stats_fd = -1;
	}
	if (sp->counters)
		munmap((void *)sp->counters, sizeof(struct stats));
	sp->counters = NULL;
	if (sp->counters_fd >= 0)
		close(sp->counters_fd);
	sp->counters_fd = -1;
	if (rc < 0)
		keep_tail(sp);
	if (sp->err_fd >= 0)
		close(sp->err_fd);
	sp->err_fd = -1;
	return rc;
}

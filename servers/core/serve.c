/* serve.c - `sockbench serve`: listen, announce READY, run a model, report. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "sockbench/errname.h"
#include "sockbench/jsonio.h"
#include "sockbench/net.h"
#include "sockbench/serve.h"
#include "sockbench/stopsig.h"
#include "sockbench/server.h"

#define SET(o, k, v) json_object_set_new(o, k, v)

static json_t *stats_json(const struct srv *s, int limit)
{
	const struct stats *st = s->st;
	const struct serve_config *c = s->cfg;
	json_t *o = json_object();
	SET(o, "model", json_string(c->model->name));
	SET(o, "proto", json_string(proto_names[c->proto]));
	SET(o, "send", json_string(send_names[c->send]));
	SET(o, "recv_size", json_integer(c->recv_size));
	SET(o, "accepted", json_integer((json_int_t)st->accepted));
	SET(o, "closed", json_integer((json_int_t)st->closed));
	SET(o, "rejected_max_conns", json_integer((json_int_t)st->rejected_max_conns));
	SET(o, "rejected_fd_setsize", json_integer((json_int_t)st->rejected_fd_setsize));
	SET(o, "idle_closed", json_integer((json_int_t)st->idle_closed));
	SET(o, "closed_on_accept", json_integer((json_int_t)st->closed_on_accept));
	SET(o, "reset_on_accept", json_integer((json_int_t)st->reset_on_accept));
	SET(o, "peer_fin", json_integer((json_int_t)st->peer_fin));
	SET(o, "peer_reset", json_integer((json_int_t)st->peer_reset));
	SET(o, "reuseaddr", json_boolean(s->reuseaddr));
	SET(o, "requests", json_integer((json_int_t)st->requests));
	SET(o, "bytes_in", json_integer((json_int_t)st->bytes_in));
	SET(o, "bytes_out", json_integer((json_int_t)st->bytes_out));
	SET(o, "recv_calls", json_integer((json_int_t)st->recv_calls));
	SET(o, "send_calls", json_integer((json_int_t)st->send_calls));
	SET(o, "short_sends", json_integer((json_int_t)st->short_sends));
	SET(o, "bytes_dropped", json_integer((json_int_t)st->bytes_dropped));
	SET(o, "protocol_errors", json_integer((json_int_t)st->protocol_errors));
	json_t *errs = json_object();
	for (int e = 1; e < STATS_MAX_ERRNO; e++) {
		if (!st->err[e])
			continue;
		const char *name = e < STATS_MAX_ERRNO - 1 ? errname(e) : NULL;
		char buf[32];
		if (!name) {
			snprintf(buf, sizeof buf, "errno_%d", e);
			name = buf;
		}
		SET(errs, name, json_integer((json_int_t)st->err[e]));
	}
	SET(o, "errors", errs);
	SET(o, "peak_connections", json_integer(st->peak_connections));
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	double us = (double)(self.ru_utime.tv_sec + kids.ru_utime.tv_sec) +
		    (double)(self.ru_utime.tv_usec + kids.ru_utime.tv_usec) / 1e6;
	double sy = (double)(self.ru_stime.tv_sec + kids.ru_stime.tv_sec) +
		    (double)(self.ru_stime.tv_usec + kids.ru_stime.tv_usec) / 1e6;
	SET(o, "cpu_user_s", json_real(us));
	SET(o, "cpu_sys_s", json_real(sy));
	/* ru_maxrss of RUSAGE_CHILDREN is the largest child, not a sum;
	 * our own peak comes from VmHWM (see proc_status_kib). */
	long hwm = proc_status_kib("VmHWM");
	SET(o, "max_rss_kib", json_integer(hwm > kids.ru_maxrss ? hwm : kids.ru_maxrss));
	SET(o, "backlog_requested", json_integer(c->backlog));
	/* --model none has no accept queue: nothing to report */
	SET(o, "backlog_effective", c->model->bind_only ? json_null() : json_integer(limit));
	json_t *w = json_array();
	for (int i = 0; i < st->nworkers; i++) {
		json_t *x = json_object();
		SET(x, "pid", json_integer(st->workers[i].pid));
		SET(x, "accepts", json_integer((json_int_t)st->workers[i].accepts));
		SET(x, "empty_wakeups", json_integer((json_int_t)st->workers[i].empty_wakeups));
		json_array_append_new(w, x);
	}
	SET(o, "workers", w);
	if (c->model == server_find("prefork"))
		SET(o, "accept_mode", json_string(accept_names[c->accept_mode]));
	return o;
}

/* The effective buffer sizes of an accepted socket are what getsockopt says
 * (the kernel doubles what was asked and caps it at [rw]mem_max); measure
 * them on a socket made the same way, since connections come and go. */
static void effective_bufs(const struct srv *s, int *snd, int *rcv)
{
	int fd = socket(s->addr.family, SOCK_STREAM, 0);
	socklen_t len = sizeof(int);
	*snd = *rcv = -1;
	if (fd < 0)
		return;
	if (s->cfg->sndbuf)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &s->cfg->sndbuf, sizeof(int));
	if (s->cfg->rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &s->cfg->rcvbuf, sizeof(int));
	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, snd, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, rcv, &len);
	close(fd);
}

static int write_stats(const struct srv *s, int limit)
{
	json_t *o = stats_json(s, limit);
	int snd, rcv;
	effective_bufs(s, &snd, &rcv);
	SET(o, "sndbuf", json_integer(snd));
	SET(o, "rcvbuf", json_integer(rcv));
	SET(o, "sndbuf_requested", json_integer(s->cfg->sndbuf));
	SET(o, "rcvbuf_requested", json_integer(s->cfg->rcvbuf));
	int rc = 0;
	char err[1200];
	const size_t flags = JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(9);
	if (s->cfg->stats_path[0] &&
	    json_write_atomic(o, s->cfg->stats_path, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench serve: --stats %s\n", err);
		rc = 1;
	}
	/* load's server: a file of load's own without a name (bench/load/
	 * spawn.c), read once we have exited */
	if (s->cfg->stats_fd >= 0 && json_dumpfd(o, s->cfg->stats_fd, flags) < 0) {
		fprintf(stderr, "sockbench serve: --stats-fd %d: cannot write (%s)\n",
			s->cfg->stats_fd, strerror(errno));
		rc = 1;
	}
	if (!s->cfg->stats_path[0] && s->cfg->stats_fd < 0) {
		json_dumpf(o, stderr, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
		fputc('\n', stderr);
	}
	json_decref(o);
	return rc;
}

static int open_listeners(struct srv *s, char *err, size_t errlen)
{
	const struct serve_config *c = s->cfg;
	bool reuseport = c->model == server_find("prefork") && c->accept_mode == ACCEPT_REUSEPORT;
	s->nlfd = reuseport ? c->workers : 1;
	if (net_unix_stale(&s->addr) == 1)
		fprintf(stderr,
			"sockbench serve: removed the stale socket file %s (nobody listened "
			"on it)\n",
			s->addr.text);
	unsigned flags = (reuseport ? NET_REUSEPORT : 0) | (c->no_reuseaddr ? NET_NO_REUSEADDR : 0);
	for (int i = 0; i < s->nlfd; i++) {
		/* --model none binds (the port is taken and known) and never
		 * listens: see servers/none.c */
		s->lfd[i] = c->model->bind_only
				? net_bind(&s->addr, flags, err, errlen)
				: net_listen(&s->addr, c->backlog, flags, err, errlen);
		if (s->lfd[i] < 0) {
			/* one line, naming the address and the errno; the hint
			 * only where it is the likely cause */
			size_t k = strlen(err);
			if (c->no_reuseaddr && strstr(err, "(EADDRINUSE)") && k < errlen)
				snprintf(err + k, errlen - k,
					 " - with --no-reuseaddr even a connection in TIME_WAIT on "
					 "the port is enough to refuse bind()");
			return -1;
		}
		/* Event loops accept until EAGAIN: the listen socket must not
		 * block (another process may have taken the connection). */
		if (c->model->event_loop)
			net_set_nonblock(s->lfd[i], true);
		if (i == 0 && s->addr.family != AF_UNIX && c->port == 0) {
			/* The other reuseport sockets must join the same port. */
			int port = net_local_port(s->lfd[0]);
			((struct sockaddr_in *)&s->addr.ss)->sin_port = htons((uint16_t)port);
		}
	}
	/* What the kernel holds, not what was asked: getsockopt reads the
	 * socket's flag back (off on a unix socket, where it means nothing). */
	int on = 0;
	socklen_t len = sizeof on;
	s->reuseaddr = getsockopt(s->lfd[0], SOL_SOCKET, SO_REUSEADDR, &on, &len) == 0 && on;
	return 0;
}

/* What the options need before anything listens; -1 after saying why. */
static int prepare(const struct serve_config *c)
{
	if (c->proto == PROTO_HTTP && http_init(c->http_body) < 0) {
		fprintf(stderr, "sockbench serve: --http-body %u: out of memory\n", c->http_body);
		return -1;
	}
	/* a descriptor we were given must be open (and stays ours: not
	 * handed on to anything a model might exec) */
	if (c->stats_fd >= 0 && fcntl(c->stats_fd, F_SETFD, FD_CLOEXEC) < 0) {
		fprintf(stderr, "sockbench serve: --stats-fd %d: %s\n", c->stats_fd,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* The shared counter block.  --counters-fd: it lives in load's file, so
 * that load reads `accepted` while the run goes on (no pipe, no system
 * call on our side); the mapping stays, the descriptor goes (no child
 * needs it). */
static struct stats *stats_block(const struct serve_config *c)
{
	if (c->counters_fd < 0)
		return stats_new();
	struct stats *st = stats_map(c->counters_fd);
	close(c->counters_fd);
	return st;
}

/* --stop-on-eof: stdin's end stops the server as SIGTERM does
 * (lib/stopsig.c; load --server-host closes it over ssh). */
static int stop_on_eof(void)
{
	int e = stopsig_on_eof(STDIN_FILENO);
	if (e)
		fprintf(stderr, "sockbench serve: --stop-on-eof: %s\n", strerror(-e));
	return e ? -1 : 0;
}

/* The READY line (SPEC section 2), then --stop-on-eof's watch. */
static int ready(const struct srv *s)
{
	const struct serve_config *c = s->cfg;
	printf("READY model=%s proto=%s addr=%s port=%d backlog=%d pid=%d\n", c->model->name,
	       proto_names[c->proto], s->addr.text, net_local_port(s->lfd[0]), c->backlog,
	       (int)getpid());
	fflush(stdout);
	return c->stop_on_eof ? stop_on_eof() : 0;
}

int serve_main(int argc, char **argv)
{
	static struct serve_config cfg;
	static struct srv s;
	char err[512];
	serve_defaults(&cfg);
	int r = serve_parse(&cfg, argc, argv, err, sizeof err);
	if (r == 1) {
		serve_usage(stdout);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "sockbench serve: %s\n", err);
		return 2;
	}
	if (net_parse_host(cfg.bind, cfg.port, &s.addr, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench serve: --bind: %s\n", err);
		return 2;
	}
	s.cfg = &cfg;
	s.stop_fd = s.reserve_fd = -1;
	if (cfg.model->exec)
		return cfg.model->exec(&cfg); /* a Python model: only on failure */
	pattern_init();
	if (prepare(&cfg) < 0)
		return 1;

	/* Signals arrive through a signalfd that event loops watch; blocking
	 * models switch to a handler (srv_blocking_signals).  Blocked before
	 * any fork or thread so that every child inherits the mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.stop_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	net_raise_nofile();
	s.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	s.st = stats_block(&cfg);
	if (s.stop_fd < 0 || !s.st) {
		fprintf(stderr, "sockbench serve: setup: %s\n", strerror(errno));
		return 1;
	}
	s.st->nworkers = 1;
	s.st->workers[0].pid = getpid();
	if (cfg.model->probe && (r = cfg.model->probe()) < 0) {
		fprintf(stderr, "sockbench serve: model %s: %s\n", cfg.model->name, strerror(-r));
		return 1;
	}
	if (open_listeners(&s, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench serve: %s\n", err);
		return 1;
	}
	int limit = -1, queued;
	net_listen_queue(s.lfd[0], &s.addr, &limit, &queued);
	if (ready(&s) < 0)
		return 1;

	int rc = 0;
	if (!cfg.pause_accept || srv_wait_resume(&s)) {
		r = cfg.model->run(&s);
		if (r < 0) {
			fprintf(stderr, "sockbench serve: model %s: %s\n", cfg.model->name,
				strerror(-r));
			rc = 1;
		}
	}
	for (int i = 0; i < s.nlfd; i++)
		close(s.lfd[i]);
	if (s.addr.family == AF_UNIX)
		unlink(s.addr.text + 5);
	if (write_stats(&s, limit))
		rc = 1;
	http_free();
	return rc;
}

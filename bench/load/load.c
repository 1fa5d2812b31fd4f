/* load.c - `sockbench load`: check, start the server, run the engine,
 * watch the kernel, report. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/diag.h"
#include "engine.h"
#include "sockbench/hist.h"
#include "sockbench/kstat.h"
#include "sockbench/live.h"
#include "ending.h"
#include "gens.h"
#include "report.h"
#include "sockbench/jsonio.h"
#include "sockbench/spawn.h"
#include "sockbench/stopsig.h"
#include "watch.h"

#define interrupted stopsig_caught()

/* The moment the load begins, in the wall clock generators share: with
 * --start-at, the runs of several generators line up by it. */
static void mark_start(struct run *r)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	r->started_at_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	strftime(r->started_at, sizeof r->started_at, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now.tv_sec));
}

/* --start-at: wait for a wall-clock moment so that generators started apart
 * (other namespaces, other hosts via ssh) begin their load together.  The
 * wall clock is the only clock they share; on real hosts it is as good as
 * their NTP sync (typically < 1 ms on a LAN).  -1 when interrupted. */
#define START_AT_MAX_WAIT_MS (10 * 60 * 1000)
static int wait_start_at(struct run *r, uint64_t at_ms)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	int64_t wait = (int64_t)at_ms - now_ms;
	if (wait < -START_AT_MAX_WAIT_MS) {
		/* not a late start: a wrong value (seconds for ms?) or clock */
		snprintf(r->error, sizeof r->error,
			 "--start-at was %lld s ago (at most %d s late): check the clock or the "
			 "value (ms since the epoch)",
			 (long long)(-wait / 1000), START_AT_MAX_WAIT_MS / 1000);
		return -1;
	}
	if (wait < 0) {
		run_warn(r, "--start-at was %lld ms ago: this generator started late",
			 (long long)-wait);
		return 0;
	}
	if (wait > START_AT_MAX_WAIT_MS) {
		snprintf(r->error, sizeof r->error,
			 "--start-at is %lld s away (at most %d s): check the clock or the value",
			 (long long)(wait / 1000), START_AT_MAX_WAIT_MS / 1000);
		return -1;
	}
	struct timespec at = {.tv_sec = (time_t)(at_ms / 1000),
			      .tv_nsec = (long)(at_ms % 1000) * 1000000};
	/* TIMER_ABSTIME: no drift from the time spent getting here; EINTR
	 * (Ctrl-C) returns early and the run ends before it began. */
	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, NULL) == EINTR)
		if (interrupted) {
			snprintf(r->error, sizeof r->error, "interrupted by %s",
				 stopsig_name(stopsig_caught()));
			return -1;
		}
	return 0;
}

/* What would make the numbers lie, said before the run (SPEC section 4). */
static void honesty_checks(struct run *r, const struct net_addr *target)
{
	const struct load_config *c = r->cfg;
	struct rlimit rl;
	long lim = net_raise_nofile();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (long)rl.rlim_cur < c->conns + 64)
		run_warn(
		    r,
		    "RLIMIT_NOFILE is %ld, below --conns %d: connections will fail with EMFILE "
		    "(raise the hard limit: ulimit -Hn)",
		    lim, c->conns);
	int lo, hi;
	if (target->family != AF_UNIX && kstat_port_range(&lo, &hi) == 0) {
		int ports = hi - lo + 1, per = c->nsources ? c->nsources : 1;
		if (c->conns / per > ports)
			run_warn(r,
				 "%d connections per source address but only %d local ports "
				 "(net.ipv4.ip_local_port_range %d-%d): expect EADDRNOTAVAIL; "
				 "spread them with --source",
				 c->conns / per, ports, lo, hi);
	}
}

/* {"kind":"end", ...}: the stream's last line (docs/live.md). */
static void end_line(struct run *r, json_t *j)
{
	if (!livefd_on(&r->live))
		return;
	double t = r->started_at_ms ? r->duration_s : 0;
	json_t *o = json_pack("{s:s, s:f, s:o, s:o}", "kind", "end", "t_s", t, "error",
			      r->error[0] ? json_string(r->error) : json_null(), "headline",
			      livefd_headline(j));
	livefd_put(&r->live, o, false);
}

/* Write the JSON and the summary; `never`: the run's unit of work never
 * succeeded (exit 1, this reason on stderr unless a worse one is there). */
static int finish(struct run *r, int rc, const char *never)
{
	const struct load_config *c = r->cfg;
	char err[512];
	int sig = stopsig_caught();
	if (sig) {
		/* stopped: the JSON says by what and how long the stop took
		 * (signal to this write), and the exit status is the shell's
		 * for a process ended by it */
		r->stop_sig = sig;
		r->stop_took_s = (double)(clock_now_ns() - stopsig_at_ns()) / 1e9;
		if (!r->error[0])
			snprintf(r->error, sizeof r->error, "interrupted by %s", stopsig_name(sig));
		rc = 128 + sig;
		never = NULL;
	}
	char trouble[300];
	livefd_trouble(&r->live, "--live-fd", trouble, sizeof trouble);
	if (trouble[0])
		run_warn(r, "%s", trouble);
	json_t *j = run_json(r);
	end_line(r, j);
	if (r->view) { /* the view ends before anything else is printed */
		struct live_cost lc;
		live_stop(r->view, &lc);
		r->view = NULL;
		r->live.fd = -1; /* live_stop closed it */
		json_object_set_new(j, "live", live_cost_json(&lc));
	}
	if (c->json_path[0] && json_write_atomic(j, c->json_path, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench load: --json %s\n", err);
		rc = 1;
	} else if (r->jsonl_errno) {
		fprintf(stderr, "sockbench load: --jsonl %s: %s\n", c->jsonl_path,
			strerror(r->jsonl_errno));
		rc = 1;
	} else if (never) {
		fprintf(stderr, "sockbench load: %s\n", never);
		rc = 1;
	}
	json_decref(j);
	if (!c->quiet)
		run_summary(r, load_human(c));
	else if (r->error[0])
		fprintf(stderr, "sockbench load: %s\n", r->error);
	run_free(r);
	return rc;
}

/* The server speaks what the mode sends, unless told otherwise: rr and crr
 * frames, a stream into a sink, echo and connect as echo, http as http. */
static void default_proto(struct load_config *cfg)
{
	static const char *const proto_of[] = {
	    [MODE_RR] = "rr",	    [MODE_CRR] = "rr",	  [MODE_CONNECT] = "echo",
	    [MODE_STREAM] = "sink", [MODE_ECHO] = "echo", [MODE_HTTP] = "http"};
	if (strstr(cfg->serve_opts, "--proto"))
		return;
	const char *proto = proto_of[cfg->mode];
	size_t l = strlen(cfg->serve_opts);
	snprintf(cfg->serve_opts + l, sizeof cfg->serve_opts - l, " --proto %s", proto);
}

/* Check the server's options here, so that a typo is a usage error now and
 * the JSON can record every effective setting. */
static int serve_options(const struct load_config *cfg, struct serve_config *scfg, char *err,
			 size_t errlen)
{
	char **w;
	int n;
	serve_defaults(scfg);
	if (words_split(cfg->serve_opts, &w, &n, err, errlen) < 0)
		return -1;
	char *args[n + 2];
	args[0] = "serve";
	memcpy(args + 1, w, (size_t)n * sizeof *w);
	args[n + 1] = NULL;
	int rc = serve_parse(scfg, n + 1, args, err, errlen);
	words_free(w);
	if (rc > 0)
		snprintf(err, errlen, "--help is not a server option");
	return rc != 0 ? -1 : 0;
}

/* The run is over: how long it measured, and whether the generator
 * itself was the bottleneck. */
static void settle(struct run *r, const struct engine *e, uint64_t t_stop)
{
	const struct load_config *cfg = r->cfg;
	if (cfg->requests && e->t_finish && e->t_finish < t_stop)
		t_stop = e->t_finish; /* the last request's end, not the next watch tick */
	uint64_t measured_from = e->t_measure < t_stop ? e->t_measure : t_stop;
	r->duration_s = (double)(t_stop - measured_from) / 1e9;
	if (e->t_end && t_stop > e->t_end)
		r->duration_s = (double)cfg->duration_us / 1e6;
	double wall = (double)(t_stop - e->t_begin) / 1e9;
	if (wall > 0.2 && r->ls.cpu_s / wall >= 0.9) {
		r->generator_bound = true;
		run_warn(r, "generator bound: its busiest thread used %.0f%% of a CPU",
			 100 * r->ls.cpu_s / wall);
	}
}

/* --jsonl: a stream of lines, opened once.  A descriptor already open
 * ("-", /dev/stdout, /dev/fd/N) is written through a copy of it, never
 * reopened (a caller's `>> log` keeps its lines). */
static FILE *jsonl_open(const char *path)
{
	if (!path[0])
		return NULL;
	int fd = json_named_fd(path);
	if (fd < 0)
		return fopen(path, "we");
	int d = dup(fd);
	FILE *f = d >= 0 ? fdopen(d, "w") : NULL;
	if (!f && d >= 0)
		close(d);
	return f;
}

/* Run the engine, watch it (sp: the server we started, or NULL) and
 * gather its stats. */
static void measure(struct run *r, struct engine *e, struct spawn *sp)
{
	const struct load_config *cfg = r->cfg;
	FILE *jl = jsonl_open(cfg->jsonl_path);
	if (cfg->jsonl_path[0] && !jl)
		r->jsonl_errno = errno;
	struct watch w;
	watch_run(&w, r, e, sp != NULL, sp, jl);
	if (sp && !spawn_exited(sp))
		sp->run_over = true; /* what it does from now on is not the run's */
	uint64_t t_stop = clock_now_ns();
	engine_stop(e, &r->ls);
	watch_finish(&w);
	if (jl) {
		/* a stream that lost lines is a failed output: /dev/full, a
		 * full disk, a reader that went away */
		int bad = ferror(jl);
		if ((fclose(jl) == EOF || bad) && !r->jsonl_errno)
			r->jsonl_errno = errno ? errno : EIO;
	}
	r->ran = true;
	settle(r, e, t_stop);
	if (interrupted)
		snprintf(r->error, sizeof r->error, "interrupted by %s",
			 stopsig_name(stopsig_caught()));
}

/* From the target to the end of the load; 0, or 1 with r->error set. */
static int run_load(struct run *r, struct engine *e, const char *target, struct spawn *sp)
{
	char err[512];
	if (net_parse_hostport(target, &e->target, err, sizeof err) < 0) {
		snprintf(r->error, sizeof r->error, "target %s: %s", target, err);
		return 1;
	}
	/* Host: what curl would send for this target; a unix socket has no
	 * host, and servers behind one take any. */
	snprintf(e->host, sizeof e->host, "%s", e->target.family == AF_UNIX ? "localhost" : target);
	honesty_checks(r, &e->target);
	if (r->cfg->start_at_ms && wait_start_at(r, r->cfg->start_at_ms) < 0)
		return 1;
	mark_start(r);
	r->have_k = r->remote ? r->remote->hello && remote_counters_now(r->remote, &r->k0) == 0
			      : kstat_read(&r->k0) == 0;
	int s = engine_start(e);
	if (s < 0) {
		snprintf(r->error, sizeof r->error, "engine: %s", strerror(-s));
		return 1;
	}
	measure(r, e, sp);
	return 0;
}

/* --source addresses are IPv4: a target of another family (an IPv6 or
 * unix server) cannot be reached from them - said before anything runs. */
static int sources_misfit(const struct load_config *c, const struct serve_config *sc, char *err,
			  size_t errlen)
{
	struct net_addr t;
	char e[256];
	if (!c->nsources)
		return 0;
	int fam = AF_INET; /* --server-cmd: {addr} is 127.0.0.1 */
	if (c->target[0] && net_parse_hostport(c->target, &t, e, sizeof e) == 0)
		fam = t.family;
	else if (sc && net_parse_host(sc->bind, 0, &t, e, sizeof e) == 0)
		fam = t.family;
	if (fam == AF_INET)
		return 0;
	return snprintf(err, errlen, "--source %s: IPv4 addresses cannot reach the %s target %s",
			c->sources_text, fam == AF_UNIX ? "unix" : "IPv6",
			c->target[0] ? c->target
			: sc	     ? sc->bind
				     : "?"),
	       -1;
}

/* --live: the view on /dev/tty, fed the --live-fd stream through a pipe;
 * without a terminal, the per-interval lines (a warning says why). */
static void live_view(struct run *r)
{
	int fd;
	char why[256];
	r->view = live_start(&fd, why, sizeof why);
	if (r->view) {
		livefd_init(&r->live, fd);
		return;
	}
	run_warn(r, "--live: %s: the per-interval lines instead", why);
	r->lines_always = true;
}

/* --server-host: probe on the server's host, for its accept queue and
 * counters; its hello gives that host's environment and version. */
static void remote_probe(struct run *r, struct spawn *sp)
{
	char err[512];
	r->remote = sp->remote;
	if (remote_probe_start(sp->remote, sp->port, err, sizeof err) < 0) {
		run_warn(r, "%s: no accept_queue and no kernel counters from the server's host",
			 err);
		return;
	}
	json_t *h = sp->remote->hello;
	r->server_env = json_incref(json_object_get(h, "environment"));
	const char *v = json_string_value(json_object_get(h, "version"));
	if (!v || strcmp(v, SOCKBENCH_VERSION))
		run_warn(r, "version mismatch: the server's host runs sockbench %s, this is %s",
			 v ? v : "?", SOCKBENCH_VERSION);
	run_explainf(r,
		     "kernel.delta comes from the server's host (%s): it counts all TCP "
		     "traffic there, ssh's own included; accept_queue is its listen socket's "
		     "(sock_diag)",
		     sp->remote->host);
}

/* --server-host: the channels closed, --remote-sysctl's values put back
 * and recorded (a restore not confirmed is a warning: the server's host
 * may keep the run's values). */
static void remote_done(struct run *r, struct spawn *sp)
{
	if (!sp->remote)
		return;
	remote_sysctl_restore(sp->remote);
	json_t *j = remote_sysctl_json(sp->remote);
	if (json_is_object(j) && !json_is_true(json_object_get(j, "restore_confirmed")))
		run_warn(r,
			 "--remote-sysctl: %s did not confirm that every value was put back "
			 "(remote_sysctl.left/failed): check it there",
			 r->cfg->server_host);
	else if (json_object_get(j, "error"))
		run_explainf(r,
			     "--remote-sysctl: refused on the server's host (%s); the values "
			     "set before it were put back at once (remote_sysctl.restored)",
			     json_string_value(json_object_get(j, "error")));
	else if (json_is_object(j))
		run_explainf(r, "--remote-sysctl: the server's host ran with the values in "
				"remote_sysctl.set; they were put back after the run");
	json_decref(r->remote_sysctl);
	r->remote_sysctl = j;
	remote_free(sp->remote);
	sp->remote = NULL;
	r->remote = NULL;
}

/* --serve, --server-cmd or --server-host: start it; -1 with r->error. */
static int start_server(struct run *r, struct spawn *sp)
{
	const struct load_config *c = r->cfg;
	char err[512];
	/* {backlog} and {recv_size} of a --server-cmd: serve's defaults,
	 * from its option table (a sweep fills in its own values first) */
	struct serve_config d;
	serve_defaults(&d);
	int s = c->server_host[0] ? remote_serve(sp, c, c->serve_opts, err, sizeof err)
		: c->serve	  ? spawn_serve(sp, c->serve_opts, err, sizeof err)
			   : spawn_cmd(sp, c->server_cmd, d.backlog, d.recv_size, err, sizeof err);
	if (sp->warning[0]) /* no PID namespace for it: it could outlive us */
		run_warn(r, "%s", sp->warning);
	if (s < 0) {
		snprintf(r->error, sizeof r->error, "server did not start: %s", err);
		spawn_stop(sp, NULL, err, sizeof err);
		remote_done(r, sp);
		return -1;
	}
	if (sp->remote)
		remote_probe(r, sp);
	return 0;
}

/* --generators with --server-host: the server on its host as for one
 * generator, the generators pointed at it (gens.c); while they run, the
 * probe's accept-queue samples are kept (gens.c's wait calls tick); when
 * they are all back, the server stopped, and what only its host saw goes
 * on the merged run. */
struct gens_server {
	struct run *r;
	struct spawn *sp;
	uint64_t start_ns;
};

static void gens_queue(void *arg, uint64_t at_ns, int len, int limit)
{
	struct gens_server *g = arg;
	if (at_ns >= g->start_ns)
		run_aq_sample(g->r, (int64_t)((at_ns - g->start_ns) / 1000000), len, limit);
}

static void gens_server_tick(void *arg, uint64_t start_ns)
{
	struct gens_server *g = arg;
	g->start_ns = start_ns;
	if (g->r->remote)
		remote_probe_poll(g->r->remote, gens_queue, g);
}

static json_t *gens_server_end(void *arg)
{
	struct gens_server *g = arg;
	struct run *r = g->r;
	char err[512];
	json_t *stats = NULL;
	if (r->have_k)
		r->have_k = remote_probe_end(r->remote, &r->k1) == 0;
	/* a server that died or would not stop: the merged run's error too,
	 * as a one-host run's (ending.c) */
	bool failed = spawn_stop(g->sp, &stats, err, sizeof err) < 0;
	remote_done(r, g->sp);
	json_t *o = json_pack("{s:o, s:O?, s:O, s:O, s:o}", "server", stats ? stats : json_null(),
			      "server_environment", r->server_env, "warnings", r->warnings,
			      "explain", r->explain, "config_server", serve_config_json(r->scfg));
	run_kernel_json(o, r); /* the server's host's: kernel.host "server" */
	if (failed)
		json_object_set_new(o, "error", json_pack("s++", "server: ", err, ""));
	if (r->cfg->nremote_sysctl)
		json_object_set(o, "remote_sysctl",
				r->remote_sysctl ? r->remote_sysctl : json_null());
	return o;
}

/* r set up as load_main does for any run (serve's options read, stop
 * signals, environment). */
static int gens_with_server(struct run *r, int argc, char **argv)
{
	struct spawn sp = {.out_fd = -1};
	char err[512];
	/* the generators' options first: nothing starts over there for a
	 * command line that would be refused */
	if (gens_precheck(r->cfg, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench load: %s\n", err);
		return 2;
	}
	if (start_server(r, &sp) < 0)
		return finish(r, 1, NULL);
	r->have_k = r->remote && r->remote->hello && remote_counters_now(r->remote, &r->k0) == 0;
	struct gens_server g = {r, &sp};
	struct gens_srv gs = {
	    .target = sp.addr, .end = gens_server_end, .tick = gens_server_tick, .arg = &g};
	int rc = gens_main(r->cfg, argc, argv, &gs);
	run_free(r);
	return rc;
}

int load_main(int argc, char **argv)
{
	static struct load_config cfg;
	static struct serve_config scfg;
	static struct run r;
	static struct engine e;
	struct spawn sp = {.out_fd = -1};
	char err[512];
	load_defaults(&cfg);
	int p = load_parse(&cfg, argc, argv, err, sizeof err);
	if (p == 1) {
		load_usage(stdout);
		return 0;
	}
	if (p < 0) {
		fprintf(stderr, "sockbench load: %s\n", err);
		return 2;
	}
	if (cfg.generators[0] && !cfg.server_host[0]) /* the load runs on other hosts: gens.c */
		return gens_main(&cfg, argc, argv, NULL);
	run_init(&r, &cfg);
	livefd_init(&r.live, cfg.live_fd);
	if (cfg.serve) {
		default_proto(&cfg);
		if (serve_options(&cfg, &scfg, err, sizeof err) < 0) {
			fprintf(stderr, "sockbench load: --serve: %s\n", err);
			return 2;
		}
		r.scfg = &scfg;
	}
	if (sources_misfit(&cfg, cfg.serve ? &scfg : NULL, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench load: %s\n", err);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	stopsig_install(); /* before the view: ncurses then leaves SIGINT to us */
	if (cfg.live && cfg.live_fd >= 0) {
		fprintf(stderr, "sockbench load: --live and --live-fd: one of them\n");
		return 2;
	}

	r.env = env_json();
	mark_start(&r);	       /* again when the load begins; this one stands if it never does */
	if (cfg.generators[0]) /* and --server-host: the server here, the load there */
		return gens_with_server(&r, argc, argv);

	bool started = cfg.serve || cfg.server_cmd[0];
	const char *target = cfg.target;
	if (started) {
		if (start_server(&r, &sp) < 0)
			return finish(&r, 1, NULL);
		target = sp.addr;
	}
	snprintf(r.target, sizeof r.target, "%s", target);
	/* a thread: after the server's start (a PID namespace needs a
	 * single-threaded fork, lib/pidns.c) */
	if (cfg.stop_on_eof && (p = stopsig_on_eof(STDIN_FILENO)) < 0)
		run_warn(&r, "--stop-on-eof: %s: stdin's end will not stop the run", strerror(-p));
	/* the view's thread after the server's start: a process that forks
	 * with one thread only gets the server a PID namespace (lib/pidns.c) */
	if (cfg.live)
		live_view(&r);
	e.cfg = &cfg;
	int rc = run_load(&r, &e, target, started ? &sp : NULL);
	/* drain, who closes first, the leave, the server's stop, --restart */
	rc = ending_run(&r, &e, started ? &sp : NULL, rc);
	char why[512];
	/* a measurement, not a crash: error stays null; SPEC 1's "target
	 * refused" exit status, and the reason on stderr (finish) */
	bool never = r.ran && run_explain(&r, why, sizeof why) && rc == 0 && !r.error[0];
	remote_done(&r, &sp);
	return finish(&r, rc, never ? why : NULL);
}

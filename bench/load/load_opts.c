/* load_opts.c - `sockbench load` options: parse, then check, then use. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockbench/load.h"
#include "sockbench/opt.h"
#include "sockbench/optab.h"
#include "sockbench/spawn.h"

const char *const load_mode_names[] = {"rr", "crr", "connect", "stream", "echo", "http", NULL};
const char *const load_close_names[] = {"fin", "reset", "exit", NULL};
const char *const load_first_names[] = {"client", "server", NULL};
const char *const load_restart_names[] = {"off", "same", "reuseaddr", "no-reuseaddr", NULL};

/* 127.0.0.1-127.0.0.8 or a comma list of IPv4 literals. */
static int parse_sources(struct load_config *c, const char *s, char *err, size_t errlen)
{
	char buf[256], *save = NULL;
	if (strlen(s) >= sizeof buf)
		goto bad;
	strcpy(buf, s);
	snprintf(c->sources_text, sizeof c->sources_text, "%s", s);
	char *dash = strchr(buf, '-');
	if (dash) {
		*dash = '\0';
		struct in_addr a, b;
		if (inet_pton(AF_INET, buf, &a) != 1 || inet_pton(AF_INET, dash + 1, &b) != 1)
			goto bad;
		uint32_t lo = ntohl(a.s_addr), hi = ntohl(b.s_addr);
		if (hi < lo || hi - lo >= LOAD_MAX_SOURCES)
			goto bad;
		for (uint32_t v = lo; v <= hi; v++) {
			char txt[INET_ADDRSTRLEN];
			struct in_addr x = {htonl(v)};
			inet_ntop(AF_INET, &x, txt, sizeof txt);
			net_parse_host(txt, 0, &c->sources[c->nsources++], err, errlen);
		}
		return 0;
	}
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct in_addr a;
		if (c->nsources == LOAD_MAX_SOURCES || inet_pton(AF_INET, tok, &a) != 1)
			goto bad;
		net_parse_host(tok, 0, &c->sources[c->nsources++], err, errlen);
	}
	return c->nsources ? 0 : -1;
bad:
	snprintf(
	    err, errlen,
	    "--source: expected A-B (an IPv4 range, at most %d addresses) or A,B,..., got '%s'",
	    LOAD_MAX_SOURCES, s);
	return -1;
}

#define C struct load_config

static int set_target(void *cfg, const struct optab_row *r, const char *arg, char *err,
		      size_t errlen)
{
	C *c = cfg;
	struct net_addr a;
	char e[256];
	if (net_parse_hostport(arg, &a, e, sizeof e) < 0)
		return opt_errf(err, errlen, r->name, "%s", e);
	if (strlen(arg) >= sizeof c->target)
		return opt_errf(err, errlen, r->name, "address too long");
	strcpy(c->target, arg);
	return 0;
}

static int set_serve(void *cfg, const struct optab_row *r, const char *arg, char *err,
		     size_t errlen)
{
	C *c = cfg;
	if (strlen(arg) >= sizeof c->serve_opts)
		return opt_errf(err, errlen, r->name, "too long");
	strcpy(c->serve_opts, arg);
	c->serve = true;
	return 0;
}

static json_t *json_serve(const void *cfg, const struct optab_row *r)
{
	(void)r;
	const C *c = cfg;
	return c->serve ? json_string(c->serve_opts) : json_null();
}

static int set_server_cmd(void *cfg, const struct optab_row *r, const char *arg, char *err,
			  size_t errlen)
{
	C *c = cfg;
	char **w, why[256];
	int n;
	if (!*arg || strlen(arg) >= sizeof c->server_cmd)
		return opt_errf(err, errlen, r->name, "expected a command");
	/* split now, so that a bad quote is a usage error and not a run
	 * that fails to start */
	if (words_split(arg, &w, &n, why, sizeof why) < 0)
		return opt_errf(err, errlen, r->name, "%s", why);
	words_free(w);
	strcpy(c->server_cmd, arg);
	return 0;
}

/* [USER@]HOST: what ssh is given as its destination.  Never an option
 * to ssh (it is passed after "--" too), never empty, no spaces. */
static int set_server_host(void *cfg, const struct optab_row *r, const char *arg, char *err,
			   size_t errlen)
{
	C *c = cfg;
	const char *host = strrchr(arg, '@') ? strrchr(arg, '@') + 1 : arg;
	bool ok = *host && arg[0] != '-' && strlen(arg) < sizeof c->server_host;
	for (const char *p = arg; ok && *p; p++)
		ok = (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f;
	if (!ok)
		return opt_errf(err, errlen, r->name, "expected [USER@]HOST, got '%s'", arg);
	/* the load connects to HOST itself: an address, not a name to resolve */
	struct net_addr a;
	char e[256];
	if (net_parse_host(host, 0, &a, e, sizeof e) < 0 || a.family == AF_UNIX)
		return opt_errf(err, errlen, r->name,
				"HOST must be an IP address (the load connects to it), got '%s'",
				host);
	strcpy(c->server_host, arg);
	return 0;
}

static int set_http_path(void *cfg, const struct optab_row *r, const char *arg, char *err,
			 size_t errlen)
{
	C *c = cfg;
	bool ok = arg[0] == '/' && strlen(arg) < sizeof c->http_path;
	for (const char *p = arg; ok && *p; p++)
		ok = (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f;
	if (!ok)
		return opt_errf(err, errlen, r->name,
				"expected a path starting with / (no spaces), got '%s'", arg);
	strcpy(c->http_path, arg);
	return 0;
}

static int set_source(void *cfg, const struct optab_row *r, const char *arg, char *err,
		      size_t errlen)
{
	(void)r;
	C *c = cfg;
	c->nsources = 0;
	return parse_sources(c, arg, err, errlen);
}

static json_t *json_source(const void *cfg, const struct optab_row *r)
{
	(void)r;
	const C *c = cfg;
	return c->nsources ? json_string(c->sources_text) : json_null();
}

/* --ssh-opt: repeatable, each value one more entry of the list: KEY=VALUE
 * goes to ssh as -o KEY=VALUE, a value that starts with '-' as its words
 * ("-F bed/ssh_config" is two; sshopt.c). */
static int set_ssh_opt(void *cfg, const struct optab_row *r, const char *arg, char *err,
		       size_t errlen)
{
	C *c = cfg;
	if (c->nssh_opt == LOAD_MAX_SSH_OPTS)
		return opt_errf(err, errlen, r->name, "at most %d", LOAD_MAX_SSH_OPTS);
	if (arg[0] != '-' && !strchr(arg, '='))
		return opt_errf(err, errlen, r->name,
				"expected KEY=VALUE (ssh -o) or ssh's own options ('-F FILE'), "
				"got '%s'",
				arg);
	if (!arg[0] || strlen(arg) >= sizeof c->ssh_opt[0])
		return opt_errf(err, errlen, r->name, "expected ssh options, at most %zu bytes",
				sizeof c->ssh_opt[0] - 1);
	strcpy(c->ssh_opt[c->nssh_opt++], arg);
	return 0;
}

static json_t *json_ssh_opt(const void *cfg, const struct optab_row *r)
{
	(void)r;
	const C *c = cfg;
	json_t *a = json_array();
	for (int i = 0; i < c->nssh_opt; i++)
		json_array_append_new(a, json_string(c->ssh_opt[i]));
	return a;
}

/* --remote-sysctl: repeatable, NAME=VALUE each (probe checks the name
 * and the value there: probe_sysctl.c) */
static int set_remote_sysctl(void *cfg, const struct optab_row *r, const char *arg, char *err,
			     size_t errlen)
{
	C *c = cfg;
	const char *eq = strchr(arg, '=');
	if (c->nremote_sysctl == LOAD_MAX_REMOTE_SYSCTLS)
		return opt_errf(err, errlen, r->name, "at most %d", LOAD_MAX_REMOTE_SYSCTLS);
	if (!eq || eq == arg || !eq[1] || strlen(arg) >= sizeof c->remote_sysctl[0])
		return opt_errf(err, errlen, r->name,
				"expected NAME=VALUE (net.core.somaxconn=64), got '%s'", arg);
	for (int i = 0; i < c->nremote_sysctl; i++)
		if (!strncmp(c->remote_sysctl[i], arg, (size_t)(eq - arg) + 1))
			return opt_errf(err, errlen, r->name, "%.*s given twice", (int)(eq - arg),
					arg);
	strcpy(c->remote_sysctl[c->nremote_sysctl++], arg);
	return 0;
}

static json_t *json_remote_sysctl(const void *cfg, const struct optab_row *r)
{
	(void)r;
	const C *c = cfg;
	json_t *a = json_array();
	for (int i = 0; i < c->nremote_sysctl; i++)
		json_array_append_new(a, json_string(c->remote_sysctl[i]));
	return a;
}

/* Durations: a bare number is seconds, kept in microseconds, seconds in
 * the JSON.  Timeouts: a bare number is milliseconds, ms in the JSON. */
#define DURATION .time_bare_us = 1000000, .time_store_us = 1, .time_json_us = 1000000
#define TIMEOUT	 .time_bare_us = 1000, .time_store_us = 1, .time_json_us = 1000

static const struct optab_row load_rows[] = {
    {"target", OPTK_CUSTOM, NULL, "ADDR", "any server: 127.0.0.1:80, [::1]:80, unix:/path",
     OPTAB_STR(C, target), .set = set_target, .flags = OPTF_UNSET_NULL,
     .section = "target (one of):",
     .no_axis = "a sweep starts its own servers (--server-cmd runs any program)"},
    {"serve", OPTK_CUSTOM, NULL, "\"OPTS\"",
     "start `sockbench serve OPTS` for the run (stats merged)", .set = set_serve,
     .json = json_serve, .no_axis = "a sweep's server options are axes of their own"},
    {"server-cmd", OPTK_CUSTOM, NULL, "'CMD'",
     "start any program; {port} {backlog} {recv_size} {addr}\n"
     "are filled in; ready at a READY line or a LISTEN socket",
     OPTAB_STR(C, server_cmd), .set = set_server_cmd, .flags = OPTF_UNSET_NULL,
     .no_axis = "sweep --server-cmd is an option of the sweep"},
    {"server-host", OPTK_CUSTOM, NULL, "[USER@]HOST",
     "run the server (--serve) on HOST over ssh -o BatchMode=yes;\n"
     "HOST is the address the load connects to; probe reads its\n"
     "accept queue and counters there",
     OPTAB_STR(C, server_host), .set = set_server_host, .flags = OPTF_UNSET_NULL,
     .no_axis = "sweep --server-host is an option of the sweep"},
    {"mode", OPTK_CHOICE, "rr", "M", "rr, crr, connect, stream, echo, http", OPTAB_NUM(C, mode),
     .choices = load_mode_names, .section = "load:", .axis = OPTA_LOAD},
    {"conns", OPTK_INT, "10", "N", "concurrent connections", OPTAB_NUM(C, conns), .min = 1,
     .max = 10000000, .axis = OPTA_LOAD},
    {"threads", OPTK_INT, "nproc", "N", "generator threads", OPTAB_NUM(C, threads), .min = 1,
     .max = 1024, .flags = OPTF_NPROC, .axis = OPTA_LOAD},
    {"duration", OPTK_TIME, "10s", "T", "run length ...", OPTAB_NUM(C, duration_us), .min = 1000,
     DURATION, .axis = OPTA_LOAD},
    {"requests", OPTK_INT, NULL, "N", "... or exactly N requests over all connections",
     OPTAB_NUM(C, requests), .min = 1, .max = INT64_MAX, .flags = OPTF_UNSET_NULL,
     .axis = OPTA_LOAD},
    {"warmup", OPTK_TIME, "0", "T", "run this long first, excluded from figures",
     OPTAB_NUM(C, warmup_us), DURATION, .axis = OPTA_LOAD},
    /* 1e12 ms is 2001, 1e14 is year 5138: anything else is a typo
     * (seconds, or microseconds) */
    {"start-at", OPTK_INT, NULL, "MS",
     "begin at this wall-clock time (ms since the epoch), so\n"
     "generators started apart begin together",
     OPTAB_NUM(C, start_at_ms), .min = 1000000000000LL, .max = 100000000000000LL,
     .flags = OPTF_UNSET_NULL, .json_key = "start_at_ms",
     .no_axis = "a moment on the wall clock cannot be the same for two runs"},
    {"rate", OPTK_RATE, NULL, "R",
     "open loop: R requests/s on a fixed schedule; latency\n"
     "from the scheduled time (coordinated omission corrected)",
     OPTAB_NUM(C, rate), .flags = OPTF_UNSET_NULL, .axis = OPTA_LOAD},
    {"connect-rate", OPTK_RATE, NULL, "R", "connect/crr: R new connections/s on a fixed schedule",
     OPTAB_NUM(C, connect_rate), .flags = OPTF_UNSET_NULL, .axis = OPTA_LOAD},
    {"req-size", OPTK_SIZE, "64", "N", "request payload bytes", OPTAB_NUM(C, req_size), .min = 0,
     .max = 1 << 30, .axis = OPTA_LOAD},
    {"resp-size", OPTK_SIZE, "64", "N", "reply bytes asked for, >= 1", OPTAB_NUM(C, resp_size),
     .min = 1, .max = 1 << 30, .axis = OPTA_LOAD},
    {"http-path", OPTK_CUSTOM, "/", "P", "http: the path of each GET", OPTAB_STR(C, http_path),
     .set = set_http_path, .axis = OPTA_LOAD},
    {"http-body", OPTK_SIZE, NULL, "N", "http: every body must be N bytes (default: any length)",
     OPTAB_NUM(C, http_body), .min = 0, .max = 1LL << 40, .unset = -1, .flags = OPTF_UNSET_NULL,
     .axis = OPTA_LOAD},
    /* A peer decides how long an http reply is; rr and echo replies are
     * as long as we asked, and a byte more is an integrity_error at once
     * (docs/design.md, "HTTP replies"). */
    {"max-head", OPTK_SIZE, "64k", "N",
     "http: largest reply head (1xx heads and trailers\n"
     "included) and chunk-size line; past it: http_head_too_big",
     OPTAB_NUM(C, max_head), .min = 32, .max = 1 << 30, .axis = OPTA_LOAD},
    {"max-msg", OPTK_SIZE, "16M", "N", "http: largest reply body (decoded); past it: reply_too_big",
     OPTAB_NUM(C, max_msg), .min = 0, .max = 1LL << 40, .axis = OPTA_LOAD},
    {"send-size", OPTK_SIZE, "128k", "N", "stream: bytes per send()", OPTAB_NUM(C, send_size),
     .min = 1, .max = 64 << 20, .axis = OPTA_LOAD},
    {"connect-timeout", OPTK_TIME, "5s", "T", "per connection", OPTAB_NUM(C, connect_timeout_us),
     .min = 1000, TIMEOUT, .axis = OPTA_LOAD},
    {"timeout", OPTK_TIME, "5s", "T", "per request", OPTAB_NUM(C, timeout_us), .min = 1000, TIMEOUT,
     .axis = OPTA_LOAD},
    {"source", OPTK_CUSTOM, NULL, "A[-B]|A,B,..", "spread connections over local IPv4 addresses",
     .set = set_source, .json = json_source, .axis = OPTA_WHOLE},
    {"close", OPTK_CHOICE, "fin", "HOW",
     "how the client leaves its connections (at the end; crr:\n"
     "each): fin (close), reset (SO_LINGER 0: RST), exit (the\n"
     "process holding them exits; the kernel closes them)",
     OPTAB_NUM(C, close_how), .choices = load_close_names,
     .section = "the end of a run:", .axis = OPTA_LOAD},
    {"unread", OPTK_FLAG, NULL, NULL,
     "leave with one reply unread in each receive queue: the\n"
     "close then sends RST, not FIN (rr, echo, http)",
     OPTAB_NUM(C, unread), .axis = OPTA_LOAD},
    {"first", OPTK_CHOICE, "client", "WHO",
     "who closes first: client (it leaves, then the server is\n"
     "stopped) or server (stopped first; needs --serve or --server-cmd)",
     OPTAB_NUM(C, first), .choices = load_first_names, .axis = OPTA_LOAD},
    {"restart", OPTK_CHOICE, "off", "R",
     "then start the server again on its port: off, same,\n"
     "reuseaddr, no-reuseaddr (--serve; --server-cmd: same)",
     OPTAB_NUM(C, restart), .choices = load_restart_names, .axis = OPTA_LOAD},
    {"json", OPTK_STR, NULL, "FILE", "the run JSON (also written when the run fails)",
     OPTAB_STR(C, json_path), .str_bad = "expected a file name", .flags = OPTF_NOJSON,
     .section = "output:", .no_axis = "a sweep writes each run under --out"},
    {"jsonl", OPTK_STR, NULL, "FILE", "one JSON line per interval, as it happens",
     OPTAB_STR(C, jsonl_path), .str_bad = "expected a file name", .flags = OPTF_NOJSON,
     .no_axis = "a sweep writes each run under --out"},
    {"live-fd", OPTK_INT, NULL, "N",
     "the live stream: JSON lines on this open descriptor,\n"
     "10 ticks a second and each interval (docs/live.md)",
     OPTAB_NUM(C, live_fd), .min = 0, .max = 1 << 20, .unset = -1, .flags = OPTF_NOJSON,
     .no_axis = "sweep --live-fd passes its own stream to each run"},
    {"live", OPTK_FLAG, NULL, NULL,
     "a full-screen view of the run on the terminal (/dev/tty,\n"
     "never stdout); none there: the per-interval lines",
     OPTAB_NUM(C, live), .flags = OPTF_NOJSON, .no_axis = "sweep --live shows every run"},
    {"interval", OPTK_TIME, "1s", "T", "time series step", OPTAB_NUM(C, interval_us), .min = 10000,
     DURATION, .axis = OPTA_LOAD},
    {"queue-sample", OPTK_TIME, "10ms", "T", "accept queue sampling step",
     OPTAB_NUM(C, queue_sample_us), .min = 1000, TIMEOUT, .axis = OPTA_LOAD},
    {"quiet", OPTK_FLAG, NULL, NULL, "no summary on stdout", OPTAB_NUM(C, quiet),
     .flags = OPTF_NOJSON, .no_axis = "sweep --quiet is an option of the sweep"},
    {"stop-on-eof", OPTK_FLAG, NULL, NULL,
     "stop (as on SIGTERM) when stdin closes: --generators\n"
     "gives it to each host's load, whose ssh channel ends\n"
     "with ours",
     OPTAB_NUM(C, stop_on_eof), .flags = OPTF_NOJSON,
     .no_axis = "how the run is stopped, not a setting of it"},
    {"generators", OPTK_STR, NULL, "H1,H2,..",
     "run this load on each [USER@]HOST at once over ssh\n"
     "(--target: the server they all reach); merged",
     OPTAB_STR(C, generators), .str_bad = "expected [USER@]HOST,[USER@]HOST,...",
     .flags = OPTF_UNSET_NULL,
     .section = "other hosts:", .no_axis = "the hosts are the same for every run"},
    {"ssh-opt", OPTK_CUSTOM, NULL, "OPT",
     "one more ssh option (repeatable), for --server-host and\n"
     "--generators: KEY=VALUE as ssh -o (Port=2222), or ssh's\n"
     "own words ('-F bed/ssh_config')",
     .set = set_ssh_opt, .json = json_ssh_opt,
     .no_axis = "how to reach the hosts, not a setting of the run"},
    {"remote-sysctl", OPTK_CUSTOM, NULL, "NAME=V",
     "with --server-host: set this net.* sysctl on the\n"
     "server's host for the run, put back after it, also\n"
     "when the channel drops (repeatable)",
     .set = set_remote_sysctl, .json = json_remote_sysctl,
     .no_axis = "sweep --remote-sysctl turns its sysctl axes into these"},
    {"remote-bin", OPTK_STR, "sockbench", "PATH", "sockbench on the other hosts",
     OPTAB_STR(C, remote_bin), .str_bad = "expected a program name or path",
     .no_axis = "how to reach the hosts, not a setting of the run"},
    {NULL},
};

const struct optab load_optab = {"load", load_rows};

void load_defaults(struct load_config *c)
{
	char err[256];
	memset(c, 0, sizeof *c);
	if (optab_defaults(&load_optab, c, err, sizeof err) < 0)
		abort(); /* a default the table itself refuses: a bug in this file */
}

void load_usage(FILE *f)
{
	fprintf(f, "usage: sockbench load [options]\n\n"
		   "Drive a server, print a summary, write the run JSON.\n\n");
	optab_usage(&load_optab, f);
	fprintf(f, "Times: 1.5, 250ms, 10s, 2m. Sizes: 64, 64k, 1M.\n");
}

/* --close, --unread, --first, --restart against the mode and target. */
static int end_check(const struct load_config *c, char *err, size_t errlen)
{
	if (c->close_how == CLOSE_EXIT && c->mode == MODE_CRR)
		return snprintf(err, errlen,
				"--close exit: crr closes each connection as it goes (a process "
				"exit per connection is a fork per connection); use fin or reset"),
		       -1;
	if (c->close_how == CLOSE_EXIT && c->requests)
		return snprintf(err, errlen,
				"--close exit: with --requests each connection is closed when its "
				"thread's share is done, during the run; use --duration"),
		       -1;
	if (c->unread && c->mode != MODE_RR && c->mode != MODE_ECHO && c->mode != MODE_HTTP)
		return snprintf(err, errlen,
				"--unread: only for the rr, echo and http modes (a reply to "
				"leave unread)"),
		       -1;
	if (c->first == FIRST_SERVER && c->target[0])
		return snprintf(err, errlen,
				"--first server: load stops only a server it started "
				"(--serve or --server-cmd)"),
		       -1;
	if (c->restart != RESTART_OFF && c->target[0])
		return snprintf(err, errlen,
				"--restart: load restarts only a server it started (--serve or "
				"--server-cmd)"),
		       -1;
	if (c->restart > RESTART_SAME && c->server_cmd[0])
		return snprintf(err, errlen,
				"--restart %s: --server-cmd can only be restarted as it is "
				"(same); reuseaddr and no-reuseaddr are sockbench serve's",
				load_restart_names[c->restart]),
		       -1;
	return 0;
}

/* The checks across options, once every option is read. */
static int load_check(const struct load_config *c, char *err, size_t errlen)
{
	int targets = !!c->target[0] + (c->serve || c->server_host[0]) + !!c->server_cmd[0];
	if (c->server_host[0] && (c->target[0] || c->server_cmd[0]))
		return snprintf(err, errlen,
				"--server-host: it runs sockbench serve there (--serve); not with "
				"--target or --server-cmd"),
		       -1;
	if (c->nremote_sysctl && !c->server_host[0])
		return snprintf(err, errlen,
				"--remote-sysctl: only with --server-host (here, a sweep sets "
				"sysctls in its own network namespace)"),
		       -1;
	if (c->server_host[0] && c->restart != RESTART_OFF)
		return snprintf(err, errlen,
				"--restart: not with --server-host (not supported yet)"),
		       -1;
	if (targets != 1)
		return snprintf(err, errlen,
				"--target, --serve or --server-cmd: give exactly one (got %d)",
				targets),
		       -1;
	if (c->requests && c->mode == MODE_CONNECT)
		return snprintf(err, errlen,
				"--requests: connect mode sends no requests; use --duration"),
		       -1;
	if (c->requests && c->mode == MODE_STREAM)
		return snprintf(err, errlen,
				"--requests: stream mode has no requests; use --duration"),
		       -1;
	if (c->rate > 0 && c->mode != MODE_RR && c->mode != MODE_ECHO)
		return snprintf(err, errlen,
				"--rate: only for the rr and echo modes (crr: --connect-rate)"),
		       -1;
	if (c->connect_rate > 0 && c->mode != MODE_CONNECT && c->mode != MODE_CRR)
		return snprintf(err, errlen, "--connect-rate: only for the connect and crr modes"),
		       -1;
	if (c->mode == MODE_ECHO && c->req_size == 0)
		return snprintf(err, errlen, "--req-size: echo needs at least 1 byte to time"), -1;
	return end_check(c, err, errlen);
}

/* --source: every address must be this machine's (bind() says so), or
 * each connect would fail with EADDRNOTAVAIL for the whole run. */
static int check_sources(const struct load_config *c, char *err, size_t errlen)
{
	for (int i = 0; i < c->nsources; i++) {
		const struct net_addr *a = &c->sources[i];
		int fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0), e = 0;
		if (fd < 0 || bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0)
			e = errno;
		if (fd >= 0)
			close(fd);
		if (e)
			return snprintf(err, errlen,
					"--source %s: not an address of this machine (%s)", a->text,
					strerror(e)),
			       -1;
	}
	return 0;
}

int load_parse(struct load_config *c, int argc, char **argv, char *err, size_t errlen)
{
	uint64_t given = 0;
	int r = optab_parse_given(&load_optab, c, argc, argv, &given, err, errlen);
	if (r != 0 || load_check(c, err, errlen) < 0 || check_sources(c, err, errlen) < 0)
		return r ? r : -1;
	if (c->requests && (given & optab_bit(&load_optab, "duration")))
		return snprintf(err, errlen,
				"--requests and --duration: give one (a --requests run ends when "
				"its N requests have ended, whatever the time)"),
		       -1;
	/* more threads than connections would idle: the run uses as many as
	 * there are connections, and records that */
	if (c->threads > c->conns)
		c->threads = c->conns;
	if (c->server_host[0])
		c->serve = true; /* no --serve: a default server, as --serve "" */
	return 0;
}

json_t *load_config_json(const struct load_config *c)
{
	json_t *o = optab_json(&load_optab, c);
	/* settings that do not apply to this run are null, as SPEC 6 asks */
	if (c->requests)
		json_object_set_new(o, "duration", json_null());
	if (c->mode != MODE_HTTP) {
		json_object_set_new(o, "http_path", json_null());
		json_object_set_new(o, "max_head", json_null());
		json_object_set_new(o, "max_msg", json_null());
	}
	return o;
}

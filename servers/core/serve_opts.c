/* serve_opts.c - `sockbench serve` options: one table (include/sockbench/
 * optab.h) from which getopt, --help, the defaults, the run JSON's
 * config.server and the sweep's server axes are all made. */
#include <stdio.h>
#include <string.h>

#include "sockbench/net.h"
#include "sockbench/opt.h"
#include "sockbench/optab.h"
#include "sockbench/serve.h"
#include "sockbench/server.h"
#include "sockbench/strbuf.h"

const char *const send_names[] = {"send", "sendall", "buffered", NULL};
const char *const accept_names[] = {"shared", "exclusive", "reuseport", NULL};
const char *const on_accept_names[] = {"serve", "close", "reset", NULL};

#define C struct serve_config

static int set_model(void *cfg, const struct optab_row *r, const char *arg, char *err,
		     size_t errlen)
{
	C *c = cfg;
	if ((c->model = server_find(arg)))
		return 0;
	size_t k = (size_t)snprintf(err, errlen, "--%s: '%s' is not one of", r->name, arg);
	for (int i = 0; server_models[i] && k < errlen; i++)
		k = sb_appendf(err, errlen, k, "%s %s", i ? "," : "", server_models[i]->name);
	return -1;
}

static json_t *json_model(const void *cfg, const struct optab_row *r)
{
	(void)r;
	return json_string(((const C *)cfg)->model->name);
}

/* listen(fd, -1) is how `max` reaches the kernel: the backlog argument is
 * an int, and __sys_listen clamps any value above net.core.somaxconn
 * (read per call, per network namespace) to it, so -1 as unsigned is
 * "as many as somaxconn allows". */
static int set_backlog(void *cfg, const struct optab_row *r, const char *arg, char *err,
		       size_t errlen)
{
	C *c = cfg;
	int64_t v;
	char e[160];
	if (!strcmp(arg, "max")) {
		c->backlog = BACKLOG_MAX;
		return 0;
	}
	if (opt_int(arg, 0, 1 << 30, &v, e, sizeof e) < 0)
		return opt_errf(err, errlen, r->name, "expected an integer >= 0 or 'max', got '%s'",
				arg);
	c->backlog = (int)v;
	return 0;
}

static json_t *json_backlog(const void *cfg, const struct optab_row *r)
{
	(void)r;
	return json_integer(((const C *)cfg)->backlog);
}

/* Checked as listen() will need it (a unix path fits sun_path, 107 bytes),
 * so a sweep refuses a bad one before its first run. */
static int set_bind(void *cfg, const struct optab_row *r, const char *arg, char *err, size_t errlen)
{
	C *c = cfg;
	struct net_addr a;
	char e[300];
	if (strlen(arg) >= sizeof c->bind)
		return opt_errf(err, errlen, r->name, "address too long");
	if (net_parse_host(arg, 0, &a, e, sizeof e) < 0)
		return opt_errf(err, errlen, r->name, "%s", e);
	strcpy(c->bind, arg);
	return 0;
}

static const struct optab_row serve_rows[] = {
    {"model", OPTK_CUSTOM, "epoll", "M", "server model (see the list below)", .set = set_model,
     .json = json_model, .axis = OPTA_SERVE},
    {"proto", OPTK_CHOICE, "echo", "P", "echo, rr, sink, http", OPTAB_NUM(C, proto),
     .choices = proto_names, .axis = OPTA_SERVE},
    {"bind", OPTK_CUSTOM, "127.0.0.1", "ADDR", "IPv4/IPv6 literal or unix:/path",
     OPTAB_STR(C, bind), .set = set_bind, .axis = OPTA_SERVE},
    {"port", OPTK_INT, "65432", "N", "TCP port, 0 picks a free one", OPTAB_NUM(C, port), .min = 0,
     .max = 65535, .axis = OPTA_SERVE},
    {"backlog", OPTK_CUSTOM, "128", "N|max", "listen() backlog; max passes -1 = somaxconn",
     .set = set_backlog, .json = json_backlog, .axis = OPTA_SERVE},
    {"recv-size", OPTK_SIZE, "1024", "N", "bytes asked of each recv()", OPTAB_NUM(C, recv_size),
     .min = 1, .max = 64 << 20, .axis = OPTA_SERVE},
    {"send", OPTK_CHOICE, "sendall", "S",
     "send: one send() per reply, the remainder dropped and counted;\n"
     "sendall: every byte delivered;\n"
     "buffered (py-selectors): keep the rest, send it on EVENT_WRITE",
     OPTAB_NUM(C, send), .choices = send_names, .axis = OPTA_SERVE},
    {"sndbuf", OPTK_SIZE, NULL, "N", "SO_SNDBUF on accepted sockets (default: kernel)",
     OPTAB_NUM(C, sndbuf), .min = 1, .max = 1 << 30, .flags = OPTF_UNSET_NULL, .axis = OPTA_SERVE},
    {"rcvbuf", OPTK_SIZE, NULL, "N", "SO_RCVBUF on accepted sockets (default: kernel)",
     OPTAB_NUM(C, rcvbuf), .min = 1, .max = 1 << 30, .flags = OPTF_UNSET_NULL, .axis = OPTA_SERVE},
    {"workers", OPTK_INT, "nproc", "N", "prefork worker processes", OPTAB_NUM(C, workers), .min = 1,
     .max = STATS_MAX_WORKERS, .flags = OPTF_NPROC, .axis = OPTA_SERVE},
    {"accept-mode", OPTK_CHOICE, "shared", "A", "prefork: shared, exclusive, reuseport",
     OPTAB_NUM(C, accept_mode), .choices = accept_names, .axis = OPTA_SERVE},
    {"accept-delay-ms", OPTK_TIME, "0", "T", "sleep before each accept(): a slow acceptor",
     OPTAB_NUM(C, accept_delay_ms), .max = 3600000000LL, .time_bare_us = 1000,
     .time_store_us = 1000, .time_json_us = 1000, .axis = OPTA_SERVE},
    {"pause-accept", OPTK_FLAG, NULL, NULL, "listen but never accept until SIGUSR1",
     OPTAB_NUM(C, pause_accept), .axis = OPTA_SERVE},
    {"on-accept", OPTK_CHOICE, "serve", "A",
     "what to do with each accepted connection: serve it;\n"
     "close: close() at once (the client reads EOF);\n"
     "reset: SO_LINGER {1, 0} then close(): RST (the client gets ECONNRESET)",
     OPTAB_NUM(C, on_accept), .choices = on_accept_names, .axis = OPTA_SERVE},
    {"no-reuseaddr", OPTK_FLAG, NULL, NULL,
     "listen socket without SO_REUSEADDR: bind() fails (EADDRINUSE) while\n"
     "a connection of an earlier server on the port is in TIME_WAIT",
     OPTAB_NUM(C, no_reuseaddr), .axis = OPTA_SERVE},
    {"work-us", OPTK_TIME, "0", "T", "busy CPU work per request", OPTAB_NUM(C, work_us),
     .max = 60000000, .time_bare_us = 1, .time_store_us = 1, .time_json_us = 1, .axis = OPTA_SERVE},
    {"max-msg", OPTK_SIZE, "16M", "N", "largest rr request or reply", OPTAB_NUM(C, max_msg),
     .min = 1, .max = 1 << 30, .axis = OPTA_SERVE},
    {"http-body", OPTK_SIZE, "13", "N", "http: body bytes of each 200 reply",
     OPTAB_NUM(C, http_body), .min = 0, .max = 64 << 20, .axis = OPTA_SERVE},
    {"max-conns", OPTK_INT, "65536", "N", "above it new connections are closed at once",
     OPTAB_NUM(C, max_conns), .min = 1, .max = 100000000, .axis = OPTA_SERVE},
    {"idle-timeout-ms", OPTK_TIME, "0", "T", "close connections idle this long, 0 = off",
     OPTAB_NUM(C, idle_timeout_ms), .max = 86400000000LL, .time_bare_us = 1000,
     .time_store_us = 1000, .time_json_us = 1000, .axis = OPTA_SERVE},
    {"stats", OPTK_STR, NULL, "FILE", "write the stats JSON here on exit (default: stderr)",
     OPTAB_STR(C, stats_path), .str_bad = "expected a file name", .flags = OPTF_NOJSON,
     .no_axis = "each run's server stats are merged into its run JSON"},
    {"stats-fd", OPTK_INT, NULL, "N", "write the stats JSON to this open descriptor on exit",
     OPTAB_NUM(C, stats_fd), .min = 0, .max = 1 << 20, .unset = -1, .flags = OPTF_NOJSON,
     .no_axis = "a descriptor load passes to the server it starts, whose stats are merged "
		"into the run JSON"},
    {"counters-fd", OPTK_INT, NULL, "N",
     "keep the live counters in this open file (shared memory):\n"
     "the load that started the server reads `accepted` there",
     OPTAB_NUM(C, counters_fd), .min = 0, .max = 1 << 20, .unset = -1, .flags = OPTF_NOJSON,
     .no_axis = "a descriptor load passes to the server it starts (the live stream's "
		"server_accepted)"},
    {"stop-on-eof", OPTK_FLAG, NULL, NULL,
     "stop (as on SIGTERM) when stdin closes: load --server-host\n"
     "stops its server over ssh by closing the channel",
     OPTAB_NUM(C, stop_on_eof), .flags = OPTF_NOJSON,
     .no_axis = "load --server-host passes it to the server it starts over ssh"},
    {NULL},
};

const struct optab serve_optab = {"serve", serve_rows};

void serve_defaults(struct serve_config *c)
{
	char err[256];
	memset(c, 0, sizeof *c);
	/* the defaults are rows of the table: a bad one is a bug, found by
	 * every test (test_serve_parse checks them) */
	if (optab_defaults(&serve_optab, c, err, sizeof err) < 0)
		c->model = NULL;
}

void serve_usage(FILE *f)
{
	fprintf(f, "usage: sockbench serve [options]\n\n"
		   "Run one server model in the foreground; prints one READY line once it\n"
		   "listens, stops on SIGINT/SIGTERM and writes its stats JSON.\n\n");
	optab_usage(&serve_optab, f);
	fprintf(f, "\nmodels (--model):\n");
	for (int i = 0; server_models[i]; i++) {
		const struct server_model *m = server_models[i];
		fprintf(f, "  %-12s %s\n", m->name, m->help);
		if (!m->opts)
			continue;
		fprintf(f, "  %-12s takes only:", "");
		for (int k = 0; m->opts[k]; k++)
			fprintf(f, " --%s", m->opts[k]);
		fprintf(f, "%s\n", m->send_buffered ? " (--send buffered too)" : "");
	}
	fprintf(f, "Times: 1.5, 250ms, 10s, 2m. Sizes: 64, 64k, 1M.\n");
}

/* Options every model takes: which model, and where its stats go. */
static const char *const always[] = {"model",	"stats", "stats-fd", "counters-fd",
				     "stop-on-eof", NULL};

static bool listed(const char *const *v, const char *name)
{
	for (int i = 0; v[i]; i++)
		if (!strcmp(v[i], name))
			return true;
	return false;
}

/* A model with a table of its own (the Python models) refuses any other
 * option given explicitly, and every model says no to what it lacks. */
static int check_model(const struct serve_config *c, uint64_t given, char *err, size_t errlen)
{
	const struct server_model *m = c->model;
	for (int i = 0; m->opts && serve_rows[i].name; i++) {
		const char *n = serve_rows[i].name;
		if ((given & optab_bit(&serve_optab, n)) && !listed(always, n) &&
		    !listed(m->opts, n)) {
			snprintf(err, errlen, "--%s: model %s does not take it (see serve --help)",
				 n, m->name);
			return -1;
		}
	}
	if (c->send == SEND_BUFFERED && !m->send_buffered) {
		snprintf(err, errlen, "--send buffered: only py-selectors takes it, not %s",
			 m->name);
		return -1;
	}
	/* A unix socket has no RST: SO_LINGER does nothing there, and its
	 * peer sees EOF (or ECONNRESET only when unread data was dropped). */
	if (c->on_accept == ON_ACCEPT_RESET && !strncmp(c->bind, "unix:", 5)) {
		snprintf(err, errlen,
			 "--on-accept reset: a unix socket has no RST (SO_LINGER does nothing "
			 "there); use an IPv4 or IPv6 --bind, or --on-accept close");
		return -1;
	}
	if (m->exec && c->proto == PROTO_HTTP) {
		snprintf(err, errlen, "--proto http: model %s speaks echo, rr and sink", m->name);
		return -1;
	}
	return 0;
}

int serve_parse(struct serve_config *c, int argc, char **argv, char *err, size_t errlen)
{
	uint64_t given = 0;
	int r = optab_parse_given(&serve_optab, c, argc, argv, &given, err, errlen);
	if (r == 0 && !c->model) {
		snprintf(err, errlen, "--model: no default model compiled in");
		return -1;
	}
	if (r == 0 && check_model(c, given, err, errlen) < 0)
		return -1;
	return r;
}

json_t *serve_config_json(const struct serve_config *c)
{
	return optab_json(&serve_optab, c);
}

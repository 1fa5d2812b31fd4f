/* probe.c - `sockbench probe --port N`: run on a server's host (by load
 * --server-host, over ssh), it reports what only that host can see, as
 * JSON lines on stdout:
 *
 *   {"kind":"hello","version":"0.9.0","kernel":"6.18.4","environment":{..}}
 *   {"kind":"counters","t_ms":0,"counters":{"ListenOverflows":12,..}}
 *   {"kind":"queue","t_ms":10,"len":3,"limit":128}   every --interval
 *   {"kind":"counters",..}   every 100 ms, on any line read from stdin,
 *                            and last, when it ends
 *
 * The queue comes from sock_diag of the listen socket (lib/diag.c): the
 * socket itself, not the host's counters, so other traffic on the host
 * does not enter it.  The counters (/proc/net/netstat, snmp) are the
 * whole network namespace's: ssh's own connection counts there too.
 *
 * It ends when stdin closes (the ssh channel hung up: nothing of it
 * outlives the run), at --duration, on SIGINT/SIGTERM, or when stdout
 * is gone.  Every wait is at most 100 ms. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/diag.h"
#include "sockbench/kstat.h"
#include "sockbench/load.h"
#include "sockbench/optab.h"
#include "sockbench/stopsig.h"
#include "probe_int.h"

#ifndef SOCKBENCH_VERSION
#define SOCKBENCH_VERSION "0.0.0"
#endif

#define PROBE_COUNTERS_MS 100

struct probe_config {
	int port;
	uint64_t interval_us, duration_us;
	struct psys sys;
};

static int set_sysctl(void *cfg, const struct optab_row *r, const char *arg, char *err,
		      size_t errlen)
{
	(void)r;
	return psys_add(&((struct probe_config *)cfg)->sys, arg, err, errlen);
}

#define P struct probe_config
static const struct optab_row probe_rows[] = {
    {"port", OPTK_INT, NULL, "N", "the TCP listen port to watch (any address)", OPTAB_NUM(P, port),
     .min = 1, .max = 65535, .unset = 0},
    {"sysctl", OPTK_CUSTOM, NULL, "NAME=V",
     "set a net.* sysctl now, put it back at the end\n"
     "(repeatable; load --remote-sysctl)",
     .set = set_sysctl},
    {"interval", OPTK_TIME, "10ms", "T", "accept queue sampling step", OPTAB_NUM(P, interval_us),
     .min = 1000, .time_bare_us = 1000, .time_store_us = 1, .time_json_us = 1000},
    {"duration", OPTK_TIME, NULL, "T", "end after this long (else: when stdin closes)",
     OPTAB_NUM(P, duration_us), .min = 1000, .time_bare_us = 1000000, .time_store_us = 1,
     .time_json_us = 1000000, .unset = 0},
    {NULL},
};
#undef P
const struct optab probe_optab = {"probe", probe_rows};

json_t *probe_counters_json(const struct kstat *k)
{
	json_t *o = json_object();
	for (int i = 0; kstat_names[i]; i++)
		if (k->have[i])
			json_object_set_new(o, kstat_names[i], json_integer((json_int_t)k->v[i]));
	return o;
}

int probe_counters_parse(const json_t *o, struct kstat *k)
{
	memset(k, 0, sizeof *k);
	if (!json_is_object(o))
		return -1;
	for (int i = 0; kstat_names[i]; i++) {
		json_t *v = json_object_get(o, kstat_names[i]);
		if (json_is_integer(v)) {
			k->v[i] = (uint64_t)json_integer_value(v);
			k->have[i] = true;
		}
	}
	return 0;
}

/* One line, flushed; -1 when stdout is gone (the channel closed). */
static int put(json_t *o)
{
	int rc =
	    json_dumpf(o, stdout, JSON_COMPACT) < 0 || putchar('\n') == EOF || fflush(stdout) == EOF
		? -1
		: 0;
	json_decref(o);
	return rc;
}

static int counters_line(uint64_t t_ms)
{
	struct kstat k;
	if (kstat_read(&k) < 0)
		return put(json_pack("{s:s, s:I, s:n}", "kind", "counters", "t_ms",
				     (json_int_t)t_ms, "counters"));
	return put(json_pack("{s:s, s:I, s:o}", "kind", "counters", "t_ms", (json_int_t)t_ms,
			     "counters", probe_counters_json(&k)));
}

/* The listen socket's queue, IPv4 or IPv6 (a dual-stack [::] listener is
 * AF_INET6); no line while nothing listens on the port. */
static int queue_line(int nl, int port, uint64_t t_ms)
{
	int q, lim;
	if (nl < 0 || (diag_listen_queue(nl, AF_INET, (uint16_t)port, &q, &lim) != 0 &&
		       diag_listen_queue(nl, AF_INET6, (uint16_t)port, &q, &lim) != 0))
		return 0;
	return put(json_pack("{s:s, s:I, s:i, s:i}", "kind", "queue", "t_ms", (json_int_t)t_ms,
			     "len", q, "limit", lim));
}

/* stdin: a line asks for counters now; EOF (or an error) ends the probe. */
static int read_stdin(bool *want)
{
	char buf[256];
	ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return -1;
	*want = memchr(buf, '\n', (size_t)n) != NULL;
	return 0;
}

/* Until stdin closes, a stop signal, --duration or stdout is gone (-1);
 * *why says which.  Without --port (only --sysctl) it only waits. */
static int probe_loop(const struct probe_config *c, int nl, uint64_t t0, const char **why)
{
	uint64_t step = c->interval_us / 1000, next_q = 0;
	uint64_t next_c = c->port ? PROBE_COUNTERS_MS : UINT64_MAX;
	bool in_open = true;
	for (;;) {
		uint64_t t = clock_now_ms() - t0;
		bool want = false;
		if (c->duration_us && t * 1000 >= c->duration_us)
			return *why = "duration", 0;
		if (!c->port)
			next_q = UINT64_MAX;
		else if (t >= next_q) {
			if (queue_line(nl, c->port, t) < 0)
				return -1;
			next_q = t + step;
		}
		uint64_t wake = next_q < next_c ? next_q : next_c;
		uint64_t d = wake > t ? wake - t : 0;
		int ms = d < 100 ? (int)d : 100;
		struct pollfd pf = {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN};
		if (poll(&pf, 1, ms) > 0 && read_stdin(&want) < 0)
			return *why = "stdin closed", 0; /* the caller hung up */
		if (stopsig_caught())
			return *why = stopsig_name(stopsig_caught()), 0;
		t = clock_now_ms() - t0;
		if (want || t >= next_c) {
			if (counters_line(t) < 0)
				return -1;
			next_c = c->port ? t + PROBE_COUNTERS_MS : UINT64_MAX;
		}
	}
}

/* hello, first counters, the loop, last counters; or (no --port) the
 * loop alone.  -1 when stdout is gone. */
static int probe_run(const struct probe_config *c, const char **why)
{
	int nl = c->port ? diag_open() : -1;
	uint64_t t0 = clock_now_ms();
	int rc = 0;
	if (c->port) {
		json_t *env = env_json();
		json_t *kern = json_object_get(env, "kernel");
		rc = put(json_pack("{s:s, s:s, s:O?, s:i, s:o}", "kind", "hello", "version",
				   SOCKBENCH_VERSION, "kernel", kern, "port", c->port,
				   "environment", env));
		if (nl < 0)
			fprintf(stderr, "sockbench probe: sock_diag: %s: no queue lines\n",
				strerror(-nl));
		if (rc == 0)
			rc = counters_line(0);
	}
	if (rc == 0)
		rc = probe_loop(c, nl, t0, why);
	if (rc == 0 && c->port)
		rc = counters_line(clock_now_ms() - t0);
	if (rc < 0)
		*why = "stdout gone";
	if (nl >= 0)
		close(nl);
	return rc;
}

void probe_usage(FILE *f)
{
	fprintf(f, "usage: sockbench probe --port N [options]\n"
		   "       sockbench probe --sysctl NAME=VALUE [--sysctl ..]\n\n"
		   "On a server's host: accept-queue samples of one listen port and\n"
		   "counter snapshots as JSON lines, until stdin closes; with\n"
		   "--sysctl, the sysctls set meanwhile and put back at the end.\n\n");
	optab_usage(&probe_optab, f);
}

int probe_main(int argc, char **argv)
{
	static struct probe_config c;
	char err[512];
	memset(&c, 0, sizeof c);
	optab_defaults(&probe_optab, &c, err, sizeof err);
	int r = optab_parse(&probe_optab, &c, argc, argv, err, sizeof err);
	if (r == 1) {
		probe_usage(stdout);
		return 0;
	}
	if (r == 0 && !c.port && !c.sys.n)
		r = -1, snprintf(err, sizeof err,
				 "--port: required (the listen port to watch), unless --sysctl");
	if (r < 0) {
		fprintf(stderr, "sockbench probe: %s\n", err);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	stopsig_install();
	if (c.sys.n) {
		json_t *l = psys_set(&c.sys);
		bool bad = json_object_get(l, "error") != NULL;
		put(l);
		if (bad)
			return 1;
	}
	const char *why = "?";
	int rc = probe_run(&c, &why);
	/* last: whatever ended the run, the sysctls go back */
	if (c.sys.n)
		put(psys_restore(&c.sys, why));
	return rc < 0 ? 1 : 0;
}

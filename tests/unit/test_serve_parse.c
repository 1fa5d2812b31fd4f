/* test_serve_parse.c - `sockbench serve` options (serve_defaults,
 * serve_parse), address parsing (net_parse_host, net_parse_hostport) and
 * errname().
 *
 * serve_parse uses getopt_long and resets optind itself, so these tests call
 * it many times in one process without resetting anything: a parse that
 * leaked state into the next would show up as a wrong result here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "sockbench/errname.h"
#include "sockbench/net.h"
#include "sockbench/serve.h"
#include "sockbench/server.h"

#define MAX_ARGS 48

/* serve_parse(argv = {"serve", args..., NULL}).  getopt_long permutes the
 * argv array, so it gets a private copy of the pointers; the strings are the
 * caller's and must outlive the call, like a real argv: glibc's getopt keeps
 * a pointer into the last argv it scanned and reads it at the next call
 * (serve_parse resets optind = 0; see test_regress_*). */
static int parse(struct serve_config *c, const char *const *args, char *err, size_t errlen)
{
	char *argv[MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = (char *)"serve";
	for (; args[argc - 1]; argc++) {
		assert_true(argc <= MAX_ARGS);
		argv[argc] = (char *)args[argc - 1];
	}
	argv[argc] = NULL;
	return serve_parse(c, argc, argv, err, errlen);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Parse and require success, printing the error otherwise. */
static void parse_ok(struct serve_config *c, const char *const *args)
{
	char err[512] = "";
	serve_defaults(c);
	int rc = parse(c, args, err, sizeof err);
	if (rc != 0) {
		print_error("serve %s ...: expected 0, got %d, err \"%s\"\n", args[0], rc, err);
		fail();
	}
}

/* ---- defaults and good values ------------------------------------------- */

static void test_serve_defaults(void **state)
{
	(void)state;
	struct serve_config c;
	memset(&c, 0xa5, sizeof c);
	serve_defaults(&c);
	assert_non_null(c.model);
	assert_ptr_equal(c.model, server_find("epoll"));
	assert_string_equal(c.model->name, "epoll");
	assert_int_equal(c.proto, PROTO_ECHO);
	assert_string_equal(c.bind, "127.0.0.1");
	assert_int_equal(c.port, 65432);
	assert_int_equal(c.backlog, 128);
	assert_int_equal(c.recv_size, 1024);
	assert_int_equal(c.send, SEND_SENDALL);
	assert_int_equal(c.sndbuf, 0);
	assert_int_equal(c.rcvbuf, 0);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	assert_int_equal(c.workers, ncpu > 0 ? ncpu : 1);
	assert_int_equal(c.accept_mode, ACCEPT_SHARED);
	assert_int_equal(c.accept_delay_ms, 0);
	assert_false(c.pause_accept);
	assert_int_equal(c.work_us, 0);
	assert_int_equal(c.max_msg, 16u << 20);
	assert_int_equal(c.max_conns, 65536);
	assert_int_equal(c.idle_timeout_ms, 0);
	assert_string_equal(c.stats_path, "");

	/* No options: the defaults stand. */
	struct serve_config d;
	char err[256] = "";
	serve_defaults(&d);
	assert_int_equal(parse(&d, (const char *const[]){NULL}, err, sizeof err), 0);
	assert_memory_equal(&c, &d, sizeof c);
}

static void test_serve_every_option(void **state)
{
	(void)state;
	struct serve_config c;
	parse_ok(&c, ARGS("--model", "poll", "--proto", "rr", "--bind", "::1", "--port", "8080",
			  "--backlog", "4096", "--recv-size", "64k", "--send", "send", "--sndbuf",
			  "1M", "--rcvbuf", "256k", "--workers", "3", "--accept-mode", "reuseport",
			  "--accept-delay-ms", "25", "--pause-accept", "--work-us", "150",
			  "--max-msg", "2M", "--max-conns", "10", "--idle-timeout-ms", "30000",
			  "--http-body", "1k", "--stats", "f"));
	assert_ptr_equal(c.model, server_find("poll"));
	assert_string_equal(c.model->name, "poll");
	assert_int_equal(c.proto, PROTO_RR);
	assert_string_equal(c.bind, "::1");
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.backlog, 4096);
	assert_int_equal(c.recv_size, 65536);
	assert_int_equal(c.send, SEND_SEND);
	assert_int_equal(c.sndbuf, 1 << 20);
	assert_int_equal(c.rcvbuf, 256 << 10);
	assert_int_equal(c.workers, 3);
	assert_int_equal(c.accept_mode, ACCEPT_REUSEPORT);
	assert_int_equal(c.accept_delay_ms, 25);
	assert_true(c.pause_accept);
	assert_int_equal(c.work_us, 150);
	assert_int_equal(c.max_msg, 2u << 20);
	assert_int_equal(c.max_conns, 10);
	assert_int_equal(c.idle_timeout_ms, 30000);
	assert_int_equal(c.http_body, 1024);
	assert_string_equal(c.stats_path, "f");
}

static void test_serve_good_values(void **state)
{
	(void)state;
	struct serve_config c;

	parse_ok(&c, ARGS("--backlog", "max"));
	assert_int_equal(c.backlog, BACKLOG_MAX);
	assert_int_equal(c.backlog, -1);
	parse_ok(&c, ARGS("--backlog", "0"));
	assert_int_equal(c.backlog, 0);
	parse_ok(&c, ARGS("--backlog", "1073741824"));
	assert_int_equal(c.backlog, 1 << 30);
	parse_ok(&c, ARGS("--recv-size", "64k"));
	assert_int_equal(c.recv_size, 65536);
	parse_ok(&c, ARGS("--recv-size", "64M"));
	assert_int_equal(c.recv_size, 64u << 20);
	parse_ok(&c, ARGS("--recv-size", "1"));
	assert_int_equal(c.recv_size, 1);
	parse_ok(&c, ARGS("--accept-mode", "reuseport"));
	assert_int_equal(c.accept_mode, ACCEPT_REUSEPORT);
	parse_ok(&c, ARGS("--accept-mode", "exclusive"));
	assert_int_equal(c.accept_mode, ACCEPT_EXCLUSIVE);
	parse_ok(&c, ARGS("--accept-mode", "shared"));
	assert_int_equal(c.accept_mode, ACCEPT_SHARED);
	parse_ok(&c, ARGS("--pause-accept"));
	assert_true(c.pause_accept);
	parse_ok(&c, ARGS("--stats", "f"));
	assert_string_equal(c.stats_path, "f");
	parse_ok(&c, ARGS("--send", "sendall"));
	assert_int_equal(c.send, SEND_SENDALL);
	parse_ok(&c, ARGS("--proto", "sink"));
	assert_int_equal(c.proto, PROTO_SINK);
	parse_ok(&c, ARGS("--proto", "echo"));
	assert_int_equal(c.proto, PROTO_ECHO);
	parse_ok(&c, ARGS("--port", "0"));
	assert_int_equal(c.port, 0);
	parse_ok(&c, ARGS("--port", "65535"));
	assert_int_equal(c.port, 65535);
	parse_ok(&c, ARGS("--workers", "1024"));
	assert_int_equal(c.workers, STATS_MAX_WORKERS);
	parse_ok(&c, ARGS("--max-msg", "1G"));
	assert_int_equal(c.max_msg, 1u << 30);
	parse_ok(&c, ARGS("--max-conns", "100000000"));
	assert_int_equal(c.max_conns, 100000000);
	parse_ok(&c, ARGS("--http-body", "0"));
	assert_int_equal(c.http_body, 0);
	parse_ok(&c, ARGS("--work-us", "60000000"));
	assert_int_equal(c.work_us, 60000000);
	parse_ok(&c, ARGS("--accept-delay-ms", "3600000"));
	assert_int_equal(c.accept_delay_ms, 3600000);
	parse_ok(&c, ARGS("--idle-timeout-ms", "86400000"));
	assert_int_equal(c.idle_timeout_ms, 86400000);
	/* times as people write them; a bare number keeps the unit in the name */
	parse_ok(&c, ARGS("--accept-delay-ms", "1.5s"));
	assert_int_equal(c.accept_delay_ms, 1500);
	parse_ok(&c, ARGS("--accept-delay-ms", "0.5s"));
	assert_int_equal(c.accept_delay_ms, 500);
	parse_ok(&c, ARGS("--work-us", "2ms"));
	assert_int_equal(c.work_us, 2000);
	parse_ok(&c, ARGS("--idle-timeout-ms", "1m"));
	assert_int_equal(c.idle_timeout_ms, 60000);
	parse_ok(&c, ARGS("--bind", "unix:/tmp/x"));
	assert_string_equal(c.bind, "unix:/tmp/x");

	/* --opt=value, and the last of a repeated option wins. */
	parse_ok(&c, ARGS("--port=8080", "--recv-size=4k"));
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.recv_size, 4096);
	parse_ok(&c, ARGS("--port", "1", "--port", "2"));
	assert_int_equal(c.port, 2);

	/* Every registered model is selectable by its name. */
	for (int i = 0; server_models[i]; i++) {
		parse_ok(&c, ARGS("--model", server_models[i]->name));
		assert_ptr_equal(c.model, server_models[i]);
	}

	/* Longest values that fit: a unix path fills sun_path (107 bytes and
	 * its NUL), the stats path its buffer. */
	static char bind[5 + 108], stats[1024]; /* static: they must outlive the parse */
	memcpy(bind, "unix:/", 6);
	memset(bind + 6, 'b', sizeof bind - 7);
	bind[sizeof bind - 1] = '\0';
	memset(stats, 's', sizeof stats - 1);
	stats[sizeof stats - 1] = '\0';
	parse_ok(&c, ARGS("--bind", bind, "--stats", stats));
	assert_string_equal(c.bind, bind);
	assert_string_equal(c.stats_path, stats);
}

static void test_serve_help(void **state)
{
	(void)state;
	struct serve_config c;
	char err[256] = "";
	serve_defaults(&c);
	assert_int_equal(parse(&c, ARGS("--help"), err, sizeof err), 1);
	serve_defaults(&c);
	assert_int_equal(parse(&c, ARGS("--port", "5", "--help"), err, sizeof err), 1);
}

/* ---- bad usage ---------------------------------------------------------- */

struct bad_case {
	const char *args[6];
	const char *prefix; /* err starts with this */
	const char *also;   /* and contains this (NULL: nothing more) */
};

static char long_bind[300], long_stats[1100];

static void test_serve_bad(void **state)
{
	(void)state;
	memset(long_bind, 'b', 256);
	memset(long_stats, 's', 1024);
	const struct bad_case cases[] = {
	    /* values */
	    {{"--backlog", "-1"}, "--backlog: ", "'-1'"},
	    {{"--backlog", "abc"}, "--backlog: ", "expected an integer >= 0 or 'max', got 'abc'"},
	    {{"--backlog", "1073741825"}, "--backlog: ", "'1073741825'"},
	    {{"--backlog", ""}, "--backlog: ", "got ''"},
	    {{"--backlog", "MAX"}, "--backlog: ", "'MAX'"},
	    {{"--port", "65536"}, "--port: ", "65536 is out of range (0 to 65535)"},
	    {{"--port", "-1"}, "--port: ", "-1 is out of range (0 to 65535)"},
	    {{"--port", "80x"}, "--port: ", "expected an integer from 0 to 65535, got '80x'"},
	    {{"--port="}, "--port: ", "got ''"},
	    {{"--recv-size", "0"}, "--recv-size: ", "0 is out of range (1 to 67108864 bytes)"},
	    {{"--recv-size", "65M"}, "--recv-size: ", "65M is out of range"},
	    {{"--recv-size", "1x"},
	     "--recv-size: ",
	     "expected a size like 64, 64k or 1M, got '1x'"},
	    {{"--recv-size", "-1"}, "--recv-size: ", "got '-1'"},
	    {{"--send", "none"}, "--send: ", "'none' is not one of send, sendall"},
	    {{"--sndbuf", "0"}, "--sndbuf: ", "0 is out of range (1 to 1073741824 bytes)"},
	    {{"--rcvbuf", "2G"}, "--rcvbuf: ", "2G is out of range (1 to 1073741824 bytes)"},
	    {{"--workers", "0"}, "--workers: ", "0 is out of range (1 to 1024)"},
	    {{"--workers", "1025"}, "--workers: ", "1025 is out of range (1 to 1024)"},
	    {{"--accept-mode", "fifo"},
	     "--accept-mode: ",
	     "'fifo' is not one of shared, exclusive, reuseport"},
	    {{"--accept-delay-ms", "3600001"}, "--accept-delay-ms: ", "3600001 is out of range"},
	    {{"--accept-delay-ms", "1.5us"},
	     "--accept-delay-ms: ",
	     "'1.5us' is finer than a microsecond"},
	    {{"--accept-delay-ms", "1500us"},
	     "--accept-delay-ms: ",
	     "'1500us' is finer than this option's unit (ms)"},
	    {{"--accept-delay-ms", "61m"},
	     "--accept-delay-ms: ",
	     "61m is out of range (0 to 3600000ms)"},
	    {{"--work-us", "60000001"}, "--work-us: ", "60000001 is out of range"},
	    {{"--max-msg", "0"}, "--max-msg: ", "0 is out of range (1 to 1073741824 bytes)"},
	    {{"--max-msg", "2G"}, "--max-msg: ", "2G is out of range"},
	    {{"--max-conns", "0"}, "--max-conns: ", "0 is out of range (1 to 100000000)"},
	    {{"--idle-timeout-ms", "-5"},
	     "--idle-timeout-ms: ",
	     "expected a time like 1.5, 250ms, 10s or 2m, got '-5'"},
	    {{"--http-body", "65M"}, "--http-body: ", "65M is out of range"},
	    {{"--stats", ""}, "--stats: ", "expected a file name"},
	    {{"--stats", long_stats}, "--stats: ", "expected a file name"},
	    {{"--bind", long_bind}, "--bind: ", "address too long"},
	    {{"--model", "nosuch"}, "--model: 'nosuch' is not one of ", "epoll"},
	    {{"--model", ""}, "--model: '' is not one of ", "blocking"},
	    {{"--proto", "gopher"}, "--proto: ", "'gopher' is not one of echo, rr, sink, http"},
	    {{"--proto", "RR"}, "--proto: ", "'RR' is not one of echo, rr, sink"},
	    /* a bad value after good ones still names its own option */
	    {{"--port", "5", "--backlog", "x"}, "--backlog: ", "got 'x'"},
	    /* unknown options */
	    {{"--nope"}, "--nope: unknown option", NULL},
	    {{"--nope=3"}, "--nope=3: unknown option", NULL},
	    {{"-x"}, "-x: unknown option", NULL},
	    {{"--max", "5"}, "--max: unknown option", NULL}, /* ambiguous prefix */
	    {{"--pause-accept=1"}, "--pause-accept=1: ", NULL},
	    {{"--port", "5", "--nope"}, "--nope: unknown option", NULL},
	    /* missing values */
	    {{"--port"}, "--port: needs a value", NULL},
	    {{"--model"}, "--model: needs a value", NULL},
	    {{"--stats"}, "--stats: needs a value", NULL},
	    {{"--port", "5", "--backlog"}, "--backlog: needs a value", NULL},
	    /* positional arguments */
	    {{"extra"}, "'extra': unexpected argument", NULL},
	    {{"--port", "5", "extra"}, "'extra': unexpected argument", NULL},
	    {{"extra", "--port", "5"}, "'extra': unexpected argument", NULL},
	    {{"--", "--port"}, "'--port': unexpected argument", NULL},
	    {{"-"}, "'-': unexpected argument", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct bad_case *b = &cases[i];
		struct serve_config c;
		char err[512] = "";
		serve_defaults(&c);
		int rc = parse(&c, b->args, err, sizeof err);
		if (rc != -1 || strncmp(err, b->prefix, strlen(b->prefix)) != 0 ||
		    (b->also && !strstr(err, b->also))) {
			print_error("case %zu (serve %s %s %s): expected -1 and \"%s...%s\", got "
				    "%d and \"%s\"\n",
				    i, b->args[0], b->args[1] ? b->args[1] : "",
				    b->args[1] && b->args[2] ? b->args[2] : "", b->prefix,
				    b->also ? b->also : "", rc, err);
			fail();
		}
	}
}

/* After a failed parse the next one starts clean. */
static void test_serve_parse_after_error(void **state)
{
	(void)state;
	struct serve_config c;
	char err[256] = "";
	serve_defaults(&c);
	assert_int_equal(
	    parse(&c, ARGS("--port", "5", "--nope", "--backlog", "7"), err, sizeof err), -1);
	parse_ok(&c, ARGS("--backlog", "7", "--port", "9"));
	assert_int_equal(c.backlog, 7);
	assert_int_equal(c.port, 9);
	serve_defaults(&c);
	assert_int_equal(parse(&c, ARGS("x", "y", "--port"), err, sizeof err), -1);
	parse_ok(&c, ARGS("--port", "11"));
	assert_int_equal(c.port, 11);
}

/* Regression tests for bugs found by these tests (fixed in serve_opts.c
 * and opt.c: optind = 0, a bounded error prefix, optopt for -x). */

/* "-xy": getopt_long stops inside the cluster, and optind = 1 does not reset
 * glibc's position in it (optind = 0 does): the next parse reads 'y' from
 * the old argv.  The message also names argv[0] ("serve: unknown option"),
 * because optind has not moved past "-xy". */
static void test_regress_short_cluster(void **state)
{
	(void)state;
	struct serve_config c;
	char err[256] = "";
	serve_defaults(&c);
	assert_int_equal(parse(&c, ARGS("-xy"), err, sizeof err), -1);
	assert_true(strncmp(err, "-x", 2) == 0);
	parse_ok(&c, ARGS("--port", "5"));
	assert_int_equal(c.port, 5);
}

/* The same stale pointer: after a parse returns, the next one still reads
 * the previous argv's strings, so changing (or freeing) them breaks it. */
static void test_regress_reads_previous_argv(void **state)
{
	(void)state;
	static char opt[32] = "--port", val[32] = "5";
	struct serve_config c;
	parse_ok(&c, ARGS(opt, val));
	assert_int_equal(c.port, 5);
	strcpy(opt, "--port-was-here"); /* the caller reuses its buffers */
	strcpy(val, "55");
	parse_ok(&c, ARGS("--port", "6"));
	assert_int_equal(c.port, 6);
}

/* FAIL() writes past err when errlen is shorter than "--option: ". */
static void test_regress_short_errlen(void **state)
{
	(void)state;
	struct serve_config c;
	struct {
		char err[8];
		char guard[64];
	} b;
	memset(&b, 'Z', sizeof b);
	serve_defaults(&c);
	assert_int_equal(parse(&c, ARGS("--backlog", "zz"), b.err, sizeof b.err), -1);
	for (size_t i = 0; i < sizeof b.guard; i++)
		assert_int_equal(b.guard[i], 'Z');
}

/* ---- net_parse_host / net_parse_hostport --------------------------------- */

static void check_inet(const struct net_addr *a, const char *ip, int port)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
	struct in_addr want;
	assert_int_equal(inet_pton(AF_INET, ip, &want), 1);
	assert_int_equal(a->family, AF_INET);
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(a->len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(in->sin_port), port);
	assert_memory_equal(&in->sin_addr, &want, sizeof want);
	assert_string_equal(a->text, ip);
}

static void check_inet6(const struct net_addr *a, const char *ip, int port)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
	struct in6_addr want;
	assert_int_equal(inet_pton(AF_INET6, ip, &want), 1);
	assert_int_equal(a->family, AF_INET6);
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(a->len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(in6->sin6_port), port);
	assert_memory_equal(&in6->sin6_addr, &want, sizeof want);
	assert_string_equal(a->text, ip);
}

static void check_unix(const struct net_addr *a, const char *path)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)&a->ss;
	assert_int_equal(a->family, AF_UNIX);
	assert_int_equal(un->sun_family, AF_UNIX);
	assert_int_equal(a->len, sizeof(struct sockaddr_un));
	assert_string_equal(un->sun_path, path);
	assert_string_equal(a->text + 5, path);
	assert_memory_equal(a->text, "unix:", 5);
}

static void test_net_parse_host_good(void **state)
{
	(void)state;
	struct net_addr a;
	char err[256] = "";
	assert_int_equal(net_parse_host("127.0.0.1", 80, &a, err, sizeof err), 0);
	check_inet(&a, "127.0.0.1", 80);
	assert_int_equal(net_parse_host("0.0.0.0", 0, &a, err, sizeof err), 0);
	check_inet(&a, "0.0.0.0", 0);
	assert_int_equal(net_parse_host("10.1.2.3", 65535, &a, err, sizeof err), 0);
	check_inet(&a, "10.1.2.3", 65535);
	assert_int_equal(net_parse_host("::1", 443, &a, err, sizeof err), 0);
	check_inet6(&a, "::1", 443);
	assert_int_equal(net_parse_host("::", 1, &a, err, sizeof err), 0);
	check_inet6(&a, "::", 1);
	assert_int_equal(net_parse_host("fe80::1:2", 8080, &a, err, sizeof err), 0);
	check_inet6(&a, "fe80::1:2", 8080);
	assert_int_equal(net_parse_host("unix:/tmp/x", 80, &a, err, sizeof err), 0);
	check_unix(&a, "/tmp/x");

	/* sun_path holds 107 bytes and the NUL. */
	char path[5 + 108];
	memcpy(path, "unix:", 5);
	memset(path + 5, 'p', 107);
	path[5 + 107] = '\0';
	assert_int_equal(net_parse_host(path, 0, &a, err, sizeof err), 0);
	assert_int_equal(a.family, AF_UNIX);
	assert_int_equal(strlen(((struct sockaddr_un *)&a.ss)->sun_path), 107);
	assert_string_equal(err, "");
}

static void test_net_parse_host_bad(void **state)
{
	(void)state;
	char path[5 + 109];
	memcpy(path, "unix:", 5);
	memset(path + 5, 'p', 108);
	path[5 + 108] = '\0';
	const char *lit = "expected an IPv4 or IPv6 literal or unix:/path, got '%s'";
	const char *unx = "unix socket path must be 1 to 107 bytes, got '%s'";
	const struct {
		const char *s;
		const char *fmt;
	} cases[] = {
	    {"nothere", lit},	 {"", lit},	     {"localhost", lit}, {"1.2.3.4:80", lit},
	    {"[::1]", lit},	 {"256.1.1.1", lit}, {"1.2.3", lit},	 {" 127.0.0.1", lit},
	    {"127.0.0.1 ", lit}, {"::1::2", lit},    {"unix:", unx},	 {path, unx},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct net_addr a;
		char err[512] = "", want[512];
		int rc = net_parse_host(cases[i].s, 80, &a, err, sizeof err);
		snprintf(want, sizeof want, cases[i].fmt, cases[i].s);
		if (rc != -1 || strcmp(err, want) != 0) {
			print_error("net_parse_host(\"%s\"): expected -1 \"%s\", got %d \"%s\"\n",
				    cases[i].s, want, rc, err);
			fail();
		}
	}
}

static void test_net_parse_hostport_good(void **state)
{
	(void)state;
	struct net_addr a;
	char err[256] = "";
	assert_int_equal(net_parse_hostport("127.0.0.1:80", &a, err, sizeof err), 0);
	check_inet(&a, "127.0.0.1", 80);
	assert_int_equal(net_parse_hostport("0.0.0.0:65535", &a, err, sizeof err), 0);
	check_inet(&a, "0.0.0.0", 65535);
	assert_int_equal(net_parse_hostport("10.0.0.1:1", &a, err, sizeof err), 0);
	check_inet(&a, "10.0.0.1", 1);
	assert_int_equal(net_parse_hostport("[::1]:80", &a, err, sizeof err), 0);
	check_inet6(&a, "::1", 80);
	assert_int_equal(net_parse_hostport("[::]:65535", &a, err, sizeof err), 0);
	check_inet6(&a, "::", 65535);
	assert_int_equal(net_parse_hostport("[fe80::1:2]:8080", &a, err, sizeof err), 0);
	check_inet6(&a, "fe80::1:2", 8080);
	assert_int_equal(net_parse_hostport("unix:/tmp/x", &a, err, sizeof err), 0);
	check_unix(&a, "/tmp/x");
	assert_int_equal(net_parse_hostport("unix:/tmp/with:colon", &a, err, sizeof err), 0);
	check_unix(&a, "/tmp/with:colon");
	assert_string_equal(err, "");
}

static void test_net_parse_hostport_bad(void **state)
{
	(void)state;
	const char *hp = "expected HOST:PORT ('127.0.0.1:80', '[::1]:80') or unix:/path, got '%s'";
	const struct {
		const char *s;
		const char *want; /* whole message; %s: the input */
	} cases[] = {
	    {"nothere", hp},
	    {"", hp},
	    {"1.2.3.4:0", hp},
	    {"1.2.3.4:70000", hp},
	    {"1.2.3.4:65536", hp},
	    {"1.2.3.4:-1", hp},
	    {"1.2.3.4:", hp},
	    {"1.2.3.4:80x", hp},
	    {"1.2.3.4", hp},
	    {"[::1]80", hp},
	    {"[::1]8080", hp}, /* would read as port 80 if ']' need not be followed by ':' */
	    {"[::1]", hp},
	    {"[::1:80", hp},
	    {"[::1]:", hp},
	    {"[::1]:0", hp},
	    {"unix:", "unix socket path must be 1 to 107 bytes, got '%s'"},
	    /* the host part is judged by net_parse_host, which names it */
	    {"nothere:80", "expected an IPv4 or IPv6 literal or unix:/path, got 'nothere'"},
	    {":80", "expected an IPv4 or IPv6 literal or unix:/path, got ''"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct net_addr a;
		char err[512] = "", want[512];
		int rc = net_parse_hostport(cases[i].s, &a, err, sizeof err);
		snprintf(want, sizeof want, cases[i].want, cases[i].s);
		if (rc != -1 || strcmp(err, want) != 0) {
			print_error(
			    "net_parse_hostport(\"%s\"): expected -1 \"%s\", got %d \"%s\"\n",
			    cases[i].s, want, rc, err);
			fail();
		}
	}
}

/* ---- errname ------------------------------------------------------------ */

static void test_errname(void **state)
{
	(void)state;
	assert_string_equal(errname(ECONNRESET), "ECONNRESET");
	assert_string_equal(errname(ECONNREFUSED), "ECONNREFUSED");
	assert_string_equal(errname(EAGAIN), "EAGAIN");
	assert_string_equal(errname(EPIPE), "EPIPE");
	assert_string_equal(errname(ETIMEDOUT), "ETIMEDOUT");
	assert_string_equal(errname(EMFILE), "EMFILE");
	assert_string_equal(errname(EADDRINUSE), "EADDRINUSE");
	assert_string_equal(errname(EPERM), "EPERM"); /* 1: the first entry */
	assert_null(errname(0));
	assert_null(errname(-1));
	assert_null(errname(-ECONNRESET));
	assert_null(errname(100000));
	assert_null(errname(INT_MAX));
	assert_null(errname(INT_MIN));

	/* Every name it knows is the right one: glibc agrees, number by number. */
	int known = 0;
	for (int e = 1; e < 4096; e++) {
		const char *n = errname(e);
		if (!n)
			continue;
		const char *want = strerrorname_np(e);
		if (!want || strcmp(n, want) != 0) {
			print_error("errname(%d): expected \"%s\", got \"%s\"\n", e,
				    want ? want : "(null)", n);
			fail();
		}
		known++;
	}
	assert_true(known >= 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_serve_defaults),
	    cmocka_unit_test(test_serve_every_option),
	    cmocka_unit_test(test_serve_good_values),
	    cmocka_unit_test(test_serve_help),
	    cmocka_unit_test(test_serve_bad),
	    cmocka_unit_test(test_serve_parse_after_error),
	    cmocka_unit_test(test_regress_short_cluster),
	    cmocka_unit_test(test_regress_reads_previous_argv),
	    cmocka_unit_test(test_regress_short_errlen),
	    cmocka_unit_test(test_net_parse_host_good),
	    cmocka_unit_test(test_net_parse_host_bad),
	    cmocka_unit_test(test_net_parse_hostport_good),
	    cmocka_unit_test(test_net_parse_hostport_bad),
	    cmocka_unit_test(test_errname),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

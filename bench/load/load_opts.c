/* load_opts.c - `sockbench load` options: parse, then check, then use. */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockbench/load.h"
#include "sockbench/opt.h"
#include "sockbench/spawn.h"

const char *const load_mode_names[] = {"rr", "crr", "connect", "stream", "echo", "http", NULL};

enum {
	O_MODE = 1000,
	O_TARGET,
	O_SERVE,
	O_SERVER_CMD,
	O_CONNS,
	O_THREADS,
	O_DURATION,
	O_REQUESTS,
	O_WARMUP,
	O_START_AT,
	O_RATE,
	O_CONNECT_RATE,
	O_REQ_SIZE,
	O_RESP_SIZE,
	O_SEND_SIZE,
	O_HTTP_PATH,
	O_HTTP_BODY,
	O_CONNECT_TIMEOUT,
	O_TIMEOUT,
	O_SOURCE,
	O_JSON,
	O_JSONL,
	O_INTERVAL,
	O_QUEUE_SAMPLE,
	O_QUIET,
	O_HELP
};

static const struct option longopts[] = {
    {"mode", required_argument, NULL, O_MODE},
    {"target", required_argument, NULL, O_TARGET},
    {"serve", required_argument, NULL, O_SERVE},
    {"server-cmd", required_argument, NULL, O_SERVER_CMD},
    {"conns", required_argument, NULL, O_CONNS},
    {"threads", required_argument, NULL, O_THREADS},
    {"duration", required_argument, NULL, O_DURATION},
    {"requests", required_argument, NULL, O_REQUESTS},
    {"warmup", required_argument, NULL, O_WARMUP},
    {"start-at", required_argument, NULL, O_START_AT},
    {"rate", required_argument, NULL, O_RATE},
    {"connect-rate", required_argument, NULL, O_CONNECT_RATE},
    {"req-size", required_argument, NULL, O_REQ_SIZE},
    {"resp-size", required_argument, NULL, O_RESP_SIZE},
    {"send-size", required_argument, NULL, O_SEND_SIZE},
    {"http-path", required_argument, NULL, O_HTTP_PATH},
    {"http-body", required_argument, NULL, O_HTTP_BODY},
    {"connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"source", required_argument, NULL, O_SOURCE},
    {"json", required_argument, NULL, O_JSON},
    {"jsonl", required_argument, NULL, O_JSONL},
    {"interval", required_argument, NULL, O_INTERVAL},
    {"queue-sample", required_argument, NULL, O_QUEUE_SAMPLE},
    {"quiet", no_argument, NULL, O_QUIET},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

void load_defaults(struct load_config *c)
{
	memset(c, 0, sizeof *c);
	c->mode = MODE_RR;
	c->conns = 10;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	c->threads = n > 0 ? (int)n : 1;
	c->duration_us = 10000000;
	c->req_size = 64;
	c->resp_size = 64;
	c->send_size = 128 << 10;
	strcpy(c->http_path, "/");
	c->http_body = -1;
	c->connect_timeout_us = 5000000;
	c->timeout_us = 5000000;
	c->interval_us = 1000000;
	c->queue_sample_us = 10000;
}

void load_usage(FILE *f)
{
	fprintf(
	    f, "usage: sockbench load [options]\n\n"
	       "Drive a server, print a summary, write the run JSON.\n\n"
	       "target (one of):\n"
	       "  --target ADDR         any server: 127.0.0.1:80, [::1]:80, unix:/path\n"
	       "  --serve \"OPTS\"        start `sockbench serve OPTS` for the run (stats merged)\n"
	       "  --server-cmd 'CMD'    start any program; {port} {backlog} {recv_size} {addr}\n"
	       "                        are filled in; ready at a READY line or a LISTEN socket\n"
	       "load:\n"
	       "  --mode M              rr, crr, connect, stream, echo, http (default rr)\n"
	       "  --conns N             concurrent connections (default 10)\n"
	       "  --threads N           generator threads (default: number of cores)\n"
	       "  --duration T          run length (default 10s) ...\n"
	       "  --requests N          ... or exactly N requests over all connections\n"
	       "  --warmup T            run this long first, excluded from figures (default 0)\n"
	       "  --start-at MS         begin at this wall-clock time (ms since the epoch), so\n"
	       "                        generators started apart begin together\n"
	       "  --rate R              open loop: R requests/s on a fixed schedule; latency\n"
	       "                        from the scheduled time (coordinated omission corrected)\n"
	       "  --connect-rate R      connect/crr: R new connections/s on a fixed schedule\n"
	       "  --req-size N          request payload bytes (default 64)\n"
	       "  --resp-size N         reply bytes asked for, >= 1 (default 64)\n"
	       "  --send-size N         stream: bytes per send() (default 128k)\n"
	       "  --http-path P         http: the path of each GET (default /)\n"
	       "  --http-body N         http: every body must be N bytes (default: any length)\n"
	       "  --connect-timeout T   per connection (default 5s; bare number = ms)\n"
	       "  --timeout T           per request (default 5s; bare number = ms)\n"
	       "  --source A[-B]|A,B,.. spread connections over local IPv4 addresses\n"
	       "output:\n"
	       "  --json FILE           the run JSON (also written when the run fails)\n"
	       "  --jsonl FILE          one JSON line per interval, as it happens\n"
	       "  --interval T          time series step (default 1s)\n"
	       "  --queue-sample T      accept queue sampling step (default 10ms)\n"
	       "  --quiet               no summary on stdout\n"
	       "Times: 500ms, 10s, 2m (bare number: seconds for durations). Sizes: 64, 64k, 1M.\n");
}

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

#define GET_RATE(dst)                                                                              \
	do {                                                                                       \
		char *e_;                                                                          \
		dst = strtod(optarg, &e_);                                                         \
		if (!*optarg || *e_ || !(dst > 0) || dst > 1e9)                                    \
			return opt_errf(err, errlen, OPT_NAME,                                     \
					"expected a rate per second > 0, got '%s'", optarg);       \
	} while (0)

int load_parse(struct load_config *c, int argc, char **argv, char *err, size_t errlen)
{
	int opt;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case O_MODE: {
			int i = opt_choice_arg(OPT_NAME, optarg, load_mode_names, err, errlen);
			if (i < 0)
				return -1;
			c->mode = (enum load_mode)i;
			break;
		}
		case O_TARGET: {
			struct net_addr a;
			char e[256];
			if (net_parse_hostport(optarg, &a, e, sizeof e) < 0)
				return opt_errf(err, errlen, OPT_NAME, "%s", e);
			snprintf(c->target, sizeof c->target, "%s", optarg);
			break;
		}
		case O_SERVE:
			if (strlen(optarg) >= sizeof c->serve_opts)
				return opt_errf(err, errlen, OPT_NAME, "too long");
			strcpy(c->serve_opts, optarg);
			c->serve = true;
			break;
		case O_SERVER_CMD:
			if (!*optarg || strlen(optarg) >= sizeof c->server_cmd)
				return opt_errf(err, errlen, OPT_NAME, "expected a command");
			strcpy(c->server_cmd, optarg);
			{
				/* split now, so that a bad quote is a usage error
				 * and not a run that fails to start */
				char **w, why[256];
				int n;
				if (words_split(optarg, &w, &n, why, sizeof why) < 0)
					return opt_errf(err, errlen, OPT_NAME, "%s", why);
				words_free(w);
			}
			break;
		case O_CONNS:
			OPT_GET_INT(c->conns, 1, 10000000);
			break;
		case O_THREADS:
			OPT_GET_INT(c->threads, 1, 1024);
			break;
		case O_DURATION:
			OPT_GET_TIME(c->duration_us, 1000, 1000);
			break;
		case O_REQUESTS:
			OPT_GET_INT(c->requests, 1, INT64_MAX);
			break;
		case O_WARMUP:
			OPT_GET_TIME(c->warmup_us, 1000, 0);
			break;
		case O_START_AT:
			/* 1e12 ms is 2001, 1e14 is year 5138: anything else is a
			 * typo (seconds, or microseconds) */
			OPT_GET_INT(c->start_at_ms, 1000000000000LL, 100000000000000LL);
			break;
		case O_RATE:
			GET_RATE(c->rate);
			break;
		case O_CONNECT_RATE:
			GET_RATE(c->connect_rate);
			break;
		case O_REQ_SIZE:
			OPT_GET_SIZE(c->req_size, 0, 1u << 30);
			break;
		case O_RESP_SIZE:
			OPT_GET_SIZE(c->resp_size, 1, 1u << 30);
			break;
		case O_SEND_SIZE:
			OPT_GET_SIZE(c->send_size, 1, 64u << 20);
			break;
		case O_HTTP_PATH: {
			bool ok = optarg[0] == '/' && strlen(optarg) < sizeof c->http_path;
			for (const char *p = optarg; ok && *p; p++)
				ok = (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f;
			if (!ok)
				return opt_errf(
				    err, errlen, OPT_NAME,
				    "expected a path starting with / (no spaces), got '%s'",
				    optarg);
			strcpy(c->http_path, optarg);
			break;
		}
		case O_HTTP_BODY:
			OPT_GET_SIZE(c->http_body, 0, 1ull << 40);
			break;
		case O_CONNECT_TIMEOUT:
			OPT_GET_TIME(c->connect_timeout_us, 1, 1000);
			break;
		case O_TIMEOUT:
			OPT_GET_TIME(c->timeout_us, 1, 1000);
			break;
		case O_SOURCE:
			if (parse_sources(c, optarg, err, errlen) < 0)
				return -1;
			break;
		case O_JSON:
			if (!*optarg || strlen(optarg) >= sizeof c->json_path)
				return opt_errf(err, errlen, OPT_NAME, "expected a file name");
			strcpy(c->json_path, optarg);
			break;
		case O_JSONL:
			if (!*optarg || strlen(optarg) >= sizeof c->jsonl_path)
				return opt_errf(err, errlen, OPT_NAME, "expected a file name");
			strcpy(c->jsonl_path, optarg);
			break;
		case O_INTERVAL:
			OPT_GET_TIME(c->interval_us, 1000, 10000);
			break;
		case O_QUEUE_SAMPLE:
			OPT_GET_TIME(c->queue_sample_us, 1, 1000);
			break;
		case O_QUIET:
			c->quiet = true;
			break;
		case O_HELP:
			return 1;
		default:
			opt_getopt_error(opt, argv, "load", err, errlen);
			return -1;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "'%s': unexpected argument (load takes options only)",
			 argv[optind]);
		return -1;
	}
	int targets = !!c->target[0] + c->serve + !!c->server_cmd[0];
	if (targets != 1) {
		snprintf(err, errlen,
			 "--target, --serve or --server-cmd: give exactly one (got %d)", targets);
		return -1;
	}
	if (c->requests && c->mode == MODE_CONNECT) {
		snprintf(err, errlen, "--requests: connect mode sends no requests; use --duration");
		return -1;
	}
	if (c->requests && c->mode == MODE_STREAM) {
		snprintf(err, errlen, "--requests: stream mode has no requests; use --duration");
		return -1;
	}
	if (c->rate > 0 && c->mode != MODE_RR && c->mode != MODE_ECHO) {
		snprintf(err, errlen,
			 "--rate: only for the rr and echo modes (crr: --connect-rate)");
		return -1;
	}
	if (c->connect_rate > 0 && c->mode != MODE_CONNECT && c->mode != MODE_CRR) {
		snprintf(err, errlen, "--connect-rate: only for the connect and crr modes");
		return -1;
	}
	if (c->mode == MODE_ECHO && c->req_size == 0) {
		snprintf(err, errlen, "--req-size: echo needs at least 1 byte to time");
		return -1;
	}
	return 0;
}

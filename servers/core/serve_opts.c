/* serve_opts.c - `sockbench serve` options: parse, then check, then use. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockbench/opt.h"
#include "sockbench/serve.h"
#include "sockbench/server.h"

const char *const send_names[] = {"send", "sendall", NULL};
const char *const accept_names[] = {"shared", "exclusive", "reuseport", NULL};

enum {
	O_MODEL = 1000,
	O_PROTO,
	O_BIND,
	O_PORT,
	O_BACKLOG,
	O_RECV_SIZE,
	O_SEND,
	O_SNDBUF,
	O_RCVBUF,
	O_WORKERS,
	O_ACCEPT_MODE,
	O_ACCEPT_DELAY,
	O_PAUSE,
	O_WORK_US,
	O_MAX_MSG,
	O_MAX_CONNS,
	O_IDLE,
	O_HTTP_BODY,
	O_STATS,
	O_HELP
};

static const struct option longopts[] = {
    {"model", required_argument, NULL, O_MODEL},
    {"proto", required_argument, NULL, O_PROTO},
    {"bind", required_argument, NULL, O_BIND},
    {"port", required_argument, NULL, O_PORT},
    {"backlog", required_argument, NULL, O_BACKLOG},
    {"recv-size", required_argument, NULL, O_RECV_SIZE},
    {"send", required_argument, NULL, O_SEND},
    {"sndbuf", required_argument, NULL, O_SNDBUF},
    {"rcvbuf", required_argument, NULL, O_RCVBUF},
    {"workers", required_argument, NULL, O_WORKERS},
    {"accept-mode", required_argument, NULL, O_ACCEPT_MODE},
    {"accept-delay-ms", required_argument, NULL, O_ACCEPT_DELAY},
    {"pause-accept", no_argument, NULL, O_PAUSE},
    {"work-us", required_argument, NULL, O_WORK_US},
    {"max-msg", required_argument, NULL, O_MAX_MSG},
    {"max-conns", required_argument, NULL, O_MAX_CONNS},
    {"idle-timeout-ms", required_argument, NULL, O_IDLE},
    {"http-body", required_argument, NULL, O_HTTP_BODY},
    {"stats", required_argument, NULL, O_STATS},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

void serve_defaults(struct serve_config *c)
{
	memset(c, 0, sizeof *c);
	c->model = server_find("epoll");
	c->proto = PROTO_ECHO;
	strcpy(c->bind, "127.0.0.1");
	c->port = 65432;
	c->backlog = 128;
	c->recv_size = 1024;
	c->send = SEND_SENDALL;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	c->workers = n > 0 ? (int)n : 1;
	c->accept_mode = ACCEPT_SHARED;
	c->max_msg = 16u << 20;
	c->max_conns = 65536;
	c->http_body = 13;
}

void serve_usage(FILE *f)
{
	fprintf(f, "usage: sockbench serve [options]\n\n"
		   "Run one server model in the foreground; prints one READY line once it\n"
		   "listens, stops on SIGINT/SIGTERM and writes its stats JSON.\n\n"
		   "  --model M             server model (default epoll):\n");
	for (int i = 0; server_models[i]; i++)
		fprintf(f, "                          %-9s %s\n", server_models[i]->name,
			server_models[i]->help);
	fprintf(
	    f,
	    "  --proto P             echo, rr, sink, http (default echo)\n"
	    "  --bind ADDR           IPv4/IPv6 literal or unix:/path (default 127.0.0.1)\n"
	    "  --port N              TCP port, 0 picks a free one (default 65432)\n"
	    "  --backlog N|max       listen() backlog; max passes -1 = somaxconn (default 128)\n"
	    "  --recv-size N         bytes asked of each recv() (default 1024)\n"
	    "  --send send|sendall   one send() per reply, remainder dropped and counted;\n"
	    "                        or every byte delivered (default sendall)\n"
	    "  --sndbuf N            SO_SNDBUF on accepted sockets (default: kernel)\n"
	    "  --rcvbuf N            SO_RCVBUF on accepted sockets (default: kernel)\n"
	    "  --workers N           prefork worker processes (default: number of cores)\n"
	    "  --accept-mode A       prefork: shared, exclusive, reuseport (default shared)\n"
	    "  --accept-delay-ms N   sleep before each accept(): a slow acceptor (default 0)\n"
	    "  --pause-accept        listen but never accept until SIGUSR1\n"
	    "  --work-us N           busy CPU work per request, microseconds (default 0)\n"
	    "  --max-msg N           largest rr request or reply (default 16M)\n"
	    "  --http-body N         http: body bytes of each 200 reply (default 13,\n"
	    "                        Hello, World!)\n"
	    "  --max-conns N         above it new connections are closed at once (default 65536)\n"
	    "  --idle-timeout-ms N   close connections idle this long, 0 = off (default 0)\n"
	    "  --stats FILE          write the stats JSON here on exit (default: stderr)\n"
	    "  --help                this text\n");
}

int serve_parse(struct serve_config *c, int argc, char **argv, char *err, size_t errlen)
{
	static const char *const protos_served[] = {"echo", "rr", "sink", "http", NULL};
	int opt;
	optind = 0; /* 0, not 1: also resets glibc's state inside a -xy cluster */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case O_MODEL:
			c->model = server_find(optarg);
			if (!c->model) {
				int k =
				    snprintf(err, errlen, "--model: '%s' is not one of", optarg);
				for (int i = 0; server_models[i] && (size_t)k < errlen; i++)
					k += snprintf(err + k, errlen - (size_t)k, "%s %s",
						      i ? "," : "", server_models[i]->name);
				return -1;
			}
			break;
		case O_PROTO:
			OPT_GET_CHOICE(c->proto, protos_served);
			break;
		case O_BIND:
			if (strlen(optarg) >= sizeof c->bind)
				return opt_errf(err, errlen, OPT_NAME, "address too long");
			strcpy(c->bind, optarg);
			break;
		case O_PORT:
			OPT_GET_INT(c->port, 0, 65535);
			break;
		case O_BACKLOG:
			if (!strcmp(optarg, "max")) {
				c->backlog = BACKLOG_MAX;
				break;
			}
			{
				int64_t v;
				char e[160];
				if (opt_int(optarg, 0, 1 << 30, &v, e, sizeof e) < 0)
					return opt_errf(
					    err, errlen, OPT_NAME,
					    "expected an integer >= 0 or 'max', got '%s'", optarg);
				c->backlog = (int)v;
			}
			break;
		case O_RECV_SIZE:
			OPT_GET_SIZE(c->recv_size, 1, 64u << 20);
			break;
		case O_SEND:
			OPT_GET_CHOICE(c->send, send_names);
			break;
		case O_SNDBUF:
			OPT_GET_SIZE(c->sndbuf, 1, 1u << 30);
			break;
		case O_RCVBUF:
			OPT_GET_SIZE(c->rcvbuf, 1, 1u << 30);
			break;
		case O_WORKERS:
			OPT_GET_INT(c->workers, 1, STATS_MAX_WORKERS);
			break;
		case O_ACCEPT_MODE:
			OPT_GET_CHOICE(c->accept_mode, accept_names);
			break;
		case O_ACCEPT_DELAY:
			OPT_GET_INT(c->accept_delay_ms, 0, 3600000);
			break;
		case O_PAUSE:
			c->pause_accept = true;
			break;
		case O_WORK_US:
			OPT_GET_INT(c->work_us, 0, 60000000);
			break;
		case O_MAX_MSG:
			OPT_GET_SIZE(c->max_msg, 1, 1u << 30);
			break;
		case O_MAX_CONNS:
			OPT_GET_INT(c->max_conns, 1, 100000000);
			break;
		case O_IDLE:
			OPT_GET_INT(c->idle_timeout_ms, 0, 86400000);
			break;
		case O_HTTP_BODY:
			OPT_GET_SIZE(c->http_body, 0, 64u << 20);
			break;
		case O_STATS:
			if (!*optarg || strlen(optarg) >= sizeof c->stats_path)
				return opt_errf(err, errlen, OPT_NAME, "expected a file name");
			strcpy(c->stats_path, optarg);
			break;
		case O_HELP:
			return 1;
		default:
			opt_getopt_error(opt, argv, "serve", err, errlen);
			return -1;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "'%s': unexpected argument (serve takes options only)",
			 argv[optind]);
		return -1;
	}
	if (!c->model) {
		snprintf(err, errlen, "--model: no default model compiled in");
		return -1;
	}
	return 0;
}

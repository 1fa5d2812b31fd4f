/* serve.h - `sockbench serve`: configuration and entry point. */
#ifndef SOCKBENCH_SERVE_H
#define SOCKBENCH_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "sockbench/optab.h"
#include "sockbench/proto.h"

struct server_model;

/* buffered: py-selectors only (the tutorial's fix: keep the rest, wait for
 * EVENT_WRITE); the C models refuse it. */
enum send_mode { SEND_SEND, SEND_SENDALL, SEND_BUFFERED };
enum accept_mode { ACCEPT_SHARED, ACCEPT_EXCLUSIVE, ACCEPT_REUSEPORT };
/* --on-accept: what the server does with a socket accept() returned.
 * close: close() at once (the client reads EOF); reset: SO_LINGER {1, 0}
 * then close() (the kernel sends RST: the client gets ECONNRESET). */
enum on_accept { ON_ACCEPT_SERVE, ON_ACCEPT_CLOSE, ON_ACCEPT_RESET };
extern const char *const send_names[];
extern const char *const accept_names[];
extern const char *const on_accept_names[];

#define BACKLOG_MAX (-1) /* listen(fd, -1): the kernel uses somaxconn */

struct serve_config {
	const struct server_model *model;
	enum proto proto;
	char bind[256];
	int port;
	int backlog;
	uint32_t recv_size;
	enum send_mode send;
	int sndbuf, rcvbuf; /* 0: kernel default */
	int workers;
	enum accept_mode accept_mode;
	unsigned accept_delay_ms;
	bool pause_accept;
	enum on_accept on_accept;
	bool no_reuseaddr; /* the listen socket without SO_REUSEADDR */
	unsigned work_us;
	uint32_t max_msg;
	unsigned max_conns;
	unsigned idle_timeout_ms;
	uint32_t http_body;
	char stats_path[1024];
	int stats_fd; /* --stats-fd: -1 unless given */
	int counters_fd; /* --counters-fd: the counter block's file; -1 unless given */
	bool stop_on_eof; /* --stop-on-eof: stdin's EOF is a SIGTERM */
};

/* The options of `serve`, one row each (serve_opts.c). */
extern const struct optab serve_optab;

void serve_defaults(struct serve_config *c);
/* Parse argv (argv[0] is "serve").  0: ok; 1: --help printed; -1: bad
 * usage, err holds the one line to print (the option and what is allowed). */
int serve_parse(struct serve_config *c, int argc, char **argv, char *err, size_t errlen);
void serve_usage(FILE *f);
/* config.server of the run JSON: every row of serve_optab. */
json_t *serve_config_json(const struct serve_config *c);
/* Run the server until SIGINT/SIGTERM; returns the process exit status. */
int serve_main(int argc, char **argv);

#endif

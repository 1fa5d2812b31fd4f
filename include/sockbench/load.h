/* load.h - `sockbench load`: the load generator's configuration. */
#ifndef SOCKBENCH_LOAD_H
#define SOCKBENCH_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "sockbench/kstat.h"
#include "sockbench/net.h"
#include "sockbench/optab.h"

enum load_mode { MODE_RR, MODE_CRR, MODE_CONNECT, MODE_STREAM, MODE_ECHO, MODE_HTTP };
extern const char *const load_mode_names[];

/* How the client leaves its connections (--close; bench/load/leave.c):
 * close(), SO_LINGER {1, 0} then close() (an RST), or the exit of a
 * process that holds them (the kernel closes them: as close() does). */
enum load_close { CLOSE_FIN, CLOSE_RESET, CLOSE_EXIT };
extern const char *const load_close_names[];
/* Who closes first at the end (--first): the client (it leaves, then the
 * server is stopped) or the server (stopped first; the clients see EOF). */
enum load_first { FIRST_CLIENT, FIRST_SERVER };
extern const char *const load_first_names[];
/* --restart: after the run, the server is started again on its port. */
enum load_restart { RESTART_OFF, RESTART_SAME, RESTART_REUSEADDR, RESTART_NO_REUSEADDR };
extern const char *const load_restart_names[];

#define LOAD_MAX_SOURCES	256
#define LOAD_MAX_SSH_OPTS	16
#define LOAD_MAX_REMOTE_SYSCTLS 8

struct load_config {
	enum load_mode mode;
	char target[256];      /* --target as given ("" when a server is started) */
	char serve_opts[2048]; /* --serve "..." */
	bool serve;	       /* --serve given ("" = a default epoll server) */
	char server_cmd[2048]; /* --server-cmd '...' */
	char server_host[256]; /* --server-host [USER@]HOST: serve there over ssh */
	int conns;
	int threads;
	uint64_t duration_us;
	uint64_t requests; /* 0: run for duration_us */
	uint64_t warmup_us;
	uint64_t start_at_ms; /* --start-at: wall-clock ms since the epoch; 0 = now */
	double rate;	      /* requests/s, open loop; 0 = closed loop */
	double connect_rate;  /* connections/s for connect and crr; 0 = at once */
	uint32_t req_size, resp_size, send_size;
	char http_path[256]; /* --http-path, default "/" */
	int64_t http_body;   /* --http-body: expected body length; -1 = any */
	uint32_t max_head;   /* --max-head: a reply's heads and trailers, a chunk line */
	uint64_t max_msg;    /* --max-msg: a reply's body, decoded */
	uint64_t connect_timeout_us, timeout_us;
	uint64_t interval_us;
	uint64_t queue_sample_us;
	struct net_addr sources[LOAD_MAX_SOURCES];
	int nsources;
	char sources_text[256];
	char json_path[1024];
	char jsonl_path[1024];
	int live_fd; /* --live-fd: the live stream's descriptor, -1 unless given */
	bool live;   /* --live: the full-screen view (bench/live) */
	bool quiet;
	bool stop_on_eof; /* --stop-on-eof: stdin's end is a SIGTERM (gens.c) */
	enum load_close close_how; /* --close */
	bool unread;		   /* --unread: leave with a reply unread */
	enum load_first first;	   /* --first */
	enum load_restart restart; /* --restart */
	/* Other hosts: --server-host (remote.c) starts the server there,
	 * --generators H1,H2,... (gens.c) runs this load on each; both over
	 * ssh, with the --ssh-opt options (sshopt.c) and sockbench there at
	 * --remote-bin. */
	char generators[1024];
	char ssh_opt[LOAD_MAX_SSH_OPTS][512];
	int nssh_opt;
	char remote_bin[512];
	/* --remote-sysctl NAME=VALUE: set on the server's host for the run
	 * and put back after it (remote_sysctl.c; probe --sysctl there) */
	char remote_sysctl[LOAD_MAX_REMOTE_SYSCTLS][160];
	int nremote_sysctl;
};

/* The options of `load`, one row each (load_opts.c). */
extern const struct optab load_optab;

void load_defaults(struct load_config *c);
/* 0 ok; 1 --help; -1 bad usage with the one line in err. */
int load_parse(struct load_config *c, int argc, char **argv, char *err, size_t errlen);
void load_usage(FILE *f);
/* config.load of the run JSON: every row of load_optab. */
json_t *load_config_json(const struct load_config *c);
int load_main(int argc, char **argv);
/* `sockbench merge RUN.json...` */
int merge_main(int argc, char **argv);
void merge_usage(FILE *f);
/* `sockbench probe --port N` (bench/load/probe.c): on a server's host,
 * accept-queue samples and counter snapshots as JSON lines. */
int probe_main(int argc, char **argv);
void probe_usage(FILE *f);
/* The options of `probe`, one row each. */
extern const struct optab probe_optab;
/* {"ListenOverflows": 12, ...}: the counters present, absolute values. */
json_t *probe_counters_json(const struct kstat *k);
/* Back from such an object (0; -1 when it is not one). */
int probe_counters_parse(const json_t *o, struct kstat *k);

#endif

/* gens.h - `load --generators`: the load on other hosts over ssh (gens.c)
 * and the ssh channels it runs (gens_ssh.c). */
#ifndef SOCKBENCH_GENS_H
#define SOCKBENCH_GENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "sockbench/load.h"

#define GENS_MAX 16

struct gens_srv;

/* One ssh run on one host. */
struct gen_chan {
	pid_t pid;    /* ssh; 0 once reaped */
	int in;	      /* its stdin, held open while it runs (-1: /dev/null) */
	int out, err; /* its stdout and stderr, -1 at EOF */
	char *obuf;   /* all of stdout */
	size_t olen, ocap;
	char ebuf[2048]; /* the end of stderr */
	size_t elen;
	int status; /* wait status, once reaped */
	bool reaped, killed;
	uint64_t t_start_ns, t_first_ns; /* wall clock: fork, first stdout byte */
};

/* The wall clock (CLOCK_REALTIME) in ns. */
uint64_t gens_wall_ns(void);
/* Run words[0..n) on host through ssh; 0, or -1 with err.  hold: its
 * stdin a pipe we keep until gchan_free (the remote side's --stop-on-eof
 * sees our end), else /dev/null. */
int gchan_start(struct gen_chan *ch, const struct load_config *c, const char *host,
		char *const *words, int n, bool hold, char *err, size_t errlen);
/* Read every channel until each ssh has exited: 0; or, at deadline_ns
 * (wall clock) or a stop signal, stop the rest (SIGTERM, 1 s, SIGKILL):
 * -1 with why.  srv (or NULL): its tick is called every turn. */
int gchan_wait(struct gen_chan *ch, int n, uint64_t deadline_ns, char *why, size_t whylen,
	       const struct gens_srv *srv, uint64_t start_ns);
void gchan_free(struct gen_chan *ch);
/* The last non-empty line of its stderr ("" when none). */
void gchan_last_line(const struct gen_chan *ch, char *out, size_t len);

/* With --server-host: the server load started on its host (load.c).  The
 * generators get --target target instead of the server's options; when
 * they are all back, end(arg) stops the server and returns the keys
 * (server, kernel, server_environment, ...) set on the merged run. */
struct gens_srv {
	const char *target;
	json_t *(*end)(void *arg);
	/* called every turn (<= 100 ms) while the generators run, with the
	 * agreed start on our CLOCK_MONOTONIC (ns): the probe's queue samples */
	void (*tick)(void *arg, uint64_t start_ns);
	void *arg;
};

/* The checks gens_main makes first (options, the hosts' names): 0, or -1
 * with err; for a caller that starts a server before calling it. */
int gens_precheck(const struct load_config *c, char *err, size_t errlen);
/* `load --generators`: the whole command once options are parsed (srv
 * NULL: --target names the server); the exit status. */
int gens_main(const struct load_config *c, int argc, char **argv, const struct gens_srv *srv);

#endif

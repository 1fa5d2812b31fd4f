/* spawn.h - servers the load generator starts itself: `--serve` (a
 * sockbench server) or `--server-cmd` (any program). */
#ifndef SOCKBENCH_SPAWN_H
#define SOCKBENCH_SPAWN_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "sockbench/pidns.h"
#include "sockbench/stats.h"
#include "sockbench/words.h"

struct spawn {
	pid_t pid;	 /* what we wait for and signal: the init of the server's
			    PID namespace (without one, the server itself) */
	struct pidns ns; /* its PID namespace (lib/pidns.c) */
	int out_fd;	 /* the server's stdout (drained, never blocks it) */
	char addr[160];	 /* where it listens: "127.0.0.1:40123", "unix:/p" */
	int port;
	bool ready_line;   /* READY seen (else: found its LISTEN socket) */
	int stats_fd;	   /* --serve: the server writes its stats here (--stats-fd) */
	int counters_fd;   /* --serve: the server's counter block (--counters-fd) */
	const struct stats *counters; /* that block, mapped read-only (NULL: none) */
	int err_fd;	   /* its stderr: a file without a name (O_TMPFILE, memfd) */
	char *err_tail;	   /* after a failed spawn_stop: the end of its stderr (free) */
	bool died;	   /* exited during the run (reaped; status below) */
	int died_status;   /* the server's own wait status */
	bool run_over;	   /* alive when the load ended (load.c sets it) */
	char warning[320]; /* for the run's warnings: no PID namespace, or no /proc */
	/* --server-host: pid is ssh's; remote.c's own drain and stop
	 * (spawn_drain and spawn_stop call them: no file cycle) */
	struct remote *remote;
	void (*on_drain)(struct spawn *sp);
	int (*on_stop)(struct spawn *sp, json_t **stats, char *err, size_t errlen);
};

/* Nothing started, every descriptor -1 (spawn_serve and spawn_cmd begin
 * with it; spawn_stop accepts it). */
void spawn_init(struct spawn *sp);
/* Start `sockbench serve --port 0 OPTS --stats-fd N` and wait for READY.
 * Both starts put the server in a PID namespace of its own under
 * sockbench's init (lib/pidns.h): it, and whatever it starts, ends with
 * the run, or when load is killed.  It shares load's network namespace. */
int spawn_serve(struct spawn *sp, const char *opts, char *err, size_t errlen);
/* Start any command (placeholders filled) and wait until ready: a READY
 * line, or a LISTEN socket on the port (sock_diag; never by connecting,
 * which would take a place in the accept queue).  5 s, else failure. */
int spawn_cmd(struct spawn *sp, const char *cmd, int backlog, unsigned recv_size, char *err,
	      size_t errlen);
/* The same on a given port (0: a free one): --restart starts the command
 * again where it listened. */
int spawn_cmd_at(struct spawn *sp, const char *cmd, int port, int backlog, unsigned recv_size,
		 char *err, size_t errlen);
/* The server's `accepted` so far, read live from its counter block (a
 * --serve server of ours: sockbench's own models keep their counters
 * there); -1 when unknown (--server-cmd, a Python model, no block). */
int64_t spawn_accepted(const struct spawn *sp);
/* Wait for the READY line on out_fd (remote.c's ssh channel): 0, or -1
 * with err; died/died_status say when the child ended first. */
int spawn_wait_ready(struct spawn *sp, char *err, size_t errlen);
/* Read and discard what the child printed (call now and then). */
void spawn_drain(struct spawn *sp);
/* Has the server exited by itself (killed, crashed)?  Reaps it and keeps
 * the status for spawn_stop's message. */
bool spawn_exited(struct spawn *sp);
/* SIGTERM, up to 2 s (15 s once a --serve server has written its stats:
 * it is exiting), then SIGKILL; *stats gets the --serve stats JSON (NULL
 * otherwise).  Returns 0, or -1 with err saying how it ended: killed, or
 * (--serve) an exit status other than 0. */
int spawn_stop(struct spawn *sp, json_t **stats, char *err, size_t errlen);

#endif

/* remote.h - the server on another host, over OpenSSH (load --server-host;
 * bench/load/remote.c).  Two or three ssh channels per run, each an argv (no local
 * shell; the remote command is one string of words_quote'd words):
 *
 *   serve: ssh -o BatchMode=yes [-o OPT..] -- HOST 'BIN' 'serve' '--bind'
 *          '0.0.0.0' '--port' '0' OPTS.. '--stop-on-eof' '--stats-fd' '1'
 *          its READY line and, at the end, its stats JSON come back on
 *          the channel's stdout; closing our end of its stdin stops it.
 *   probe: ssh .. -- HOST 'BIN' 'probe' '--port' 'P'
 *          accept-queue samples and counter snapshots (probe.c).
 *   guard: ssh .. -- HOST 'BIN' 'probe' '--sysctl' 'NAME=V' ..
 *          with --remote-sysctl, before serve: the sysctls held for the
 *          run and put back when the channel ends (remote_sysctl.c).
 *
 * Library-level code: nothing here prints; errors go to err. */
#ifndef SOCKBENCH_REMOTE_H
#define SOCKBENCH_REMOTE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sockbench/kstat.h"
#include "sockbench/load.h"

struct spawn;

/* What a channel sent that is not a whole line yet (sshopt.c). */
struct remote_lines {
	char buf[8192];
	size_t len;
};

struct remote {
	const struct load_config *cfg;
	char host[160]; /* HOST without USER@ (an address literal) */
	int serve_in;	/* the serve channel's stdin (our end; -1 closed) */
	char *out;	/* what the serve channel printed after READY */
	size_t olen, ocap;
	pid_t probe_pid; /* the probe's ssh (0: none) */
	int probe_in, probe_out, probe_err;
	struct remote_lines plines; /* the probe's */
	bool probe_eof;
	json_t *hello;	   /* probe's hello line (NULL: none) */
	uint64_t hello_ns; /* our clock when it came: probe's t_ms 0 */
	struct kstat last; /* the latest counter snapshot */
	bool have_last;
	int64_t snap_t; /* its t_ms */
	unsigned nsnap; /* snapshots read so far */
	int q, lim;	/* the latest queue sample (-1: none) */
	int64_t q_t;	/* its t_ms (-1: none) */
	/* --remote-sysctl: probe --sysctl's channel (remote_sysctl.c) */
	pid_t guard_pid;
	int guard_in, guard_out, guard_err;
	struct remote_lines glines;
	json_t *sys_set, *sys_restored; /* its "sysctl" and "restored" lines */
};

/* Start the server on cfg->server_host with `opts` and wait for READY;
 * sp->addr is then HOST:port.  0, or -1 with err one line (unreachable,
 * refused, remote binary missing: ssh's own words). */
int remote_serve(struct spawn *sp, const struct load_config *cfg, const char *opts, char *err,
		 size_t errlen);
/* Keep what the serve channel prints (called by spawn_drain). */
void remote_drain(struct spawn *sp);
/* Close the channel (the server stops on EOF), read its stats, wait for
 * ssh (15 s at most, then it is killed).  0, or -1 with err. */
int remote_stop(struct spawn *sp, json_t **stats, char *err, size_t errlen);
/* Start probe on the server's port and read its hello and first counters. */
int remote_probe_start(struct remote *rm, int port, char *err, size_t errlen);
/* Read what the probe has sent (never blocks); each queue sample goes to
 * on_q with its time on our clock (probe's t_ms from its hello's arrival:
 * the ssh latency, well under a sample step on a LAN, is not corrected). */
typedef void (*remote_queue_fn)(void *arg, uint64_t at_ns, int len, int limit);
void remote_probe_poll(struct remote *rm, remote_queue_fn on_q, void *arg);
/* A counter snapshot now (asked for and waited for, 3 s at most). */
int remote_counters_now(struct remote *rm, struct kstat *k);
/* End the probe (stdin closed) and take its last counters. */
int remote_probe_end(struct remote *rm, struct kstat *k);
/* --remote-sysctl: set the sysctls on the server's host (before the
 * server starts); 0, or -1 with err (those set are put back there). */
int remote_sysctl_set(struct remote *rm, char *err, size_t errlen);
/* Put them back (close the channel, wait for probe's "restored" line). */
void remote_sysctl_restore(struct remote *rm);
/* What the run records: {host, old, set, restored, left, failed,
 * restore_ended_by, restore_confirmed}; null without --remote-sysctl. */
json_t *remote_sysctl_json(const struct remote *rm);
/* Release everything (puts sysctls back, kills what still runs). */
void remote_free(struct remote *rm);

#endif

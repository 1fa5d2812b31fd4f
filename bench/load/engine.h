/* engine.h - the load generator's event loops: --threads epoll loops, each
 * owning its share of --conns connections; no locks on the hot path. */
#ifndef SOCKBENCH_ENGINE_H
#define SOCKBENCH_ENGINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "sockbench/hist.h"
#include "sockbench/load.h"
#include "sockbench/proto.h"
#include "sockbench/stats.h"

/* Error kinds: errno values first, then the generator's own. */
enum {
	LERR_CONNECT_TIMEOUT = STATS_MAX_ERRNO,
	LERR_REQUEST_TIMEOUT,
	LERR_INTEGRITY,
	LERR_SHORT_REPLY,
	LERR_EOF,
	LERR_HTTP_HEAD_TOO_BIG, /* an http reply's heads past --max-head */
	LERR_REPLY_TOO_BIG,	/* an http reply's body past --max-msg */
	LERR_KINDS
};
/* "ECONNREFUSED", "connect_timeout", ... */
const char *lerr_name(int kind, char *buf, size_t len);

/* Errors by kind in short, for the per-interval lines: the kinds a
 * viewer meets most, the rest as "other". */
enum { EK_REFUSED, EK_RESET, EK_TIMEDOUT, EK_ADDRNOTAVAIL, EK_CONNECT_TIMEOUT,
       EK_REQUEST_TIMEOUT, EK_INTEGRITY, EK_SHORT, EK_EOF, EK_OTHER, EK_KINDS };
extern const char *const ek_names[]; /* "refused", "reset", ... "other" */
int ek_of(int kind);		      /* an errno or LERR_* to its EK_* */

struct ival {
	uint64_t requests, connects, bytes, errors;
	uint64_t errk[EK_KINDS]; /* errors by short kind */
	/* Gauges at the interval's end (each thread's last look in it,
	 * summed over the threads): client connections open, slots served
	 * and starved so far (rr, echo, http, crr), connections still
	 * connecting that waited TCP_SYN_RETRY_NS or more. */
	uint64_t open, served, starved, syn_wait;
	struct hist *h; /* request latency in this interval, made on first use */
};

#define HTTP_STATUS_MAX 600
#define IV_CHUNK	256
#define IV_CHUNKS	4096

/* One thread's counts; merged by the controller after the run. */
struct lstats {
	uint64_t attempted, established, conn_failed;
	uint64_t reconnects; /* http: slots reopened after a reply that ended its connection */
	uint64_t completed, req_failed, in_flight_at_end;
	uint64_t bytes_out, bytes_in;
	/* stream over TCP: what the peer acknowledged (tcpi_bytes_acked less
	 * SYN and FIN), read before close(); acked_known when every stream
	 * connection could be asked (not for unix sockets) */
	uint64_t bytes_acked;
	uint64_t acked_unknown; /* connections TCP_INFO could not tell about */
	uint64_t err[LERR_KINDS];
	struct hist conn_lat, req_lat, req_lat_unc;
	/* connects that failed: from connect() to the error the kernel gave
	 * (ECONNREFUSED from an RST in microseconds; ETIMEDOUT after SYN
	 * retries) - how long a client waits to learn it was turned away */
	struct hist conn_fail_lat;
	struct ival *ivc[IV_CHUNKS]; /* chunks never move: the controller reads
				      * finished intervals while threads run */
	int niv;		     /* intervals touched: highest index + 1 */
	double cpu_s;	    /* this thread's CPU time (RUSAGE_THREAD); merged: the busiest */
	double cpu_total_s; /* merged: all the threads together */
	uint64_t http_status[HTTP_STATUS_MAX - 100]; /* replies by status code 100..599 */
	/* Per client slot, in rr, echo, http and crr (slots.c): requests that
	 * timed out or were still waiting at the end (censored: each counts
	 * as at least its waiting time), slots served and starved, and the
	 * requests each slot completed, in slot order (merged: concatenated). */
	uint64_t censored;
	struct hist req_cens;
	uint64_t served, starved;
	uint64_t *slot_req;
	int nslots;
	/* The local (ephemeral) ports the client's TCP connections got
	 * (getsockname after the handshake), warm-up included: a bitmap of
	 * 65536 bits, made on first use (NULL: none seen). */
	uint64_t *lport_bits;
	uint16_t lport_min, lport_max;
};

struct lthread;

/* A connection still open when the threads end, handed to the run's end
 * (leave.c, drain.c): its request still in flight, if any, as the loop
 * left it, so that its reply can be read out before the close. */
struct leave_conn {
	int fd;
	bool connected; /* the handshake was seen through */
	bool in_flight; /* a request was being sent or its reply read */
	bool broken;	/* drain.c: the drain failed (the queue may not be empty) */
	uint64_t off;	/* request bytes sent */
	uint64_t got;	/* reply bytes read (rr, echo) */
	struct http_resp hr;
};

struct engine {
	const struct load_config *cfg;
	struct net_addr target;
	int nthreads;
	struct lthread *t;
	uint64_t t_begin, t_measure, t_end; /* CLOCK_MONOTONIC ns; t_end 0 = --requests */
	uint64_t t_finish;		    /* after engine_stop: when the last thread ended */
	volatile int stop;
	int syn_linear; /* net.ipv4.tcp_syn_linear_timeouts (0: absent) */
	char host[300];	 /* http: the Host header, "127.0.0.1:8080" */
	uint8_t *reqbuf; /* rr: header + payload; echo/stream: pattern; http: GET */
	size_t reqlen;
	/* After engine_stop: the connections still open, for the run's end
	 * to drain and leave (leave.c closes them and frees the array). */
	struct leave_conn *left;
	int nleft;
};

/* Start the threads; -errno on failure. */
int engine_start(struct engine *e);
/* Live progress, read without locks (relaxed loads). */
uint64_t engine_completed(const struct engine *e);
uint64_t engine_connects(const struct engine *e);
int engine_done(const struct engine *e); /* every thread finished its work */
/* The generator's state now, summed over its threads (relaxed loads of
 * what each thread publishes; counts since the warm-up's end). */
struct engine_live {
	uint64_t requests, bytes, connects, errors;
	uint64_t open, connecting, syn_wait;
	uint64_t served, starved;
	uint64_t next_retry_ns; /* CLOCK_MONOTONIC of the earliest waiting connection's
				 * next SYN (0: none waits) */
};
void engine_live(const struct engine *e, struct engine_live *out);
/* Ask the threads to stop, join them, merge their stats into *out; the
 * connections still open go to e->left (not closed: leave.c). */
void engine_stop(struct engine *e, struct lstats *out);
/* Close what e->left still holds (fds >= 0) and free what the run's end
 * used (the request buffer). */
void engine_free(struct engine *e);
void lstats_free(struct lstats *s);
/* How many distinct local ports the bitmap holds. */
uint64_t lstats_ports(const struct lstats *s);
/* Add s's counts, histograms and intervals into o. */
/* Every latency histogram of s empty (a new thread's, a merge's target). */
void lstats_hists_init(struct lstats *s);
void lstats_merge(struct lstats *o, const struct lstats *s);
void ival_add(struct ival *d, const struct ival *x);
/* Request latency as the clients felt it, into *out: the completed
 * requests (req_lat), the censored ones at their waiting times (req_cens)
 * and, in a closed loop (closed), the requests a waiting client did not
 * send meanwhile, one per mean completed latency (hist_record_omitted).
 * Returns how many of those omitted requests it recorded. */
uint64_t lstats_req_felt(const struct lstats *s, bool closed, struct hist *out);
/* Interval i of s (NULL when absent; made when create). */
struct ival *lstats_ival(struct lstats *s, int i, bool create);
/* Interval i merged over the threads once every thread has moved past it:
 * 1 and *out filled (out->h owned by the caller), 0 not yet. */
int engine_interval(struct engine *e, int i, struct ival *out);

#endif

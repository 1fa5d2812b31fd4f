/* sess.h - one server-side connection: protocol + send strategy, written once.
 *
 * Every server model owns the socket and the waiting (accept, epoll, a
 * blocked thread, io_uring ...); everything that happens to the bytes lives
 * here, so the models compare loops, not implementations.
 *
 * Two layers:
 *  - the core (sess_rbuf, sess_received, sess_out, sess_sent) does no
 *    system call: io_uring submits the recv/send itself and reports results;
 *  - sess_on_read / sess_on_write make the recv()/sendmsg() calls for the
 *    readiness-based models; on a blocking socket they simply block.
 */
#ifndef SOCKBENCH_SESS_H
#define SOCKBENCH_SESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "sockbench/proto.h"

struct srv;

/* What the connection waits for next. */
enum sess_want { SESS_READ = 0, SESS_WRITE = 1, SESS_CLOSE = 2 };

struct sess_count {
	uint64_t requests, bytes_in, bytes_out, recv_calls, send_calls;
	uint64_t short_sends, bytes_dropped, protocol_errors;
	uint64_t peer_fin, peer_reset; /* how the client ended it: 0 or 1 each */
};

struct sess {
	int fd;
	bool blocking; /* blocking socket: EAGAIN on recv means SO_RCVTIMEO (idle) */
	bool idle_closed;
	enum sess_want want; /* for the models' own bookkeeping */
	struct srv *srv;
	uint8_t *ibuf; /* recv_size bytes: unparsed input (rr, http) or data to echo */
	uint32_t ilen, icap;
	/* pending output: the echo of ibuf[0..out_len), a prebuilt reply
	 * (out_static: http) or else an rr reply pattern */
	bool out_echo;
	bool close_after; /* close once the pending output has gone (http) */
	const uint8_t *out_static;
	uint64_t out_len, out_off;
	struct rr_parser rr;
	uint64_t last_ms; /* monotonic ms of the last byte received or sent */
	struct sess_count n;
};

/* Set up a session for a socket srv_accept() returned; -ENOMEM on failure
 * (the caller then closes it with sess_close). */
int sess_init(struct sess *c, struct srv *s, int fd, bool blocking);
/* Add the counters into the server's stats, close the socket, free buffers. */
void sess_close(struct sess *c);

/* Core, no system calls. */
uint8_t *sess_rbuf(struct sess *c, size_t *room);
/* Result of one recv() into sess_rbuf (n > 0 bytes, 0 EOF, < 0 -errno). */
enum sess_want sess_received(struct sess *c, ssize_t n);
/* iovecs one send should carry: `send` hands the whole reply to one call,
 * `sendall` a window of it at a time. */
int sess_iov_max(const struct srv *s);
/* Pending output as iovecs (0: nothing pending). max >= 2. */
int sess_out(struct sess *c, struct iovec *iov, int max);
/* Result of one send of sess_out's iovecs (n >= 0 bytes, < 0 -errno). */
enum sess_want sess_sent(struct sess *c, ssize_t n);

/* Readiness layer: one recv() then as much sending as the socket takes. */
enum sess_want sess_on_read(struct sess *c);
enum sess_want sess_on_write(struct sess *c);

/* Busy CPU work of --work-us per request. */
void sess_work(unsigned us);

#endif

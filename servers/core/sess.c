/* sess.c - protocol and send strategy for one connection, for every model. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/server.h"
#include "sockbench/sess.h"

/* iovecs per sendmsg(): with `sendall` a window of the reply; with `send`
 * the whole reply must go in one call, as naive code's send(buf) does.
 * IOV_MAX is 1024 on Linux; 1024 spans of 62.75 KiB cover 62 MiB. */
#define IOV_SENDALL 64
#define IOV_SEND    1024

void sess_work(unsigned us)
{
	if (!us)
		return;
	struct timespec t0, t;
	/* Spin on this thread's CPU clock: --work-us is CPU work, so a
	 * thread preempted halfway still does all of it, as real work would. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000 + (t.tv_nsec - t0.tv_nsec) / 1000 < us);
}

int sess_init(struct sess *c, struct srv *s, int fd, bool blocking)
{
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->srv = s;
	c->blocking = blocking;
	/* The input buffer comes with the first byte to read (sess_rbuf): an
	 * idle connection - 10,000 of them, say - costs this struct and the
	 * kernel's socket, not --recv-size bytes each. */
	c->ibuf = NULL;
	c->icap = 0;
	rr_parser_init(&c->rr);
	c->last_ms = clock_now_ms();
	return 0;
}

void sess_close(struct sess *c)
{
	struct stats *st = c->srv->st;
	STATS_ADD(st, requests, c->n.requests);
	STATS_ADD(st, bytes_in, c->n.bytes_in);
	STATS_ADD(st, bytes_out, c->n.bytes_out);
	STATS_ADD(st, recv_calls, c->n.recv_calls);
	STATS_ADD(st, send_calls, c->n.send_calls);
	STATS_ADD(st, short_sends, c->n.short_sends);
	STATS_ADD(st, bytes_dropped, c->n.bytes_dropped);
	STATS_ADD(st, protocol_errors, c->n.protocol_errors);
	STATS_ADD(st, peer_fin, c->n.peer_fin);
	STATS_ADD(st, peer_reset, c->n.peer_reset);
	if (c->idle_closed)
		STATS_ADD(st, idle_closed, 1);
	stats_conn_close(st);
	close(c->fd);
	free(c->ibuf);
	c->ibuf = NULL;
	c->fd = -1;
}

uint8_t *sess_rbuf(struct sess *c, size_t *room)
{
	if (!c->ibuf) {
		c->ibuf = malloc(c->srv->cfg->recv_size);
		if (!c->ibuf) {
			*room = 0;
			return NULL;
		}
		c->icap = c->srv->cfg->recv_size;
	}
	*room = c->icap - c->ilen;
	return c->ibuf + c->ilen;
}

static void out_static(struct sess *c, enum http_reply_kind k)
{
	size_t len;
	c->out_static = http_reply(k, &len);
	c->out_len = len;
	c->out_off = 0;
}

/* One http request head from ibuf, if it is all there.  The reply is one
 * of the prebuilt ones; a bad or oversized head gets its 400/431 and the
 * connection closes after it (its remaining bytes cannot be trusted to
 * start a request).  -ENOMEM when the buffer cannot grow. */
static int http_advance(struct sess *c)
{
	struct http_req r;
	enum http_event ev = http_parse(c->ibuf, c->ilen, HTTP_MAX_HEAD, &r);
	if (ev == HTTP_MORE) {
		if (c->ilen == c->icap && c->icap < HTTP_MAX_HEAD) {
			/* A head longer than --recv-size: grow to the bound once.
			 * Most heads (wrk's is 40 bytes) never need it. */
			uint8_t *b = realloc(c->ibuf, HTTP_MAX_HEAD);
			if (!b)
				return -ENOMEM;
			c->ibuf = b;
			c->icap = HTTP_MAX_HEAD;
		}
		return 0;
	}
	if (ev != HTTP_REQUEST) {
		c->n.protocol_errors++;
		c->ilen = 0;
		c->close_after = true;
		out_static(c, ev == HTTP_TOO_BIG ? HTTP_431 : HTTP_400);
		return 0;
	}
	memmove(c->ibuf, c->ibuf + r.head_len, c->ilen - r.head_len);
	c->ilen -= (uint32_t)r.head_len;
	c->n.requests++;
	sess_work(c->srv->cfg->work_us);
	c->close_after = !r.keep_alive;
	out_static(c, http_reply_for(&r));
	return 0;
}

/* Turn buffered input into pending output, one request at a time: a
 * pipelined request is parsed only after the reply before it has gone, so
 * a connection never holds more than one reply (bounded memory). */
static enum sess_want advance(struct sess *c)
{
	const struct serve_config *cfg = c->srv->cfg;
	while (c->out_len == 0 && c->ilen > 0) {
		switch (cfg->proto) {
		case PROTO_ECHO:
			c->n.requests++;
			sess_work(cfg->work_us);
			c->out_echo = true;
			c->out_len = c->ilen;
			c->out_off = 0;
			break;
		case PROTO_RR: {
			size_t used;
			uint32_t resp;
			enum rr_event ev =
			    rr_feed(&c->rr, c->ibuf, c->ilen, cfg->max_msg, &used, &resp);
			if (ev == RR_ERROR) {
				c->n.protocol_errors++;
				return SESS_CLOSE;
			}
			memmove(c->ibuf, c->ibuf + used, c->ilen - used);
			c->ilen -= (uint32_t)used;
			if (ev == RR_REQUEST) {
				c->n.requests++;
				sess_work(cfg->work_us);
				c->out_echo = false;
				c->out_len = resp;
				c->out_off = 0;
			}
			break;
		}
		case PROTO_HTTP:
			if (http_advance(c) < 0)
				return SESS_CLOSE;
			if (!c->out_len)
				return SESS_READ; /* the head is not complete yet */
			break;
		default: /* sink: read and drop */
			c->n.requests++;
			c->ilen = 0;
			break;
		}
	}
	return c->out_len ? SESS_WRITE : SESS_READ;
}

/* How the client ended the connection, told by what a recv() or send()
 * returned: 0 from recv() is its FIN (it closed, or exited: the kernel
 * closes its sockets the same way); ECONNRESET is its RST (it closed with
 * unread data, or with SO_LINGER {1, 0}), and EPIPE a send() after that
 * RST.  Not counted: an EOF or EPIPE our own shutdown() made (the stop,
 * --idle-timeout-ms), nor one counted already. */
static void note_peer_end(struct sess *c, ssize_t n)
{
	if (srv_stopping || c->idle_closed || c->n.peer_fin || c->n.peer_reset)
		return;
	if (n == 0)
		c->n.peer_fin = 1;
	else if (n == -ECONNRESET || n == -EPIPE)
		c->n.peer_reset = 1;
}

enum sess_want sess_received(struct sess *c, ssize_t n)
{
	c->n.recv_calls++;
	if (n == 0 || n == -ECONNRESET)
		note_peer_end(c, n);
	if (n == 0)
		return SESS_CLOSE; /* peer closed (or shut down) its side */
	if (n < 0) {
		if (n == -EINTR)
			return SESS_READ;
		if (n == -EAGAIN || n == -EWOULDBLOCK) {
			if (!c->blocking)
				return SESS_READ;
			c->idle_closed = true; /* SO_RCVTIMEO = --idle-timeout-ms expired */
			return SESS_CLOSE;
		}
		stats_error(c->srv->st, (int)-n);
		return SESS_CLOSE;
	}
	c->n.bytes_in += (uint64_t)n;
	c->ilen += (uint32_t)n;
	c->last_ms = clock_now_ms();
	return advance(c);
}

int sess_out(struct sess *c, struct iovec *iov, int max)
{
	uint64_t left = c->out_len - c->out_off, covered;
	if (!left)
		return 0;
	if (c->out_echo || c->out_static) {
		iov[0].iov_base = (uint8_t *)(c->out_static ? c->out_static : c->ibuf) + c->out_off;
		iov[0].iov_len = (size_t)left;
		return 1;
	}
	return pattern_iov(c->out_off, left, iov, max, &covered);
}

static void out_done(struct sess *c)
{
	if (c->out_echo)
		c->ilen = 0; /* the echoed bytes were the whole input buffer */
	c->out_len = c->out_off = 0;
	c->out_echo = false;
	c->out_static = NULL;
}

enum sess_want sess_sent(struct sess *c, ssize_t n)
{
	const struct serve_config *cfg = c->srv->cfg;
	uint64_t left = c->out_len - c->out_off;
	c->n.send_calls++;
	if (n == -EAGAIN || n == -EWOULDBLOCK || n == -EINTR) {
		if (cfg->send == SEND_SENDALL)
			return SESS_WRITE; /* keep the rest, wait for POLLOUT */
		n = 0;			   /* naive send(): nothing went, nothing retried */
	} else if (n < 0) {
		note_peer_end(c, n);
		stats_error(c->srv->st, (int)-n);
		return SESS_CLOSE;
	}
	c->n.bytes_out += (uint64_t)n;
	if (n > 0)
		c->last_ms = clock_now_ms(); /* a slow reader being served is not idle */
	if (cfg->send == SEND_SEND) {
		/* `send`: one call per reply.  What the kernel did not take is
		 * lost, and the connection goes on as if it had been sent. */
		if ((uint64_t)n < left) {
			c->n.short_sends++;
			c->n.bytes_dropped += left - (uint64_t)n;
		}
		out_done(c);
	} else {
		c->out_off += (uint64_t)n;
		if (c->out_off < c->out_len)
			return SESS_WRITE;
		out_done(c);
	}
	if (c->close_after)
		return SESS_CLOSE;
	return advance(c);
}

int sess_iov_max(const struct srv *s)
{
	return s->cfg->send == SEND_SEND ? IOV_SEND : IOV_SENDALL;
}

/* Send until the output is gone or the socket is full. */
static enum sess_want flush(struct sess *c)
{
	struct iovec iov[IOV_SEND];
	int max = sess_iov_max(c->srv);
	enum sess_want w = SESS_WRITE;
	while (w == SESS_WRITE) {
		if (srv_stopping)
			return SESS_CLOSE;
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)sess_out(c, iov, max)};
		/* MSG_NOSIGNAL: a peer that has gone gives EPIPE, not SIGPIPE. */
		ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		bool full = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
		w = sess_sent(c, n < 0 ? -errno : n);
		if (full && w == SESS_WRITE)
			return SESS_WRITE; /* wait until writable */
	}
	return w;
}

enum sess_want sess_on_read(struct sess *c)
{
	size_t room;
	uint8_t *p = sess_rbuf(c, &room);
	if (!p) {
		stats_error(c->srv->st, ENOMEM);
		return SESS_CLOSE;
	}
	ssize_t n = recv(c->fd, p, room, 0);
	enum sess_want w = sess_received(c, n < 0 ? -errno : n);
	return w == SESS_WRITE ? flush(c) : w;
}

enum sess_want sess_on_write(struct sess *c)
{
	return flush(c);
}

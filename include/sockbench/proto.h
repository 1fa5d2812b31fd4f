/* proto.h - the wire protocols (SPEC section 3), free of any I/O.
 *
 * rr frame: 8-byte header, uint32 req_len and uint32 resp_len, big-endian,
 * then req_len payload bytes.  The reply is resp_len bytes, byte i = i % 251
 * (251 is prime, so a reply shifted by any offset that is not a multiple of
 * 251 fails the check: misframed data cannot pass for a good reply).
 */
#ifndef SOCKBENCH_PROTO_H
#define SOCKBENCH_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

enum proto { PROTO_ECHO, PROTO_RR, PROTO_SINK, PROTO_HTTP };
extern const char *const proto_names[]; /* NULL-terminated, indexed by enum proto */

#define RR_HDR_LEN 8

/* Incremental rr request parser: feed it any split of the byte stream. */
struct rr_parser {
	uint8_t hdr[RR_HDR_LEN];
	uint32_t hdr_have;     /* header bytes collected so far */
	uint64_t payload_left; /* payload bytes still to skip */
	uint32_t resp_len;     /* of the request being read */
};

enum rr_event { RR_MORE = 0, RR_REQUEST = 1, RR_ERROR = -1 };

void rr_parser_init(struct rr_parser *p);
/* Consume bytes from buf[0..len) up to the end of at most one request.
 * *used says how many were consumed.  RR_REQUEST: a whole request ended,
 * *resp_len is the reply it asks for.  RR_MORE: everything consumed, no
 * request ended yet.  RR_ERROR: a length above max_msg (nothing allocated). */
enum rr_event rr_feed(struct rr_parser *p, const uint8_t *buf, size_t len, uint32_t max_msg,
		      size_t *used, uint32_t *resp_len);
/* Write an rr header. */
void rr_header(uint8_t out[RR_HDR_LEN], uint32_t req_len, uint32_t resp_len);

/* The reply pattern, made once: pattern_iov() describes bytes [off, off+len)
 * of a reply as at most `max` iovecs pointing into one read-only block. */
void pattern_init(void);
int pattern_iov(uint64_t off, uint64_t len, struct iovec *iov, int max, uint64_t *covered);
/* Offset of the first byte of buf that breaks the pattern (reply offset
 * `off`), or len when all match. */
size_t pattern_check(const uint8_t *buf, size_t len, uint64_t off);
void pattern_fill(uint8_t *buf, size_t len, uint64_t off);

/* ---- http (proto_http.c) ----------------------------------------------
 * Server: a request head is found whole in the connection's buffer (at most
 * HTTP_MAX_HEAD bytes, like nginx's 8 KiB large_client_header_buffers). */
#define HTTP_MAX_HEAD 8192

enum http_event { HTTP_MORE = 0, HTTP_REQUEST = 1, HTTP_BAD = -1, HTTP_TOO_BIG = -2 };
struct http_req {
	size_t head_len; /* bytes to consume */
	bool keep_alive;
	int minor; /* HTTP/1.minor */
};
/* Look at buf[0..len) for one request head.  HTTP_REQUEST: *r filled;
 * HTTP_MORE: need more bytes; HTTP_BAD: not a GET we serve (reply 400);
 * HTTP_TOO_BIG: no head end within max_head bytes (reply 431). */
enum http_event http_parse(const uint8_t *buf, size_t len, size_t max_head, struct http_req *r);

enum http_reply_kind { HTTP_OK, HTTP_OK_KEEP, HTTP_OK_CLOSE, HTTP_400, HTTP_431, HTTP_REPLY_KINDS };
/* Build every reply once, with a body of body_len bytes; -ENOMEM. */
int http_init(size_t body_len);
void http_free(void);
const uint8_t *http_reply(enum http_reply_kind k, size_t *len);
enum http_reply_kind http_reply_for(const struct http_req *r);

/* ---- http client (http_resp.c) ---------------------------------------
 * The load generator's reply parser: where a reply ends, framed as RFC
 * 9112 section 6.3 says (chunked, Content-Length, to the close; 1xx
 * skipped; no body for 204, 304, HEAD), 64 bytes of state per connection
 * and no buffer; limits from load's --max-head and --max-msg. */

struct http_resp {
	uint8_t state, flags;
	uint8_t which;		/* the field names still possible */
	uint8_t sub;		/* within a value or chunk-size line */
	uint16_t pos;		/* position in the status line, name or token */
	uint16_t status;	/* the final reply's 3 digits */
	uint32_t head;		/* bytes of the heads and trailers so far */
	uint32_t line;		/* bytes of the chunk-size line being read */
	uint32_t max_head;	/* the limit of both */
	int64_t content_length; /* -1 until a Content-Length field */
	int64_t cl_prev;	/* an earlier Content-Length, -1 if none */
	uint64_t left;		/* body or chunk bytes still to come */
	uint64_t body;		/* body bytes so far, decoded (chunk framing not counted) */
	uint64_t max_msg;	/* the limit of body */
};
enum http_resp_event {
	HTTP_RESP_MORE = 0,
	HTTP_RESP_DONE = 1,	     /* the reply ended */
	HTTP_RESP_BAD = -1,	     /* not a reply we can frame */
	HTTP_RESP_HEAD_TOO_BIG = -2, /* heads, trailers or a chunk-size line past max_head */
	HTTP_RESP_TOO_BIG = -3,	     /* a body past max_msg */
};
void http_resp_init(struct http_resp *p, uint32_t max_head, uint64_t max_msg);
/* The request was HEAD: the reply has no body, whatever its head says. */
void http_resp_nobody(struct http_resp *p);
/* Consume buf[0..len) up to the end of one reply (*used bytes; on an
 * error, up to the byte that made it).  MORE: all used, the reply goes
 * on.  After DONE or an error, init again for the next reply. */
enum http_resp_event http_resp_feed(struct http_resp *p, const uint8_t *buf, size_t len,
				    size_t *used);
/* The server closed the connection: true when that ends the reply (a body
 * delimited by the close, RFC 9112 section 6.3 item 7), false when the
 * reply is cut short. */
bool http_resp_eof(struct http_resp *p);
/* After DONE: may the connection carry the next request (section 9.3)? */
bool http_resp_keep(const struct http_resp *p);

#endif

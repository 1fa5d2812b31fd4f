/* test_http_resp.c - the load generator's http reply parser
 * (lib/http_resp.c: http_resp_feed and its framing, RFC 9112 section 6.3);
 * the server's request parser and replies are tested in test_http.c.
 *
 * Like test_rr.c, the parser is fed every way TCP can cut a stream:
 * whole, cut in two at every offset, one byte at a time and in random
 * chunks from a fixed-seed splitmix64 (a failure repeats; messages name the
 * case and the cut).  Replies are written out byte for byte here (nginx's
 * verbatim), not built with the code under test, except where the server's
 * own replies (http_reply) are read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sbunit.h"
#include "sockbench/proto.h"

#define SEED 0x477470ULL

/* The limits of most cases: load's defaults for the head, a body as large
 * as --max-msg allows (the large Content-Length case needs it). */
#define LIM_HEAD (64u << 10)
#define LIM_MSG	 (1ull << 40)

static void resp_init(struct http_resp *p)
{
	http_resp_init(p, LIM_HEAD, LIM_MSG);
}

static const char *resp_ev_name(int ev)
{
	switch (ev) {
	case HTTP_RESP_MORE:
		return "MORE";
	case HTTP_RESP_DONE:
		return "DONE";
	case HTTP_RESP_BAD:
		return "BAD";
	case HTTP_RESP_HEAD_TOO_BIG:
		return "HEAD_TOO_BIG";
	case HTTP_RESP_TOO_BIG:
		return "TOO_BIG";
	}
	return "?";
}

/* ---- http_resp_feed ------------------------------------------------------ */

/* What a whole reply must read as: its final status, its body length
 * (decoded) and whether the connection may carry the next request. */
struct resp_want {
	int status;
	int64_t body;
	bool keep;
};

/* Feed reply bytes b[0..len) cut at the offsets cuts[] (ascending); the
 * reply must end exactly at its last byte (reply_len), never before. */
static void resp_feed_cuts(const uint8_t *b, size_t len, size_t reply_len, const size_t *cuts,
			   size_t ncuts, const struct resp_want *w, const char *how)
{
	struct http_resp p;
	resp_init(&p);
	size_t pos = 0;
	for (size_t c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : len;
		size_t used = (size_t)-1;
		enum http_resp_event ev = http_resp_feed(&p, b + pos, end - pos, &used);
		if (used > end - pos) {
			print_error("%s: used %zu of %zu\n", how, used, end - pos);
			fail();
		}
		pos += used;
		if (ev == HTTP_RESP_MORE) {
			if (pos != end || pos >= reply_len) {
				print_error("%s (cut %zu): MORE at %zu, reply ends at %zu\n", how,
					    end, pos, reply_len);
				fail();
			}
			continue;
		}
		if (ev != HTTP_RESP_DONE || pos != reply_len || p.status != w->status ||
		    p.body != (uint64_t)w->body || http_resp_keep(&p) != w->keep) {
			print_error("%s (cut %zu): expected DONE at %zu status %d body %lld keep "
				    "%d, got %s at %zu status %u body %llu keep %d; reply [%s]\n",
				    how, end, reply_len, w->status, (long long)w->body,
				    (int)w->keep, resp_ev_name(ev), pos, p.status,
				    (unsigned long long)p.body, (int)http_resp_keep(&p),
				    sbunit_show(b, len));
			fail();
		}
		return;
	}
	print_error("%s: no DONE after all %zu bytes; reply [%s]\n", how, len, sbunit_show(b, len));
	fail();
}

/* Whole, every 2-way cut, byte by byte, random chunks. */
static void resp_every_split(const uint8_t *b, size_t len, const struct resp_want *w,
			     const char *what)
{
	char how[160];
	snprintf(how, sizeof how, "%s, whole", what);
	resp_feed_cuts(b, len, len, NULL, 0, w, how);
	for (size_t cut = 0; cut <= len; cut++) {
		snprintf(how, sizeof how, "%s, cut in two at %zu", what, cut);
		resp_feed_cuts(b, len, len, &cut, 1, w, how);
	}
	size_t *one = malloc((len + 1) * sizeof *one);
	assert_non_null(one);
	for (size_t i = 0; i < len; i++)
		one[i] = i;
	snprintf(how, sizeof how, "%s, one byte at a time", what);
	resp_feed_cuts(b, len, len, one, len, w, how);
	free(one);
	for (uint64_t seed = 1; seed <= 20; seed++) {
		uint64_t r = SEED ^ seed;
		size_t cuts[256], n = 0, at = 0;
		while (n < 256) {
			at += 1 + sbunit_rng_below(&r, seed % 2 ? 7 : 4000);
			if (at >= len)
				break;
			cuts[n++] = at;
		}
		snprintf(how, sizeof how, "%s, random chunks seed %llu", what,
			 (unsigned long long)seed);
		resp_feed_cuts(b, len, len, cuts, n, w, how);
	}
}

/* The server's own replies, read back by the load generator's parser. */
static void test_resp_own_replies(void **state)
{
	(void)state;
	const size_t sizes[] = {0, 13, 30, 100000};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		assert_int_equal(http_init(sizes[s]), 0);
		const struct {
			enum http_reply_kind k;
			int status;
			bool keep;
		} kinds[] = {{HTTP_OK, 200, true},
			     {HTTP_OK_KEEP, 200, true},
			     {HTTP_OK_CLOSE, 200, false},
			     {HTTP_400, 400, false},
			     {HTTP_431, 431, false}};
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
			size_t len, head;
			const uint8_t *b = http_reply(kinds[k].k, &len);
			sbunit_split_reply(b, len, &head);
			struct resp_want w = {kinds[k].status, (int64_t)(len - head),
					      kinds[k].keep};
			if (kinds[k].status == 200)
				assert_int_equal(len - head, sizes[s]);
			char what[80];
			snprintf(what, sizeof what, "own reply kind %d, --http-body %zu",
				 (int)kinds[k].k, sizes[s]);
			resp_every_split(b, len, &w, what);
		}
	}
	http_free();
}

#define NGINX_200                                                                                  \
	"HTTP/1.1 200 OK\r\n"                                                                      \
	"Server: nginx/1.22.1\r\n"                                                                 \
	"Date: Wed, 25 Nov 2026 10:51:20 GMT\r\n"                                                  \
	"Content-Type: application/octet-stream\r\n"                                               \
	"content-length: 13\r\n"                                                                   \
	"Connection: keep-alive\r\n"                                                               \
	"\r\n"                                                                                     \
	"Hello, World!"

#define NGINX_404_BODY                                                                             \
	"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"                        \
	"<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n"         \
	"</body>\r\n</html>\r\n"

#define NGINX_404                                                                                  \
	"HTTP/1.1 404 Not Found\r\n"                                                               \
	"Server: nginx/1.22.1\r\n"                                                                 \
	"Date: Wed, 25 Nov 2026 10:51:20 GMT\r\n"                                                  \
	"Content-Type: text/html\r\n"                                                              \
	"Content-Length: 153\r\n"                                                                  \
	"Connection: keep-alive\r\n"                                                               \
	"\r\n" NGINX_404_BODY

/* nginx's 1000th reply on a connection (keepalive_requests). */
#define NGINX_CLOSE                                                                                \
	"HTTP/1.1 200 OK\r\n"                                                                      \
	"Server: nginx/1.22.1\r\n"                                                                 \
	"Date: Wed, 25 Nov 2026 10:51:20 GMT\r\n"                                                  \
	"Content-Type: application/octet-stream\r\n"                                               \
	"Content-Length: 13\r\n"                                                                   \
	"Connection: close\r\n"                                                                    \
	"\r\n"                                                                                     \
	"Hello, World!"

struct resp_case {
	const char *name;
	const uint8_t *buf;
	size_t len;
	enum http_resp_event want;
	struct resp_want w;
};

/* clang-format off */
#define DONE(name, s, status, body, keep) {name, SBUNIT_BYTES(s), HTTP_RESP_DONE, {status, body, keep}}
#define RBAD(name, s)			  {name, SBUNIT_BYTES(s), HTTP_RESP_BAD, {0, 0, false}}
/* clang-format on */

static const struct resp_case resp_cases[] = {
    DONE("nginx 200", NGINX_200, 200, 13, true),
    DONE("nginx 404 with an html body", NGINX_404, 404, 153, true),
    DONE("nginx Connection: close", NGINX_CLOSE, 200, 13, false),
    DONE("HTTP/1.0 reply: closes", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", 200, 2, false),
    DONE("HTTP/1.0 reply with Connection: keep-alive",
	 "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi", 200, 2, true),
    DONE("HTTP/1.0 reply, keep-alive and close: close wins",
	 "HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nhi", 200, 2,
	 false),
    DONE("python http.server",
	 "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\n"
	 "Date: Wed, 25 Nov 2026 10:51:20 GMT\r\nContent-type: text/plain\r\n"
	 "Content-Length: 13\r\nLast-Modified: Wed, 25 Nov 2026 10:50:00 GMT\r\n\r\n"
	 "Hello, World!",
	 200, 13, false),
    DONE("no reason phrase", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", 200, 0, true),
    DONE("no blank after the status", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 200, 0, true),
    DONE("301 with Location",
	 "HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", 301, 0,
	 true),
    DONE("503", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 3\r\n\r\nbad", 503, 3, true),
    DONE("connection: CLOSE", "HTTP/1.1 200 OK\r\nconnection: CLOSE\r\nContent-Length: 1\r\n\r\nx",
	 200, 1, false),
    DONE("Connection: close with blanks around",
	 "HTTP/1.1 200 OK\r\nConnection:   close  \r\nContent-Length: 1\r\n\r\nx", 200, 1, false),
    DONE("Connection: close before Content-Length",
	 "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 200, 0, false),
    DONE("Connection: keep-alive is not close",
	 "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", 200, 1, true),
    DONE("Connection: closed is not close",
	 "HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 1\r\n\r\nx", 200, 1, true),
    DONE("Connection: clo se is not close",
	 "HTTP/1.1 200 OK\r\nConnection: clo se\r\nContent-Length: 1\r\n\r\nx", 200, 1, true),
    DONE("X-Connection: close is another header",
	 "HTTP/1.1 200 OK\r\nX-Connection: close\r\nContent-Length: 1\r\n\r\nx", 200, 1, true),
    DONE("Content-Length-Extra is another header",
	 "HTTP/1.1 200 OK\r\nContent-Length-Extra: 99\r\nContent-Length: 1\r\n\r\nx", 200, 1, true),
    DONE("a value that looks like a header",
	 "HTTP/1.1 200 OK\r\nX-Note: Content-Length: 99\r\nContent-Length: 2\r\n\r\nok", 200, 2,
	 true),
    DONE("the same Content-Length twice",
	 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 02\r\n\r\nok", 200, 2, true),
    DONE("a long header value",
	 "HTTP/1.1 200 OK\r\nX-Long: "
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "\r\nContent-Length: 0\r\n\r\n",
	 200, 0, true),
    DONE("a 60-byte header name",
	 "HTTP/1.1 200 OK\r\nX-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: 1\r\n"
	 "Content-Length: 0\r\n\r\n",
	 200, 0, true),
    DONE(
	"a body that looks like a reply",
	"HTTP/1.1 200 OK\r\nContent-Length: 38\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	200, 38, true),
    DONE("a large Content-Length (head only here)",
	 "HTTP/1.1 200 OK\r\nContent-Length: 1099511627776\r\n\r\n", 200, 1099511627776LL, true),
    RBAD("chunked after Content-Length (RFC 9112 6.3 item 3)",
	 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\nab"),
    RBAD("Content-Length after chunked",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nab"),
    RBAD("Transfer-Encoding in HTTP/1.0 (RFC 9112 6.1)",
	 "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    RBAD("101 Switching Protocols (never asked for)",
	 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"),
    RBAD("status 099", "HTTP/1.1 099 x\r\nContent-Length: 0\r\n\r\n"),
    RBAD("HTTP/1.x with a letter", "HTTP/1.x 200 OK\r\nContent-Length: 0\r\n\r\n"),
    RBAD("obs-fold", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  2\r\nContent-Length: 0\r\n\r\n"),
    RBAD("empty field name", "HTTP/1.1 200 OK\r\n: x\r\nContent-Length: 0\r\n\r\n"),
    RBAD("a field name that is no token",
	 "HTTP/1.1 200 OK\r\nX(y): 1\r\nContent-Length: 0\r\n\r\n"),
    RBAD("blank before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"),
    RBAD("DEL in a value", "HTTP/1.1 200 OK\r\nX-A: a\x7f\r\nContent-Length: 0\r\n\r\n"),
    RBAD("a control in the reason", "HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n"),
    RBAD("a Transfer-Encoding list with bytes no token has",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip,\xc6\xc6 x, chunked\r\n\r\n0\r\n\r\n"),
    RBAD("a Transfer-Encoding list element with a blank inside",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip x, chunked\r\n\r\n0\r\n\r\n"),
    RBAD("chunked twice (RFC 9112 6.1)",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
	 "0\r\n\r\n"),
    RBAD("Content-Length: 5, 5", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello"),
    RBAD("HTTP/2 status line", "HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n"),
    RBAD("lower-case http", "http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    RBAD("HTTX", "HTTX/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    RBAD("letter in the status", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"),
    RBAD("two-digit status", "HTTP/1.1 20\r\nContent-Length: 0\r\n\r\n"),
    RBAD("two blanks before the status", "HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n"),
    RBAD("no status", "HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
    RBAD("garbage", "hello world\r\n\r\n"),
    RBAD("an rr reply pattern", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d"),
    RBAD("CR CR after the status line", "HTTP/1.1 200 OK\r\rContent-Length: 0\r\n\r\n"),
    RBAD("bare LF in a header name", "HTTP/1.1 200 OK\r\nX\n: y\r\nContent-Length: 0\r\n\r\n"),
    RBAD("header line without a colon", "HTTP/1.1 200 OK\r\nServer\r\nContent-Length: 0\r\n\r\n"),
    RBAD("letters in Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nx"),
    RBAD("negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
    RBAD("end of head without LF", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\rX"),
};

static void test_resp_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof resp_cases / sizeof resp_cases[0]; i++) {
		const struct resp_case *c = &resp_cases[i];
		if (c->want == HTTP_RESP_DONE) {
			/* A header-only reply with a large Content-Length is
			 * not complete: MORE, with the head fully consumed. */
			if (c->w.body > (int64_t)(c->len - 4)) {
				struct http_resp p;
				size_t used = 0;
				resp_init(&p);
				enum http_resp_event ev = http_resp_feed(&p, c->buf, c->len, &used);
				if (ev != HTTP_RESP_MORE || used != c->len ||
				    p.content_length != c->w.body) {
					print_error("%s: expected MORE used %zu content_length "
						    "%lld, got %s used %zu content_length %lld\n",
						    c->name, c->len, (long long)c->w.body,
						    resp_ev_name(ev), used,
						    (long long)p.content_length);
					fail();
				}
				continue;
			}
			resp_every_split(c->buf, c->len, &c->w, c->name);
			continue;
		}
		/* BAD, whole and byte by byte: never DONE, and BAD by the end. */
		for (int bytewise = 0; bytewise < 2; bytewise++) {
			struct http_resp p;
			resp_init(&p);
			enum http_resp_event ev = HTTP_RESP_MORE;
			size_t pos = 0;
			while (pos < c->len && ev == HTTP_RESP_MORE) {
				size_t used = 0, n = bytewise ? 1 : c->len;
				ev = http_resp_feed(&p, c->buf + pos, n, &used);
				pos += used;
			}
			if (ev != HTTP_RESP_BAD) {
				print_error("%s (%s): expected BAD, got %s at %zu; reply [%s]\n",
					    c->name, bytewise ? "byte by byte" : "whole",
					    resp_ev_name(ev), pos, sbunit_show(c->buf, c->len));
				fail();
			}
		}
	}
}

/* The reply's framing, not the buffer, says where it ends: bytes after it
 * are left unused (the load generator counts them as an integrity error:
 * it asked for one reply). */
static void test_resp_extra_bytes(void **state)
{
	(void)state;
	const char s[] = NGINX_200 NGINX_404 "garbage";
	const size_t l200 = sizeof NGINX_200 - 1, l404 = sizeof NGINX_404 - 1;
	struct http_resp p;
	size_t used = 0;
	resp_init(&p);
	assert_int_equal(http_resp_feed(&p, SBUNIT_BYTES(s), &used), HTTP_RESP_DONE);
	assert_int_equal(used, l200);
	assert_true(used < sizeof s - 1);
	assert_int_equal(p.status, 200);
	/* The next reply, after a re-init, from where the first ended. */
	resp_init(&p);
	assert_int_equal(http_resp_feed(&p, (const uint8_t *)s + l200, sizeof s - 1 - l200, &used),
			 HTTP_RESP_DONE);
	assert_int_equal(used, l404);
	assert_int_equal(p.status, 404);
	assert_int_equal(p.body, 153);
	/* A zero-length body ends at the head's end, with bytes after it. */
	const char z[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1";
	resp_init(&p);
	assert_int_equal(http_resp_feed(&p, SBUNIT_BYTES(z), &used), HTTP_RESP_DONE);
	assert_int_equal(used, sizeof z - 1 - 8);
	/* The server's own replies followed by a byte. */
	assert_int_equal(http_init(30), 0);
	size_t len;
	const uint8_t *b = http_reply(HTTP_OK, &len);
	uint8_t *x = malloc(len + 1);
	assert_non_null(x);
	memcpy(x, b, len);
	x[len] = 'H';
	resp_init(&p);
	assert_int_equal(http_resp_feed(&p, x, len + 1, &used), HTTP_RESP_DONE);
	assert_int_equal(used, len);
	free(x);
	http_free();
}

/* A call with no bytes is MORE, consumes nothing, and changes nothing. */
static void test_resp_zero_bytes(void **state)
{
	(void)state;
	const char s[] = NGINX_200;
	for (size_t cut = 0; cut < sizeof s - 1; cut++) {
		struct http_resp p;
		size_t used = 99;
		resp_init(&p);
		if (cut)
			assert_int_equal(http_resp_feed(&p, (const uint8_t *)s, cut, &used),
					 HTTP_RESP_MORE);
		struct http_resp before;
		memcpy(&before, &p, sizeof p);
		used = 99;
		assert_int_equal(http_resp_feed(&p, (const uint8_t *)s + cut, 0, &used),
				 HTTP_RESP_MORE);
		assert_int_equal(used, 0);
		assert_memory_equal(&before, &p, sizeof p);
		assert_int_equal(
		    http_resp_feed(&p, (const uint8_t *)s + cut, sizeof s - 1 - cut, &used),
		    HTTP_RESP_DONE);
		assert_int_equal(used, sizeof s - 1 - cut);
	}
}

/* The parser's state stays small: it is kept per connection (one cache
 * line; docs/performance.md counts it). */
static void test_resp_state_size(void **state)
{
	(void)state;
	assert_true(sizeof(struct http_resp) <= 64);
}

/* Framing a reply wrongly misreads every reply after it, so whatever
 * RFC 9112 calls invalid framing must be BAD, not guessed at; and a
 * server's "close" must be seen wherever it stands in the Connection list
 * (RFC 9112 section 9.6), or the next request goes to a closing socket.
 * Every case is checked before the test fails, so one run lists them all. */
static void test_resp_strict_framing(void **state)
{
	(void)state;
	static const struct resp_case cases[] = {
	    /* RFC 9110 5.1: a field name is a token; a NUL is none.  (Before
	     * the fix this read past the end of the "connection" literal in
	     * name_char: AddressSanitizer global-buffer-overflow.) */
	    RBAD("NUL in a header name", "HTTP/1.1 200 OK\r\nconnection\0x: close\r\n"
					 "Content-Length: 0\r\n\r\n"),
	    RBAD("NUL after Content-Length's name",
		 "HTTP/1.1 200 OK\r\nContent-Length\0: 5\r\nContent-Length: 0\r\n\r\n"),
	    /* RFC 9112 6.3 item 5: an invalid Content-Length is an
	     * unrecoverable framing error. */
	    RBAD("blank inside Content-Length's digits",
		 "HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\nabcdefghijkl"),
	    RBAD("empty Content-Length", "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n"),
	    RBAD("a 4-digit status", "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"),
	    RBAD("no blank after the status", "HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n"),
	    RBAD("two different Content-Lengths",
		 "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 0\r\n\r\n"),
	    /* RFC 9112 2.2: a recipient MAY take a bare LF as a line end; read
	     * as part of the reason phrase it swallows the whole head, and the
	     * request waits for its timeout.  BAD, or DONE read as LF lines;
	     * never MORE once the reply is all there. */
	    RBAD("bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 0\n\n"),
	    DONE("close after keep-alive in the Connection list",
		 "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n",
		 200, 0, false),
	    DONE("close first in the Connection list",
		 "HTTP/1.1 200 OK\r\nConnection: close, Upgrade\r\nContent-Length: 0\r\n\r\n", 200,
		 0, false),
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct resp_case *c = &cases[i];
		struct http_resp p;
		size_t used = 0;
		resp_init(&p);
		enum http_resp_event ev = http_resp_feed(&p, c->buf, c->len, &used);
		bool ok = ev == c->want;
		if (!ok && c->want == HTTP_RESP_BAD && !strcmp(c->name, "bare LF line ends"))
			ok = ev == HTTP_RESP_DONE && used == c->len && p.status == 200 &&
			     p.body == 0; /* the bare LF case, read as LF lines */
		if (ok && ev == HTTP_RESP_DONE)
			ok = used == c->len && p.status == c->w.status &&
			     p.body == (uint64_t)c->w.body && http_resp_keep(&p) == c->w.keep;
		if (!ok) {
			print_error("%s: expected %s (keep %d), got %s used %zu of %zu status %u "
				    "body %llu keep %d; reply [%s]\n",
				    c->name, resp_ev_name(c->want), (int)c->w.keep,
				    resp_ev_name(ev), used, c->len, p.status,
				    (unsigned long long)p.body, (int)http_resp_keep(&p),
				    sbunit_show(c->buf, c->len));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* RFC 9112 section 6.3: chunked bodies (extensions, trailers), interim
 * 1xx replies, and the replies that have no body whatever their head says.
 * Every split, as the table above. */
static const struct resp_case framing_cases[] = {
    DONE("chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	 200, 5, true),
    DONE("chunked, lower case, in pieces with an extension and a trailer",
	 "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
	 "5;name=\"a value\"\r\nHello\r\n8 ; x\r\n, World!\r\n0\r\nX-Trailer: yes\r\n"
	 "Content-Length: 99\r\n\r\n",
	 200, 13, true),
    DONE("chunked, hex sizes in both cases, leading zeros, last-chunk 000",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	 "0A\r\n0123456789\r\n0001a\r\nabcdefghijklmnopqrstuvwxyz\r\n000\r\n\r\n",
	 200, 36, true),
    DONE("chunked, Connection: close",
	 "HTTP/1.1 200 OK\r\nConnection: close\r\n"
	 "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
	 200, 1, false),
    DONE("gzip, chunked: chunked last",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
	 "2\r\nab\r\n0\r\n\r\n",
	 200, 2, true),
    DONE("two Transfer-Encoding fields, chunked last",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
	 "2\r\nab\r\n0\r\n\r\n",
	 200, 2, true),
    DONE("a body that looks like chunks is data",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n0\r\n\r\n\r\n\r\n0\r\n\r\n",
	 200, 7, true),
    DONE("100 Continue, then the 200",
	 "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, 2,
	 true),
    DONE("100 and 103 with fields, then a 404",
	 "HTTP/1.1 100 Continue\r\nConnection: close\r\nContent-Length: 7\r\n\r\n"
	 "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
	 "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop",
	 404, 3, true),
    DONE("204: no body, a Content-Length notwithstanding",
	 "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 204, 0, true),
    DONE("204 without Content-Length", "HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n", 204, 0,
	 true),
    DONE("304: no body, chunked notwithstanding",
	 "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", 304, 0, true),
};

static void test_resp_framings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof framing_cases / sizeof framing_cases[0]; i++)
		resp_every_split(framing_cases[i].buf, framing_cases[i].len, &framing_cases[i].w,
				 framing_cases[i].name);
	/* Bad chunk framing, whole and byte by byte. */
	static const struct resp_case bad[] = {
	    RBAD("no size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n"),
	    RBAD("a size that is no hex",
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n"),
	    RBAD("a letter after the size's blanks",
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n0\r\n\r\n"),
	    RBAD("no CRLF after the data",
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n"),
	    RBAD("a bare LF after the size",
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n"),
	    RBAD("a control in an extension",
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a\x01\r\nab\r\n0\r\n\r\n"),
	    RBAD("a blank before a trailer's colon",
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T : 1\r\n\r\n"),
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		for (int bytewise = 0; bytewise < 2; bytewise++) {
			struct http_resp p;
			resp_init(&p);
			enum http_resp_event ev = HTTP_RESP_MORE;
			size_t pos = 0;
			while (pos < bad[i].len && ev == HTTP_RESP_MORE) {
				size_t used = 0;
				ev = http_resp_feed(&p, bad[i].buf + pos,
						    bytewise ? 1 : bad[i].len - pos, &used);
				pos += used;
			}
			if (ev != HTTP_RESP_BAD) {
				print_error("chunked, %s: expected BAD, got %s at %zu\n",
					    bad[i].name, resp_ev_name(ev), pos);
				fail();
			}
		}
}

/* Feed all of b (cut at `cut`, 0: whole) and expect MORE with every byte
 * used: the reply goes on. */
static void feed_more(struct http_resp *p, const uint8_t *b, size_t len, size_t cut,
		      const char *what)
{
	size_t used = 0, at = 0;
	for (int k = 0; k < 2; k++) {
		size_t end = k == 0 && cut ? cut : len;
		enum http_resp_event ev = http_resp_feed(p, b + at, end - at, &used);
		if (ev != HTTP_RESP_MORE || used != end - at) {
			print_error("%s (cut %zu): expected MORE using %zu, got %s using %zu\n",
				    what, cut, end - at, resp_ev_name(ev), used);
			fail();
		}
		at = end;
	}
}

/* No Content-Length, not chunked: the close ends the body (RFC 9112
 * section 6.3, item 7) and the connection; a close anywhere else cuts
 * the reply short. */
static void test_resp_close_delimited(void **state)
{
	(void)state;
	static const char r[] = "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nHello, World!";
	for (size_t cut = 0; cut < sizeof r - 1; cut++) {
		struct http_resp p;
		resp_init(&p);
		feed_more(&p, SBUNIT_BYTES(r), cut, "close-delimited");
		assert_true(http_resp_eof(&p));
		assert_int_equal(p.status, 200);
		assert_int_equal(p.body, 13);
		assert_false(http_resp_keep(&p));
	}
	struct http_resp p;
	resp_init(&p); /* an empty body, HTTP/1.0 */
	feed_more(&p, SBUNIT_BYTES("HTTP/1.0 200 OK\r\n\r\n"), 0, "empty");
	assert_true(http_resp_eof(&p));
	assert_int_equal(p.body, 0);
	resp_init(&p); /* a coding other than chunked last */
	feed_more(&p,
		  SBUNIT_BYTES("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n5\r\n"),
		  0, "chunked, gzip");
	assert_true(http_resp_eof(&p));
	assert_int_equal(p.body, 3);
	/* cut short: in the head, in a Content-Length body, in a chunk */
	static const char *const cut_short[] = {
	    "HTTP/1.1 200 OK\r\nServer: x\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
	    "",
	};
	for (size_t i = 0; i < sizeof cut_short / sizeof cut_short[0]; i++) {
		resp_init(&p);
		if (*cut_short[i])
			feed_more(&p, (const uint8_t *)cut_short[i], strlen(cut_short[i]), 0,
				  cut_short[i]);
		assert_false(http_resp_eof(&p));
	}
}

/* One reply fed whole and byte by byte: the event it ends with and the
 * bytes used up to it. */
static void expect_end(const uint8_t *b, size_t len, uint32_t max_head, uint64_t max_msg,
		       enum http_resp_event want, size_t want_used, const char *what)
{
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		struct http_resp p;
		http_resp_init(&p, max_head, max_msg);
		enum http_resp_event ev = HTTP_RESP_MORE;
		size_t pos = 0;
		while (pos < len && ev == HTTP_RESP_MORE) {
			size_t used = 0;
			ev = http_resp_feed(&p, b + pos, bytewise ? 1 : len - pos, &used);
			pos += used;
		}
		if (ev != want || pos != want_used) {
			print_error(
			    "%s (%s, max_head %u, max_msg %llu): expected %s at %zu, got %s "
			    "at %zu\n",
			    what, bytewise ? "byte by byte" : "whole", max_head,
			    (unsigned long long)max_msg, resp_ev_name(want), want_used,
			    resp_ev_name(ev), pos);
			fail();
		}
	}
}

/* --max-head: the heads (interim ones too) and the trailers together, a
 * chunk-size line on its own; --max-msg: the decoded body, refused before
 * a byte of it is read when its length is announced. */
static void test_resp_limits(void **state)
{
	(void)state;
	static const char h[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	const size_t hl = sizeof h - 1 - 5; /* 38 */
	expect_end(SBUNIT_BYTES(h), (uint32_t)hl, 5, HTTP_RESP_DONE, sizeof h - 1, "head at max");
	expect_end(SBUNIT_BYTES(h), (uint32_t)hl - 1, 5, HTTP_RESP_HEAD_TOO_BIG, hl,
		   "head one past");
	expect_end(SBUNIT_BYTES(h), (uint32_t)hl, 4, HTTP_RESP_TOO_BIG, hl,
		   "Content-Length one past max_msg: refused at the head's end");
	expect_end(SBUNIT_BYTES(h), (uint32_t)hl, 0, HTTP_RESP_TOO_BIG, hl, "max_msg 0");
	expect_end(
	    SBUNIT_BYTES("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
	    LIM_HEAD, LIM_MSG, HTTP_RESP_TOO_BIG, 60,
	    "a length past any --max-msg, whatever its digits");
	/* interim heads count too */
	static const char c[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
	expect_end(SBUNIT_BYTES(c), sizeof c - 1, 0, HTTP_RESP_DONE, sizeof c - 1,
		   "100 + 204 at max");
	expect_end(SBUNIT_BYTES(c), sizeof c - 2, 0, HTTP_RESP_HEAD_TOO_BIG, sizeof c - 1,
		   "100 + 204 one past");
	/* chunked: the sum of the chunks against max_msg, each decided at
	 * its size line; trailers count with the head; a chunk-size line
	 * (extensions and all) on its own */
	static const char k[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				"5;ext=1\r\nhello\r\n8\r\n, World!\r\n0\r\nX-T: 1\r\n\r\n";
	const size_t kh = 47, k8 = kh + 9 + 7; /* the "8" of the second size line */
	expect_end(SBUNIT_BYTES(k), LIM_HEAD, 13, HTTP_RESP_DONE, sizeof k - 1, "chunked at max");
	expect_end(SBUNIT_BYTES(k), LIM_HEAD, 12, HTTP_RESP_TOO_BIG, k8 + 1,
		   "chunked one past: at the size of the chunk that passes");
	expect_end(SBUNIT_BYTES(k), 8, 13, HTTP_RESP_HEAD_TOO_BIG, 9, "a small max_head");
	expect_end(SBUNIT_BYTES(k), kh + 10, 13, HTTP_RESP_DONE, sizeof k - 1,
		   "the head and the trailers (57 bytes), lines of at most 9");
	expect_end(SBUNIT_BYTES(k), kh + 9, 13, HTTP_RESP_HEAD_TOO_BIG, sizeof k - 1,
		   "the trailers one past");
	static const char x[] =
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "1;aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n0\r\n\r\n";
	expect_end(SBUNIT_BYTES(x), 64, 1, HTTP_RESP_HEAD_TOO_BIG, kh + 65,
		   "a chunk-size line of 66 bytes, max_head 64");
	/* close-delimited: the byte past max_msg */
	static const char e[] = "HTTP/1.1 200 OK\r\n\r\nHello, World!";
	expect_end(SBUNIT_BYTES(e), LIM_HEAD, 12, HTTP_RESP_TOO_BIG, sizeof e - 1,
		   "close-delimited, one past");
	expect_end(SBUNIT_BYTES(e), LIM_HEAD, 13, HTTP_RESP_MORE, sizeof e - 1,
		   "close-delimited, at max");
}

/* A reply to HEAD has no body, whatever its head announces. */
static void test_resp_nobody(void **state)
{
	(void)state;
	static const char r[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
	struct http_resp p;
	size_t used = 0;
	resp_init(&p);
	http_resp_nobody(&p);
	assert_int_equal(http_resp_feed(&p, SBUNIT_BYTES(r), &used), HTTP_RESP_DONE);
	assert_int_equal(used, sizeof r - 1);
	assert_int_equal(p.body, 0);
	assert_true(http_resp_keep(&p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resp_own_replies), cmocka_unit_test(test_resp_table),
	    cmocka_unit_test(test_resp_extra_bytes), cmocka_unit_test(test_resp_zero_bytes),
	    cmocka_unit_test(test_resp_state_size),  cmocka_unit_test(test_resp_strict_framing),
	    cmocka_unit_test(test_resp_framings),    cmocka_unit_test(test_resp_close_delimited),
	    cmocka_unit_test(test_resp_limits),	     cmocka_unit_test(test_resp_nobody),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

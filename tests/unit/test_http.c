/* test_http.c - the server side of the http protocol (SPEC section 3): the
 * request parser (http_parse) and the prebuilt replies (http_init,
 * http_reply, http_reply_for).  The load generator's reply parser
 * (http_resp_feed) is tested in test_http_resp.c.
 *
 * Like test_rr.c, the parser is fed every way TCP can cut a stream:
 * whole, cut in two at every offset, one byte at a time and in random
 * chunks from a fixed-seed splitmix64 (a failure repeats; messages name the
 * case and the cut).  Requests and replies are written out byte for byte
 * here, not built with the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "sbunit.h"
#include "sockbench/proto.h"

#define SEED 0x477470ULL

static const char *ev_name(int ev)
{
	switch (ev) {
	case HTTP_MORE:
		return "MORE";
	case HTTP_REQUEST:
		return "REQUEST";
	case HTTP_BAD:
		return "BAD";
	case HTTP_TOO_BIG:
		return "TOO_BIG";
	}
	return "?";
}

/* ---- http_parse: the table ---------------------------------------------- */

struct parse_case {
	const char *name;
	const uint8_t *buf;
	size_t len;
	enum http_event want;
	int keep;	 /* REQUEST: keep_alive expected */
	int minor;	 /* REQUEST: HTTP/1.minor expected */
	size_t head_len; /* REQUEST: 0 = the whole buffer */
};

/* clang-format off */
#define REQ(name, s, keep, minor) {name, SBUNIT_BYTES(s), HTTP_REQUEST, keep, minor, 0}
#define BAD(name, s)		  {name, SBUNIT_BYTES(s), HTTP_BAD, 0, 0, 0}
/* clang-format on */

static const struct parse_case parse_cases[] = {
    REQ("GET 1.1 keeps the connection", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1, 1),
    REQ("wrk's request", "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", 1, 1),
    REQ("1.1 without any header", "GET / HTTP/1.1\r\n\r\n", 1, 1),
    REQ("1.1 + Connection: close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 0, 1),
    REQ("1.0 closes", "GET / HTTP/1.0\r\n\r\n", 0, 0),
    REQ("1.0 + Connection: keep-alive (ab -k)",
	"GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", 1, 0),
    REQ("header names in capitals", "GET / HTTP/1.1\r\nHOST: a\r\nCONNECTION: CLOSE\r\n\r\n", 0, 1),
    REQ("mixed-case name and value", "GET / HTTP/1.0\r\ncOnNeCtIoN: Keep-Alive\r\n\r\n", 1, 0),
    REQ("value after a tab", "GET / HTTP/1.1\r\nConnection:\tclose\r\n\r\n", 0, 1),
    REQ("value with no blank", "GET / HTTP/1.1\r\nConnection:close\r\n\r\n", 0, 1),
    REQ("token list: keep-alive, Upgrade",
	"GET / HTTP/1.0\r\nConnection: keep-alive, Upgrade\r\n\r\n", 1, 0),
    REQ("token list: Upgrade, close", "GET / HTTP/1.1\r\nConnection: Upgrade, close\r\n\r\n", 0, 1),
    REQ("token list: Upgrade,close (no blank)",
	"GET / HTTP/1.1\r\nConnection: Upgrade,close\r\n\r\n", 0, 1),
    REQ("close and keep-alive: close wins",
	"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", 0, 0),
    REQ("Connection: Upgrade alone keeps 1.1", "GET / HTTP/1.1\r\nConnection: Upgrade\r\n\r\n", 1,
	1),
    REQ("'closed' is not 'close'", "GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", 1, 1),
    REQ("'keep-alive-ish' is not 'keep-alive'",
	"GET / HTTP/1.0\r\nConnection: keep-alive-ish\r\n\r\n", 0, 0),
    REQ("X-Connection is another header", "GET / HTTP/1.1\r\nX-Connection: close\r\n\r\n", 1, 1),
    REQ("a value that mentions close", "GET / HTTP/1.1\r\nUser-Agent: close\r\n\r\n", 1, 1),
    REQ("Content-Length: 0", "GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 1, 1),
    REQ("Content-Length: 00", "GET / HTTP/1.1\r\ncontent-length: 00\r\n\r\n", 1, 1),
    REQ("Content-Length: 0 and a trailing blank", "GET / HTTP/1.1\r\nContent-Length: 0 \r\n\r\n", 1,
	1),
    REQ("long target with a query", "GET /a/b/c.html?x=1&y=%20 HTTP/1.1\r\nHost: a\r\n\r\n", 1, 1),
    REQ("absolute-form target", "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 1, 1),
    REQ("curl's request",
	"GET / HTTP/1.1\r\nHost: 127.0.0.1:1\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n", 1,
	1),
    REQ("empty header value", "GET / HTTP/1.1\r\nX-Empty:\r\n\r\n", 1, 1),
    /* Not a GET we serve: judged on the first bytes, never waiting. */
    BAD("Content-Length: 5 (a body we would not read)",
	"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"),
    BAD("Content-Length: 1", "GET / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"),
    BAD("empty Content-Length", "GET / HTTP/1.1\r\nContent-Length:\r\n\r\n"),
    BAD("blank before a header's colon", "GET / HTTP/1.1\r\nConnection : close\r\n\r\n"),
    BAD("a header line without a colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n"),
    BAD("Content-Length: 10", "GET / HTTP/1.1\r\nContent-Length: 10\r\n\r\n"),
    BAD("Transfer-Encoding: chunked", "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
    BAD("transfer-encoding lower case", "GET / HTTP/1.1\r\ntransfer-encoding: identity\r\n\r\n"),
    BAD("POST", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"),
    BAD("POST, its first byte only", "P"),
    BAD("POST, its first 3 bytes", "POS"),
    BAD("HEAD", "HEAD / HTTP/1.1\r\n\r\n"),
    BAD("PUT", "PUT / HTTP/1.1\r\n\r\n"),
    BAD("lower-case get", "get / HTTP/1.1\r\n\r\n"),
    BAD("GETX", "GETX / HTTP/1.1\r\n\r\n"),
    BAD("nc typing hello", "hello"),
    BAD("a TLS ClientHello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
    BAD("bare LF line ends", "GET / HTTP/1.1\nHost: a\n\n"),
    BAD("bare LF after the request line, nothing more yet", "GET / HTTP/1.1\n"),
    BAD("one bare LF among CRLFs", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"),
    BAD("bare LF ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\n"),
    BAD("bare CR in a header", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"),
    BAD("NUL in the target", "GET /\0 HTTP/1.1\r\n\r\n"),
    BAD("NUL in a header value", "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"),
    BAD("NUL in a header name", "GET / HTTP/1.1\r\nX\0: ab\r\n\r\n"),
    BAD("HTTP/2.0", "GET / HTTP/2.0\r\n\r\n"),
    BAD("HTTP/1.2", "GET / HTTP/1.2\r\n\r\n"),
    BAD("HTTP/1.10", "GET / HTTP/1.10\r\n\r\n"),
    BAD("HTTP/0.9 style, no version", "GET /\r\n\r\n"),
    BAD("lower-case protocol", "GET / http/1.1\r\n\r\n"),
    BAD("two blanks after GET", "GET  / HTTP/1.1\r\n\r\n"),
    BAD("blank after the version", "GET / HTTP/1.1 \r\n\r\n"),
    BAD("control byte in the target", "GET /a\tb HTTP/1.1\r\n\r\n"),
    BAD("no target", "GET HTTP/1.1\r\n\r\n"),
    BAD("header line without a colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n"),
};

static void check_parse_case(const struct parse_case *c, size_t max_head)
{
	struct http_req r = {.head_len = 12345, .keep_alive = 0, .minor = 77};
	enum http_event ev = http_parse(c->buf, c->len, max_head, &r);
	if ((int)ev != (int)c->want) {
		print_error("http_parse %s [%s]: expected %s, got %s\n", c->name,
			    sbunit_show(c->buf, c->len), ev_name(c->want), ev_name(ev));
		fail();
	}
	if (ev != HTTP_REQUEST)
		return;
	size_t hl = c->head_len ? c->head_len : c->len;
	if (r.head_len != hl || (int)r.keep_alive != c->keep || r.minor != c->minor) {
		print_error("http_parse %s [%s]: expected head_len %zu keep_alive %d minor %d, got "
			    "%zu %d %d\n",
			    c->name, sbunit_show(c->buf, c->len), hl, c->keep, c->minor, r.head_len,
			    (int)r.keep_alive, r.minor);
		fail();
	}
}

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++)
		check_parse_case(&parse_cases[i], HTTP_MAX_HEAD);
}

/* A bad request is bad from the first byte that shows it, whatever
 * follows: every prefix that reaches that byte is BAD too, and no prefix
 * before it is a REQUEST. */
static void test_parse_bad_at_first_bytes(void **state)
{
	(void)state;
	const struct {
		const char *s;
		size_t bad_from; /* the shortest BAD prefix */
	} cases[] = {
	    {"hello", 1},
	    {"POST / HTTP/1.1\r\n\r\n", 1},
	    {"GEX / HTTP/1.1\r\n\r\n", 3},
	    {"GET\t/ HTTP/1.1\r\n\r\n", 4},
	    {"GET / HTTP/1.1\nHost: a\r\n\r\n", 15}, /* at the bare LF */
	    {"GET / HTTP/1.1\r\nHost: a\n\r\n", 24},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const uint8_t *b = (const uint8_t *)cases[i].s;
		size_t len = strlen(cases[i].s);
		for (size_t k = 1; k <= len; k++) {
			struct http_req r;
			enum http_event ev = http_parse(b, k, HTTP_MAX_HEAD, &r);
			enum http_event want = k >= cases[i].bad_from ? HTTP_BAD : HTTP_MORE;
			if (ev != want) {
				print_error("http_parse of the first %zu bytes of [%s]: expected "
					    "%s, got %s\n",
					    k, sbunit_show(b, len), ev_name(want), ev_name(ev));
				fail();
			}
		}
	}
}

/* ---- http_parse: split invariance and pipelining ------------------------ */

static const char *const good_requests[] = {
    "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
    "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    "GET / HTTP/1.0\r\n\r\n",
    "GET /index.html HTTP/1.0\r\nConnection: Keep-Alive\r\nUser-Agent: ApacheBench/2.3\r\n\r\n",
    "GET / HTTP/1.1\r\n\r\n",
    "GET / HTTP/1.1\r\nContent-Length: 0\r\nConnection: keep-alive, Upgrade\r\n\r\n",
};
#define N_GOOD (sizeof good_requests / sizeof good_requests[0])

/* What the table says about each good request. */
static void good_want(size_t i, struct http_req *w)
{
	static const int keep[N_GOOD] = {1, 0, 0, 1, 1, 1}, minor[N_GOOD] = {1, 1, 0, 0, 1, 1};
	w->head_len = strlen(good_requests[i]);
	w->keep_alive = keep[i];
	w->minor = minor[i];
}

/* Every proper prefix is MORE; the whole request, and the whole request
 * followed by any prefix of the next one, is REQUEST with the same
 * head_len: the bytes after a head never change where it ends. */
static void test_parse_every_prefix(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_GOOD; i++) {
		size_t next = (i + 1) % N_GOOD;
		size_t la = strlen(good_requests[i]), lb = strlen(good_requests[next]);
		uint8_t *b = malloc(la + lb);
		assert_non_null(b);
		memcpy(b, good_requests[i], la);
		memcpy(b + la, good_requests[next], lb);
		struct http_req w;
		good_want(i, &w);
		for (size_t k = 0; k <= la + lb; k++) {
			struct http_req r = {0};
			enum http_event ev = http_parse(b, k, HTTP_MAX_HEAD, &r);
			enum http_event want = k < la ? HTTP_MORE : HTTP_REQUEST;
			if (ev != want || (ev == HTTP_REQUEST &&
					   (r.head_len != w.head_len ||
					    r.keep_alive != w.keep_alive || r.minor != w.minor))) {
				print_error(
				    "http_parse of the first %zu bytes of [%s]: expected %s "
				    "head_len %zu keep %d minor %d, got %s %zu %d %d\n",
				    k, sbunit_show(b, la + lb), ev_name(want), w.head_len,
				    (int)w.keep_alive, w.minor, ev_name(ev), r.head_len,
				    (int)r.keep_alive, r.minor);
				fail();
			}
		}
		free(b);
	}
}

/* A server's loop: bytes arrive in chunks into one buffer, each complete
 * head is consumed as http_advance does (memmove).  Every request of the
 * pipelined stream must come out, in order, whatever the chunks. */
struct pipe_stream {
	uint8_t buf[2048];
	size_t len;
	size_t n;
	size_t idx[64]; /* which good request each one is */
};

static void pipe_build(struct pipe_stream *s, size_t n, uint64_t seed)
{
	s->len = 0;
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		s->idx[i] = seed ? sbunit_rng_below(&seed, N_GOOD) : i % N_GOOD;
		size_t l = strlen(good_requests[s->idx[i]]);
		assert_true(s->len + l <= sizeof s->buf);
		memcpy(s->buf + s->len, good_requests[s->idx[i]], l);
		s->len += l;
	}
}

/* Feed the stream cut at the offsets cuts[0..ncuts) (ascending). */
static void pipe_feed(const struct pipe_stream *s, const size_t *cuts, size_t ncuts,
		      const char *how)
{
	uint8_t buf[2048];
	size_t have = 0, pos = 0, got = 0;
	for (size_t c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : s->len;
		memcpy(buf + have, s->buf + pos, end - pos);
		have += end - pos;
		pos = end;
		for (;;) {
			struct http_req r;
			enum http_event ev = http_parse(buf, have, HTTP_MAX_HEAD, &r);
			if (ev == HTTP_MORE)
				break;
			if (ev != HTTP_REQUEST || got >= s->n) {
				print_error("%s (cut %zu): request %zu of %zu: got %s\n", how,
					    c < ncuts ? cuts[c] : s->len, got, s->n, ev_name(ev));
				fail();
			}
			struct http_req w;
			good_want(s->idx[got], &w);
			if (r.head_len != w.head_len || r.keep_alive != w.keep_alive ||
			    r.minor != w.minor) {
				print_error(
				    "%s: request %zu: expected head_len %zu keep %d minor %d, "
				    "got %zu %d %d\n",
				    how, got, w.head_len, (int)w.keep_alive, w.minor, r.head_len,
				    (int)r.keep_alive, r.minor);
				fail();
			}
			memmove(buf, buf + r.head_len, have - r.head_len);
			have -= r.head_len;
			got++;
		}
	}
	if (got != s->n || have != 0) {
		print_error("%s: expected %zu requests and nothing left, got %zu with %zu bytes "
			    "left\n",
			    how, s->n, got, have);
		fail();
	}
}

static void test_parse_pipelined_splits(void **state)
{
	(void)state;
	struct pipe_stream s;
	pipe_build(&s, N_GOOD, 0);
	pipe_feed(&s, NULL, 0, "whole stream");
	for (size_t a = 0; a <= s.len; a++)
		pipe_feed(&s, &a, 1, "cut in two");
	size_t *one = malloc(s.len * sizeof *one);
	assert_non_null(one);
	for (size_t i = 0; i < s.len; i++)
		one[i] = i;
	pipe_feed(&s, one, s.len, "one byte at a time");
	free(one);
	for (uint64_t seed = 1; seed <= 200; seed++) {
		uint64_t r = SEED + seed;
		pipe_build(&s, 2 + sbunit_rng_below(&r, 12), r);
		size_t cuts[64], n = 0, at = 0;
		while (n < 64) {
			at += 1 + sbunit_rng_below(&r, 90);
			if (at >= s.len)
				break;
			cuts[n++] = at;
		}
		pipe_feed(&s, cuts, n, "random chunks");
	}
}

/* ---- http_parse: the head bound ----------------------------------------- */

/* "GET / HTTP/1.1\r\nX: aaaa...\r\n\r\n" of exactly len bytes. */
static uint8_t *head_of(size_t len)
{
	static const char pre[] = "GET / HTTP/1.1\r\nX: ";
	assert_true(len >= sizeof pre - 1 + 4 + 1);
	uint8_t *b = malloc(len);
	assert_non_null(b);
	memcpy(b, pre, sizeof pre - 1);
	memset(b + sizeof pre - 1, 'a', len - (sizeof pre - 1) - 4);
	memcpy(b + len - 4, "\r\n\r\n", 4);
	return b;
}

static void test_parse_too_big(void **state)
{
	(void)state;
	const size_t maxes[] = {64, 100, HTTP_MAX_HEAD};
	for (size_t m = 0; m < sizeof maxes / sizeof maxes[0]; m++) {
		size_t max = maxes[m];
		struct http_req r;
		/* A head of exactly max bytes is served. */
		uint8_t *b = head_of(max);
		assert_int_equal(http_parse(b, max, max, &r), HTTP_REQUEST);
		assert_int_equal(r.head_len, max);
		free(b);
		/* One byte more: MORE until max bytes are there, then TOO_BIG,
		 * whatever comes after. */
		b = head_of(max + 1);
		for (size_t k = 1; k <= max + 1; k++) {
			enum http_event ev = http_parse(b, k, max, &r);
			enum http_event want = k < max ? HTTP_MORE : HTTP_TOO_BIG;
			if (ev != want) {
				print_error("head of %zu bytes, max_head %zu, first %zu bytes: "
					    "expected %s, got %s\n",
					    max + 1, max, k, ev_name(want), ev_name(ev));
				fail();
			}
		}
		free(b);
		/* 64 KiB of header with no end: TOO_BIG, looking at max only. */
		size_t big = 64 * 1024;
		b = head_of(big);
		assert_int_equal(http_parse(b, big - 4, max, &r), HTTP_TOO_BIG);
		assert_int_equal(http_parse(b, big, max, &r), HTTP_TOO_BIG);
		free(b);
	}
	/* A small request followed by a long pipelined one: the first is
	 * served (the bound is on one head, not on the buffer). */
	const char first[] = "GET / HTTP/1.1\r\n\r\n";
	uint8_t *b = head_of(HTTP_MAX_HEAD * 2);
	memcpy(b, first, sizeof first - 1);
	struct http_req r;
	assert_int_equal(http_parse(b, HTTP_MAX_HEAD * 2, HTTP_MAX_HEAD, &r), HTTP_REQUEST);
	assert_int_equal(r.head_len, sizeof first - 1);
	free(b);
}

/* head_len is exact with whole requests following it in the buffer. */
static void test_parse_head_len_pipelined(void **state)
{
	(void)state;
	const char s[] = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
			 "GET /2 HTTP/1.1\r\n\r\n"
			 "GET /3 HTTP/1.0\r\n\r\n";
	const size_t lens[] = {28, 19, 19};
	const int keep[] = {1, 1, 0};
	size_t at = 0;
	for (size_t i = 0; i < 3; i++) {
		struct http_req r;
		assert_int_equal(
		    http_parse((const uint8_t *)s + at, sizeof s - 1 - at, HTTP_MAX_HEAD, &r),
		    HTTP_REQUEST);
		assert_int_equal(r.head_len, lens[i]);
		assert_int_equal(r.keep_alive, keep[i]);
		at += r.head_len;
	}
	assert_int_equal(at, sizeof s - 1);
}

/* ---- replies ------------------------------------------------------------- */

static const char hello[] = "Hello, World!";

/* How many times the head holds this exact header line ("Name: value"). */
static int header_count(const uint8_t *b, size_t head, const char *line)
{
	int n = 0;
	size_t l = strlen(line);
	for (size_t i = 0; i + l + 2 <= head; i++)
		if ((i == 0 || b[i - 1] == '\n') && !memcmp(b + i, line, l) &&
		    !memcmp(b + i + l, "\r\n", 2))
			n++;
	return n;
}

/* Lines in the head that start with this name (case-insensitive). */
static int name_count(const uint8_t *b, size_t head, const char *name)
{
	int n = 0;
	size_t l = strlen(name);
	for (size_t i = 0; i + l <= head; i++)
		if ((i == 0 || b[i - 1] == '\n') && !strncasecmp((const char *)b + i, name, l))
			n++;
	return n;
}

static void check_reply(enum http_reply_kind k, const char *status_line, size_t body_len,
			const char *conn, const uint8_t *body)
{
	size_t len = 0, head = 0;
	const uint8_t *b = http_reply(k, &len);
	assert_non_null(b);
	sbunit_split_reply(b, len, &head);
	size_t sl = strlen(status_line);
	if (head < sl + 2 || memcmp(b, status_line, sl) || memcmp(b + sl, "\r\n", 2)) {
		print_error("reply %d: expected status line [%s], reply [%s]\n", (int)k,
			    status_line, sbunit_show(b, len));
		fail();
	}
	if (len - head != body_len) {
		print_error("reply %d (%s): body expected %zu bytes, got %zu\n", (int)k,
			    status_line, body_len, len - head);
		fail();
	}
	char cl[64];
	snprintf(cl, sizeof cl, "Content-Length: %zu", body_len);
	if (header_count(b, head, cl) != 1 || name_count(b, head, "content-length:") != 1) {
		print_error("reply %d: expected one [%s] header, head [%s]\n", (int)k, cl,
			    sbunit_show(b, head));
		fail();
	}
	/* conn NULL: an HTTP/1.1 reply that keeps the connection, with no
	 * Connection header or "Connection: keep-alive". */
	int nconn = name_count(b, head, "connection:");
	bool conn_ok = conn ? nconn == 1 && header_count(b, head, conn) == 1
			    : nconn == 0 || (nconn == 1 &&
					     header_count(b, head, "Connection: keep-alive") == 1);
	if (!conn_ok) {
		print_error("reply %d: expected Connection header [%s], head [%s]\n", (int)k,
			    conn ? conn : "(none)", sbunit_show(b, head));
		fail();
	}
	if (name_count(b, head, "transfer-encoding:")) {
		print_error("reply %d: Transfer-Encoding in [%s]\n", (int)k, sbunit_show(b, head));
		fail();
	}
	if (body)
		assert_memory_equal(b + head, body, body_len);
}

static void test_reply_bodies(void **state)
{
	(void)state;
	const size_t sizes[] = {0, 1, 12, 13, 14, 26, 30, 100000};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		size_t n = sizes[s];
		assert_int_equal(http_init(n), 0);
		/* "Hello, World!" repeated and cut to n, built here byte by byte. */
		uint8_t *want = malloc(n + 1);
		assert_non_null(want);
		for (size_t i = 0; i < n; i++)
			want[i] = (uint8_t)hello[i % 13];
		check_reply(HTTP_OK, "HTTP/1.1 200 OK", n, NULL, want);
		check_reply(HTTP_OK_KEEP, "HTTP/1.1 200 OK", n, "Connection: keep-alive", want);
		check_reply(HTTP_OK_CLOSE, "HTTP/1.1 200 OK", n, "Connection: close", want);
		free(want);
	}
	/* The literal bodies SPEC section 3 promises. */
	assert_int_equal(http_init(30), 0);
	size_t len, head;
	const uint8_t *b = http_reply(HTTP_OK, &len);
	sbunit_split_reply(b, len, &head);
	assert_int_equal(len - head, 30);
	assert_memory_equal(b + head, "Hello, World!Hello, World!Hell", 30);
	assert_int_equal(http_init(13), 0);
	b = http_reply(HTTP_OK, &len);
	sbunit_split_reply(b, len, &head);
	assert_int_equal(len - head, 13);
	assert_memory_equal(b + head, "Hello, World!", 13);
	http_free();
}

static void test_reply_errors(void **state)
{
	(void)state;
	const size_t sizes[] = {0, 13, 100000};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		assert_int_equal(http_init(sizes[s]), 0);
		/* The error replies do not depend on --http-body. */
		size_t len400, len431, head;
		const uint8_t *b = http_reply(HTTP_400, &len400);
		sbunit_split_reply(b, len400, &head);
		check_reply(HTTP_400, "HTTP/1.1 400 Bad Request", len400 - head,
			    "Connection: close", NULL);
		assert_true(len400 - head < 100);
		b = http_reply(HTTP_431, &len431);
		sbunit_split_reply(b, len431, &head);
		check_reply(HTTP_431, "HTTP/1.1 431 Request Header Fields Too Large", len431 - head,
			    "Connection: close", NULL);
		assert_true(len431 - head < 100);
	}
	http_free();
}

static void test_reply_for(void **state)
{
	(void)state;
	const struct {
		bool keep;
		int minor;
		enum http_reply_kind want;
	} cases[] = {
	    {true, 1, HTTP_OK},
	    {true, 0, HTTP_OK_KEEP}, /* 1.0 kept open must say so */
	    {false, 1, HTTP_OK_CLOSE},
	    {false, 0, HTTP_OK_CLOSE},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct http_req r = {
		    .head_len = 10, .keep_alive = cases[i].keep, .minor = cases[i].minor};
		assert_int_equal(http_reply_for(&r), cases[i].want);
	}
	/* And from parsed requests, end to end. */
	struct http_req r;
	assert_int_equal(http_parse(SBUNIT_BYTES("GET / HTTP/1.0\r\n\r\n"), HTTP_MAX_HEAD, &r),
			 HTTP_REQUEST);
	assert_int_equal(http_reply_for(&r), HTTP_OK_CLOSE);
	assert_int_equal(
	    http_parse(SBUNIT_BYTES("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
		       HTTP_MAX_HEAD, &r),
	    HTTP_REQUEST);
	assert_int_equal(http_reply_for(&r), HTTP_OK_KEEP);
	assert_int_equal(http_parse(SBUNIT_BYTES("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"),
				    HTTP_MAX_HEAD, &r),
			 HTTP_REQUEST);
	assert_int_equal(http_reply_for(&r), HTTP_OK_CLOSE);
}

/* http_init again replaces the replies; http_free leaves nothing behind. */
static void test_reply_reinit(void **state)
{
	(void)state;
	size_t len13, len5;
	assert_int_equal(http_init(13), 0);
	http_reply(HTTP_OK, &len13);
	assert_int_equal(http_init(5), 0);
	http_reply(HTTP_OK, &len5);
	assert_int_equal(len13 - len5, 8 + 1); /* 8 body bytes, "13" vs "5" */
	http_free();
	http_free(); /* twice is harmless */
	assert_int_equal(http_init(13), 0);
	size_t again;
	http_reply(HTTP_OK, &again);
	assert_int_equal(again, len13);
	http_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_parse_bad_at_first_bytes),
	    cmocka_unit_test(test_parse_every_prefix),
	    cmocka_unit_test(test_parse_pipelined_splits),
	    cmocka_unit_test(test_parse_too_big),
	    cmocka_unit_test(test_parse_head_len_pipelined),
	    cmocka_unit_test(test_reply_bodies),
	    cmocka_unit_test(test_reply_errors),
	    cmocka_unit_test(test_reply_for),
	    cmocka_unit_test(test_reply_reinit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

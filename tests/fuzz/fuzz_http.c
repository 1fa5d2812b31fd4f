/* fuzz_http.c - the http request parser (http_parse) and the reply parser
 * of the load generator (http_resp_feed).
 *
 * Input: 1 byte of choices, 8 bytes of split seed, then a byte stream. The
 * high bit of the first byte picks the side:
 *
 * - server (http_parse): the stream is what clients sent on one
 *   connection. It is parsed whole, request after request as a server
 *   consumes pipelined heads, and again as it would arrive in pieces drawn
 *   from the seed, appended to a buffer that is parsed after each piece.
 *   Both must give the same requests (head lengths, keep-alive, minor) and
 *   end the same way (waiting, 400 or 431). Every head must start with
 *   "GET ", end at its first CRLF CRLF, be at most max_head bytes, and its
 *   keep-alive must agree with the version where no Connection header can
 *   have changed it. max_head is HTTP_MAX_HEAD or, so that 431 is within
 *   reach of short inputs, 4 to 385 from the first byte's low bits.
 * - client (http_resp_feed): the stream is replies, read whole and in
 *   pieces, with limits (max_head, max_msg) drawn from the seed; both must
 *   see the same replies (status, body, end, keep-alive) and end the same
 *   way, a close-delimited body ending at the stream's end (http_resp_eof).
 *   A reply ends where its framing says; the body it reports is within
 *   max_msg and the bytes it used cover its head.  fuzz_http_diff.c holds
 *   the framing against another parser's.
 *
 * Each input also checks that the server's own replies (http_init, with a
 * body length from the seed) read back through http_resp_feed as one whole
 * reply each, with the status and Connection they were built with.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sockbench/proto.h"

/* One request or reply seen, or the end (ev <= 0) of the stream. */
struct event {
	int ev;
	size_t end; /* offset in the stream just past it */
	bool keep;
	int minor; /* requests; replies: status */
};

struct log {
	struct event *e;
	size_t n, cap;
};

static void log_add(struct log *l, struct event e)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->e = realloc(l->e, l->cap * sizeof *l->e);
		if (!l->e)
			abort();
	}
	l->e[l->n++] = e;
}

static bool has_nocase(const uint8_t *s, size_t len, const char *word)
{
	size_t n = strlen(word);
	for (size_t i = 0; i + n <= len; i++) {
		size_t k = 0;
		while (k < n && tolower(s[i + k]) == word[k])
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* Mostly short pieces (1-8 or 1-64 bytes), sometimes the rest. The buffer
 * is parsed again from its start after each piece, as the servers do, so
 * byte-sized pieces of an 8 KB head cost 8192^2/2 byte compares: on long
 * streams pieces are at least 1/32 of the stream, to keep the fuzzer fast. */
static size_t piece_len(uint64_t *seed, size_t left, size_t len)
{
	uint64_t r = fuzz_rng(seed);
	size_t n = (r & 3) == 3 ? left : 1 + (size_t)((r >> 8) % ((r & 2) ? 64 : 8));
	if (n < len / 32)
		n = len / 32;
	return n < left ? n : left;
}

/* ---- server side ---------------------------------------------------------- */

static void check_request(const uint8_t *h, size_t avail, size_t max_head, const struct http_req *r)
{
	FUZZ_CHECK(r->head_len >= 18 && r->head_len <= avail && r->head_len <= max_head,
		   "head_len %zu (available %zu, max_head %zu)", r->head_len, avail, max_head);
	FUZZ_CHECK(!memcmp(h, "GET ", 4), "a request that is not a GET");
	FUZZ_CHECK(!memcmp(h + r->head_len - 4, "\r\n\r\n", 4), "head does not end in CRLF CRLF");
	for (size_t i = 0; i + 4 < r->head_len; i++)
		FUZZ_CHECK(memcmp(h + i, "\r\n\r\n", 4), "head goes past its end at %zu", i);
	FUZZ_CHECK(r->minor == 0 || r->minor == 1, "HTTP/1.%d", r->minor);
	const uint8_t *eol = memchr(h, '\r', r->head_len);
	FUZZ_CHECK(eol - h >= 9 && !memcmp(eol - 9, " HTTP/1.", 8) && eol[-1] == '0' + r->minor,
		   "request line does not end in HTTP/1.%d", r->minor);
	if (!has_nocase(h, r->head_len, "connection"))
		FUZZ_CHECK(r->keep_alive == (r->minor == 1),
			   "HTTP/1.%d with no Connection header: keep_alive %d", r->minor,
			   r->keep_alive);
	if (r->minor == 1 && !has_nocase(h, r->head_len, "close"))
		FUZZ_CHECK(r->keep_alive, "HTTP/1.1 not told to close, yet not kept");
	if (r->minor == 0 && !has_nocase(h, r->head_len, "keep-alive"))
		FUZZ_CHECK(!r->keep_alive, "HTTP/1.0 not told keep-alive, yet kept");
	enum http_reply_kind k = http_reply_for(r);
	FUZZ_CHECK(k == (!r->keep_alive	 ? HTTP_OK_CLOSE
			 : r->minor == 0 ? HTTP_OK_KEEP
					 : HTTP_OK),
		   "reply kind %d for keep_alive %d, HTTP/1.%d", k, r->keep_alive, r->minor);
}

/* Parse buf[*off..len) for as many requests as it holds; the last event
 * when it stops (HTTP_MORE, HTTP_BAD, HTTP_TOO_BIG) is returned, not logged. */
static int serve(const uint8_t *s, size_t *off, size_t len, size_t max_head, struct log *l)
{
	for (;;) {
		struct http_req r;
		memset(&r, 0xa5, sizeof r);
		size_t avail = len - *off;
		enum http_event ev = http_parse(s + *off, avail, max_head, &r);
		if (ev != HTTP_REQUEST) {
			FUZZ_CHECK(ev == HTTP_MORE || ev == HTTP_BAD || ev == HTTP_TOO_BIG,
				   "unknown event %d", ev);
			FUZZ_CHECK(ev != HTTP_MORE || avail < max_head,
				   "HTTP_MORE with %zu bytes, max_head %zu", avail, max_head);
			FUZZ_CHECK(ev != HTTP_TOO_BIG || avail >= max_head,
				   "HTTP_TOO_BIG with %zu bytes, max_head %zu", avail, max_head);
			return ev;
		}
		check_request(s + *off, avail, max_head, &r);
		*off += r.head_len;
		log_add(l, (struct event){ev, *off, r.keep_alive, r.minor});
	}
}

static void server_side(const uint8_t *s, size_t len, size_t max_head, uint64_t seed)
{
	struct log whole = {0}, cut = {0};
	size_t off = 0, have = 0;
	int end = serve(s, &off, len, max_head, &whole);

	/* in pieces: parse what has arrived after each one, as a server does
	 * after each recv(); it stops at the first 400 or 431 */
	int last = HTTP_MORE;
	off = 0;
	while (have < len && last == HTTP_MORE) {
		have += piece_len(&seed, len - have, len);
		last = serve(s, &off, have, max_head, &cut);
	}
	FUZZ_CHECK(cut.n == whole.n, "%zu requests in pieces, %zu whole", cut.n, whole.n);
	for (size_t i = 0; i < whole.n; i++)
		FUZZ_CHECK(
		    cut.e[i].end == whole.e[i].end && cut.e[i].keep == whole.e[i].keep &&
			cut.e[i].minor == whole.e[i].minor,
		    "request %zu: in pieces ends at %zu (keep %d, 1.%d), whole at %zu (%d, 1.%d)",
		    i, cut.e[i].end, cut.e[i].keep, cut.e[i].minor, whole.e[i].end, whole.e[i].keep,
		    whole.e[i].minor);
	FUZZ_CHECK(last == end, "in pieces the stream ends with %d, whole with %d", last, end);
	free(whole.e);
	free(cut.e);
}

/* ---- client side ---------------------------------------------------------- */

struct limits {
	uint32_t max_head;
	uint64_t max_msg;
};

/* Reads replies from s[0..len) in pieces (one piece when seed is NULL); a
 * new parser for each reply, as the load generator does, the stream's end
 * the server's close. */
static int read_replies(const uint8_t *s, size_t len, uint64_t *seed, const struct limits *lim,
			struct log *l)
{
	struct http_resp p;
	size_t off = 0;
	http_resp_init(&p, lim->max_head, lim->max_msg);
	while (off < len) {
		size_t n = seed ? piece_len(seed, len - off, len) : len - off, done = 0;
		while (done < n) {
			size_t used = (size_t)-1, avail = n - done;
			enum http_resp_event ev = http_resp_feed(&p, s + off + done, avail, &used);
			FUZZ_CHECK(used <= avail && used > 0, "used %zu of %zu", used, avail);
			done += used;
			if (ev == HTTP_RESP_MORE) {
				FUZZ_CHECK(done == n, "HTTP_RESP_MORE left %zu bytes", n - done);
				continue;
			}
			if (ev == HTTP_RESP_HEAD_TOO_BIG)
				FUZZ_CHECK(p.head > lim->max_head || p.line > lim->max_head,
					   "HEAD_TOO_BIG with head %u, line %u, max_head %u",
					   p.head, p.line, lim->max_head);
			if (ev == HTTP_RESP_BAD || ev == HTTP_RESP_HEAD_TOO_BIG ||
			    ev == HTTP_RESP_TOO_BIG)
				return ev;
			FUZZ_CHECK(ev == HTTP_RESP_DONE, "unknown event %d", ev);
			FUZZ_CHECK(p.status >= 200 && p.status <= 999 && p.left == 0 &&
				       p.body <= lim->max_msg && p.head <= lim->max_head,
				   "done with status %u, %llu body bytes (max %llu), %llu left, "
				   "head %u (max %u)",
				   p.status, (unsigned long long)p.body,
				   (unsigned long long)lim->max_msg, (unsigned long long)p.left,
				   p.head, lim->max_head);
			log_add(l, (struct event){ev, off + done, http_resp_keep(&p), p.status});
			http_resp_init(&p, lim->max_head, lim->max_msg);
		}
		off += n;
	}
	if (http_resp_eof(&p)) {
		FUZZ_CHECK(!http_resp_keep(&p), "a body ended by the close, yet keep-alive");
		log_add(l, (struct event){HTTP_RESP_DONE, len, false, p.status});
	}
	return HTTP_RESP_MORE;
}

static void client_side(const uint8_t *s, size_t len, uint64_t seed)
{
	struct log whole = {0}, cut = {0};
	/* mostly roomy limits; sometimes small ones, within reach of short
	 * inputs */
	struct limits lim = {64u << 10, (uint64_t)1 << 40};
	if ((seed >> 40) % 4 == 0)
		lim.max_head = 16 + (uint32_t)((seed >> 42) % 300);
	if ((seed >> 50) % 4 == 0)
		lim.max_msg = (seed >> 52) % 200;
	int a = read_replies(s, len, NULL, &lim, &whole);
	int b = read_replies(s, len, &seed, &lim, &cut);
	FUZZ_CHECK(a == b && whole.n == cut.n, "whole: %zu replies, end %d; in pieces: %zu, end %d",
		   whole.n, a, cut.n, b);
	for (size_t i = 0; i < whole.n; i++)
		FUZZ_CHECK(whole.e[i].end == cut.e[i].end && whole.e[i].keep == cut.e[i].keep &&
			       whole.e[i].minor == cut.e[i].minor,
			   "reply %zu differs in pieces", i);
	for (size_t i = 0, start = 0; i < whole.n; start = whole.e[i++].end) {
		/* the status is the three digits after "HTTP/1.x " of the
		 * first status line, unless that was an interim 1xx */
		const uint8_t *st = s + start + 9;
		int first = (st[0] - '0') * 100 + (st[1] - '0') * 10 + st[2] - '0';
		FUZZ_CHECK(first >= 100 && first < 200 ? whole.e[i].minor >= 200
						       : whole.e[i].minor == first,
			   "reply %zu: status %d, the first status line says %d", i,
			   whole.e[i].minor, first);
		FUZZ_CHECK(whole.e[i].end - start >= 16, "reply %zu: %zu bytes", i,
			   whole.e[i].end - start);
	}
	free(whole.e);
	free(cut.e);
}

/* The server's replies must read back whole with what they say. */
static void own_replies(size_t body)
{
	static const struct {
		enum http_reply_kind k;
		int status;
		bool keep;
	} want[] = {{HTTP_OK, 200, true},
		    {HTTP_OK_KEEP, 200, true},
		    {HTTP_OK_CLOSE, 200, false},
		    {HTTP_400, 400, false},
		    {HTTP_431, 431, false}};
	FUZZ_CHECK(http_init(body) == 0, "http_init(%zu) failed", body);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		size_t len, used = 0;
		const uint8_t *r = http_reply(want[i].k, &len);
		struct http_resp p;
		http_resp_init(&p, 64u << 10, 16u << 20);
		int ev = http_resp_feed(&p, r, len, &used);
		FUZZ_CHECK(ev == HTTP_RESP_DONE && used == len && p.status == want[i].status &&
			       http_resp_keep(&p) == want[i].keep,
			   "reply %d (body %zu): event %d, %zu of %zu bytes, status %u, keep %d",
			   want[i].k, body, ev, used, len, p.status, http_resp_keep(&p));
		FUZZ_CHECK(want[i].k >= HTTP_400 || p.body == body,
			   "reply %d: a body of %llu for a %zu-byte body", want[i].k,
			   (unsigned long long)p.body, body);
	}
	http_free();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sel = (unsigned)fuzz_take(&data, &size, 1);
	uint64_t seed = fuzz_take(&data, &size, 8);
	/* mostly short bodies: a 64 KB one costs more than the parsing */
	own_replies((size_t)((seed >> 8) % ((seed & 0xff) == 0 ? 70000 : 100)));
	if (sel & 0x80) {
		/* NULs are fed too: regress/http/nul-in-header-name once read
		 * past the end of a name literal */
		client_side(data, size, seed);
	} else {
		/* from 4 up: below, 431 can come before the 4th byte shows that
		 * "GETx" is no GET, and whole and pieces would differ on a
		 * limit no server uses */
		size_t max_head = sel & 0x7f ? 4 + (size_t)(sel & 0x7f) * 3 : HTTP_MAX_HEAD;
		server_side(data, size, max_head, seed);
	}
	return 0;
}

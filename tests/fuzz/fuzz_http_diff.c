/* fuzz_http_diff.c - the load generator's reply framing (http_resp_feed,
 * lib/http_resp.c) held against another parser's on the same bytes:
 * Joyent's http-parser 2.9 (Debian's libhttp-parser-dev), unmaintained
 * upstream, so an oracle here and never linked into sockbench.  Built
 * only where the library is found (harnesses.cmake).
 *
 * Input: 1 byte of choices (bit 0: the replies answer HEAD), then the
 * bytes a server sent on one connection.  Both parsers read replies while
 * the last one kept the connection; the stream's end is the server's
 * close.  For each reply ours completes, the oracle must complete the same
 * one: same final status, same body length (decoded), same end in the
 * stream, same keep-alive.  Where ours sees a reply go on, the oracle must
 * not see it end.  Ours may refuse what the oracle takes (it is stricter:
 * CRLF only, tokens for field names, no 101, no Transfer-Encoding in
 * HTTP/1.0, ...), never the other way round but for these RFC-backed
 * choices, each checked where it applies (an oracle that refuses a reply
 * ours frames, for anything but its framing - a bad or unexpected length,
 * chunk size or coding - is the oracle's own strictness, and ends the
 * comparison):
 *
 *   - a repeated Content-Length with the same value: RFC 9110 section 8.6
 *     lets a recipient take it; http-parser refuses any repeat;
 *   - a field whose name only begins like a framing one
 *     ("Transfer-Encoding.", "Content-Lengthx") is another field;
 *     http-parser takes some of them for the framing field;
 *   - a 204, a 304 or a reply to HEAD ends at its head whatever the fields
 *     (RFC 9112 section 6.3, item 1, before the rest); http-parser still
 *     refuses Content-Length with Transfer-Encoding, or twice, in them;
 *   - HTTP/1.0 with both "keep-alive" and "close": close wins (RFC 9112
 *     section 9.3); http-parser keeps the connection;
 *   - an empty element in a Transfer-Encoding or Connection list
 *     ("chunked,", ", keep-alive") is ignored (RFC 9110 section 5.6.1);
 *     http-parser takes it for a coding after chunked (and reads the body
 *     to the close), or misses the token after it; it also misses the
 *     word after an element that only begins it ("c, chunked") or is
 *     no token at all;
 *   - trailers: a Transfer-Encoding, Content-Length or Connection field
 *     among them frames nothing (RFC 9110 section 6.5.1); http-parser lets
 *     it decide whether the connection is kept, and refuses a bad value;
 *   - interim 1xx replies: their fields frame nothing (RFC 9110 section
 *     15.2), so the oracle starts afresh after each (a "Connection: close"
 *     in a 100 would otherwise end its connection).
 *
 * The oracle is fed the bytes with each HTAB made a SP: both are
 * whitespace to every rule ours applies, while http-parser refuses a tab
 * in a few places RFC 9110 allows one (BWS, OWS after a length).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* http_parser.h's HTTP_REQUEST would clash with proto.h's */
#define HTTP_REQUEST  HP_HTTP_REQUEST
#define HTTP_RESPONSE HP_HTTP_RESPONSE
#include <http_parser.h>
#undef HTTP_REQUEST
#undef HTTP_RESPONSE

#include "fuzz.h"
#include "sockbench/proto.h"

#define MAX_REPLIES 64

struct reply {
	int status;
	uint64_t body;
	size_t end;
	bool keep;
	bool ka_cl;	      /* oracle: the reply said both keep-alive and close */
	bool trailer_framing; /* oracle: a framing field among its trailers */
};

struct side {
	struct reply r[MAX_REPLIES];
	size_t n;
	bool going;	      /* ours: a reply was still going on at the stream's end */
	int err;	      /* ours: the event it stopped on; oracle: its errno */
	size_t at;	      /* where it stopped (the oracle: where its error was) */
	bool framing;	      /* oracle: its error is about framing */
	bool trailer_framing; /* oracle: ... after a framing field among trailers */
};

/* ---- ours ------------------------------------------------------------------ */

static void ours(const uint8_t *s, size_t len, bool head, struct side *o)
{
	struct http_resp p;
	size_t off = 0;
	while (o->n < MAX_REPLIES) {
		http_resp_init(&p, 64u << 10, (uint64_t)1 << 40);
		if (head)
			http_resp_nobody(&p);
		size_t used = 0;
		enum http_resp_event ev =
		    off < len ? http_resp_feed(&p, s + off, len - off, &used) : HTTP_RESP_MORE;
		off += used;
		if (ev == HTTP_RESP_MORE && http_resp_eof(&p))
			ev = HTTP_RESP_DONE; /* the close ends a body without a length */
		if (ev != HTTP_RESP_DONE) {
			o->going = ev == HTTP_RESP_MORE && used > 0; /* begun, not ended */
			o->err = ev;
			o->at = off;
			return;
		}
		o->r[o->n++] =
		    (struct reply){p.status, p.body, off, http_resp_keep(&p), false, false};
		if (!o->r[o->n - 1].keep || off == len)
			return;
	}
}

/* ---- the oracle ------------------------------------------------------------ */

struct oracle {
	http_parser hp;
	bool head;
	bool trailer_framing;
	uint64_t body;
	struct reply last; /* the message just completed */
};

static int on_headers_complete(http_parser *hp)
{
	struct oracle *x = hp->data;
	/* 1 = no body: what http-parser asks of a client that sent HEAD; for
	 * 1xx, 204 and 304 it would otherwise read one a Content-Length
	 * announces, where RFC 9112 section 6.3 item 1 says there is none */
	unsigned st = hp->status_code;
	return x->head || (st >= 100 && st < 200) || st == 204 || st == 304;
}

static int on_header_field(http_parser *hp, const char *at, size_t n)
{
	static const char *const framing[] = {"transfer-encoding", "content-length", "connection"};
	struct oracle *x = hp->data;
	/* the input is read in one call: a name comes whole */
	for (int k = 0; k < 3 && (hp->flags & F_TRAILING); k++)
		if (n == strlen(framing[k]) && !strncasecmp(at, framing[k], n))
			x->trailer_framing = true;
	return 0;
}

static int on_body(http_parser *hp, const char *at, size_t n)
{
	(void)at;
	((struct oracle *)hp->data)->body += n;
	return 0;
}

static int on_message_complete(http_parser *hp)
{
	struct oracle *x = hp->data;
	unsigned f = hp->flags;
	x->last = (struct reply){(int)hp->status_code,
				 x->body,
				 0,
				 http_should_keep_alive(hp) != 0,
				 (f & F_CONNECTION_KEEP_ALIVE) && (f & F_CONNECTION_CLOSE),
				 x->trailer_framing};
	x->body = 0;
	x->trailer_framing = false;
	http_parser_pause(hp, 1); /* execute() returns just past the message */
	return 0;
}

static const http_parser_settings settings = {
    .on_header_field = on_header_field,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* One message completed at off: false to stop reading. */
static bool oracle_message(struct oracle *x, struct side *o, size_t off)
{
	x->last.end = off;
	if (x->last.status >= 100 && x->last.status < 200) {
		http_parser_init(&x->hp, HP_HTTP_RESPONSE); /* interim: afresh */
		x->hp.data = x;
		return true;
	}
	o->r[o->n++] = x->last;
	return x->last.keep && o->n < MAX_REPLIES;
}

static void oracle(const uint8_t *s, size_t len, bool head, struct side *o)
{
	struct oracle x = {.head = head};
	http_parser_init(&x.hp, HP_HTTP_RESPONSE);
	x.hp.data = &x;
	size_t off = 0;
	bool eof_sent = false;
	for (;;) {
		/* the stream's end, once: execute() with no bytes is the close */
		bool at_end = off == len;
		if (at_end && eof_sent)
			break;
		eof_sent |= at_end;
		size_t n = http_parser_execute(&x.hp, &settings, (const char *)s + off, len - off);
		enum http_errno e = HTTP_PARSER_ERRNO(&x.hp);
		off += at_end ? 0 : n; /* at EOF an error "consumes" 1 byte */
		if (e == HPE_PAUSED) {
			http_parser_pause(&x.hp, 0);
			if (!oracle_message(&x, o, off))
				return;
			eof_sent = false;
			continue;
		}
		if (e != HPE_OK) {
			o->err = e;
			o->at = off;
			o->framing =
			    e == HPE_UNEXPECTED_CONTENT_LENGTH || e == HPE_INVALID_CONTENT_LENGTH ||
			    e == HPE_INVALID_CHUNK_SIZE || e == HPE_INVALID_TRANSFER_ENCODING;
			o->trailer_framing = x.trailer_framing;
			return;
		}
		if (x.hp.upgrade) {
			o->err = -1; /* 101: the rest is another protocol */
			o->at = off;
			return;
		}
	}
}

/* ---- the comparison -------------------------------------------------------- */

/* In s[from, to): a Content-Length field more than once (ours took it, so
 * all of one value), or a field named like a framing one and more? */
static bool cl_twice_or_long_name(const uint8_t *s, size_t from, size_t to)
{
	static const char *const names[] = {"content-length", "transfer-encoding"};
	int cl = 0;
	for (size_t i = from; i < to; i++) {
		if (i != from && s[i - 1] != '\n')
			continue;
		for (int k = 0; k < 2; k++) {
			size_t n = strlen(names[k]);
			if (to - i > n && !strncasecmp((const char *)s + i, names[k], n)) {
				cl += k == 0 && s[i + n] == ':';
				if (s[i + n] != ':')
					return true;
			}
		}
	}
	return cl > 1;
}

/* Is the list element s[a, b) (blanks trimmed) empty, no token, or a
 * proper prefix of `word` ("chunk" of "chunked")? */
static bool odd_element(const uint8_t *s, size_t a, size_t b, const char *word)
{
	while (a < b && (s[a] == ' ' || s[a] == '\t'))
		a++;
	while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
		b--;
	for (size_t i = a; i < b; i++)
		if (!isalnum(s[i]) && (!s[i] || !strchr("!#$%&'*+-.^_`|~", s[i])))
			return true;
	return a == b || (b - a < strlen(word) && !strncasecmp((const char *)s + a, word, b - a));
}

/* Has the head that starts at s[from] a Transfer-Encoding or Connection
 * list with an empty element (",chunked", "close,", "a,,b") or one that
 * only begins a word the oracle looks for ("c, chunked", "clo, close",
 * "Upg, close"), or one that is no token? */
static bool list_quirk(const uint8_t *s, size_t from, size_t len)
{
	/* the oracle matches these words by prefix: "Upg, close" reads as
	 * the start of "upgrade" and loses the close after it */
	static const struct {
		const char *name, *words[3];
	} lists[] = {{"transfer-encoding:", {"chunked", "chunked", "chunked"}},
		     {"connection:", {"close", "keep-alive", "upgrade"}}};
	for (size_t i = from; i + 1 < len; i++) {
		if (i != from && s[i - 1] != '\n')
			continue;
		if (s[i] == '\r')
			return false; /* the head's end */
		for (int k = 0; k < 2; k++) {
			size_t n = strlen(lists[k].name);
			if (len - i < n || strncasecmp((const char *)s + i, lists[k].name, n))
				continue;
			size_t e = i + n, end = e;
			while (end < len && s[end] != '\r')
				end++;
			for (size_t c = e; c <= end; c++) {
				if (c < end && s[c] != ',')
					continue;
				for (int w = 0; w < 3; w++)
					if (odd_element(s, e, c, lists[k].words[w]))
						return true;
				e = c + 1;
			}
		}
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sel = (unsigned)fuzz_take(&data, &size, 1);
	bool head = sel & 1;
	uint8_t *sp = malloc(size ? size : 1);
	if (!sp)
		abort();
	for (size_t i = 0; i < size; i++)
		sp[i] = data[i] == '\t' ? ' ' : data[i];
	static struct side a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	ours(data, size, head, &a);
	oracle(sp, size, head, &b);
	free(sp);

#ifdef DIFF_DEBUG
	fprintf(stderr, "ours %zu replies (err %d at %zu going %d), oracle %zu (err %d at %zu)\n",
		a.n, a.err, a.at, a.going, b.n, b.err, b.at);
	for (size_t i = 0; i < b.n; i++)
		fprintf(stderr, "  oracle %d %llu %zu %d\n", b.r[i].status,
			(unsigned long long)b.r[i].body, b.r[i].end, b.r[i].keep);
#endif
	for (size_t i = 0; i < a.n; i++) {
		const struct reply *x = &a.r[i], *y = i < b.n ? &b.r[i] : NULL;
		size_t start = i ? a.r[i - 1].end : 0;
		/* a list or a field name the oracle misreads: where it then
		 * disagrees, the comparison ends */
		bool quirk =
		    list_quirk(data, start, x->end) || cl_twice_or_long_name(data, start, x->end);
		if (!y) {
			/* the oracle stopped inside this reply: a choice of ours */
			bool bodiless = head || x->status == 204 || x->status == 304;
			FUZZ_CHECK(b.at <= x->end &&
				       (!b.framing || bodiless || b.trailer_framing || quirk),
				   "reply %zu [%zu, %zu): ours status %d body %llu; the oracle "
				   "stopped at %zu with %s",
				   i, start, x->end, x->status, (unsigned long long)x->body, b.at,
				   b.err > 0 ? http_errno_name((enum http_errno)b.err) : "upgrade");
			return 0;
		}
		bool same = x->status == y->status && x->body == y->body && x->end == y->end;
		FUZZ_CHECK(same || quirk,
			   "reply %zu: ours status %d body %llu end %zu, the oracle's %d %llu %zu",
			   i, x->status, (unsigned long long)x->body, x->end, y->status,
			   (unsigned long long)y->body, y->end);
		if (!same)
			return 0;
		if (x->keep != y->keep) {
			/* HTTP/1.0 saying keep-alive and close: ours closes;
			 * framing fields in trailers: ours ignores them */
			FUZZ_CHECK((!x->keep && y->ka_cl) || y->trailer_framing || quirk,
				   "reply %zu ending at %zu: ours keep %d, the oracle's %d", i,
				   x->end, x->keep, y->keep);
			return 0;
		}
	}
	/* Where ours still reads a reply, the oracle must not have ended it. */
	size_t from = a.n ? a.r[a.n - 1].end : 0;
	if (a.going && !list_quirk(data, from, size) && !cl_twice_or_long_name(data, from, size))
		FUZZ_CHECK(b.n <= a.n,
			   "ours reads reply %zu on to the end (%zu), the oracle ended it "
			   "at %zu (status %d)",
			   a.n, a.at, b.r[a.n].end, b.r[a.n].status);
	return 0;
}

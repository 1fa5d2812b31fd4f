/* proto_http.c - just enough HTTP/1.1 for wrk, ab, curl and browsers
 * (SPEC section 3), on both sides, with no I/O.
 *
 * Server side: http_parse() finds one request head in a buffer; the replies
 * are made once by http_init() and sent from there, never built per
 * request.  Client side: http_resp_feed() walks a reply byte by byte with
 * a few bytes of state, so a head split over any number of recv() calls
 * needs no buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockbench/proto.h"

/* ---- server: requests --------------------------------------------------- */

static int lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/* Does the header line [p, end) have this name (case-insensitive)?  Then
 * *val is its value with leading blanks skipped. */
static bool header_is(const char *p, const char *end, const char *name, const char **val)
{
	size_t n = strlen(name);
	if ((size_t)(end - p) <= n || p[n] != ':')
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)p[i]) != name[i])
			return false;
	p += n + 1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	*val = p;
	return true;
}

/* Does the comma list [v, end) hold this token (case-insensitive)? */
static bool has_token(const char *v, const char *end, const char *tok)
{
	size_t n = strlen(tok);
	while (v < end) {
		while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
			v++;
		const char *s = v;
		while (v < end && *v != ',' && *v != ' ' && *v != '\t')
			v++;
		if ((size_t)(v - s) == n) {
			size_t i = 0;
			while (i < n && lower((unsigned char)s[i]) == tok[i])
				i++;
			if (i == n)
				return true;
		}
	}
	return false;
}

/* The request line: GET SP target SP HTTP/1.0|1.1.  *minor = 0 or 1. */
static bool request_line(const char *p, const char *end, int *minor)
{
	static const char get[] = "GET ";
	if (end - p < 4 + 1 + 9 || memcmp(p, get, 4) != 0)
		return false;
	p += 4;
	if (*p == ' ')
		return false;
	while (p < end && *p != ' ') /* the target: served the same whatever it is */
		if ((unsigned char)*p++ < 0x21)
			return false;
	if (end - p != 9 || memcmp(p, " HTTP/1.", 8) != 0 || (p[8] != '0' && p[8] != '1'))
		return false;
	*minor = p[8] - '0';
	return true;
}

enum http_event http_parse(const uint8_t *buf, size_t len, size_t max_head, struct http_req *r)
{
	const char *b = (const char *)buf;
	/* Garbage is judged on its first bytes, not after max_head of them:
	 * `nc` typing "hello" gets its 400 at once. */
	size_t pre = len < 4 ? len : 4;
	if (memcmp(b, "GET ", pre) != 0)
		return HTTP_BAD;
	size_t scan = len < max_head ? len : max_head;
	const char *head_end = NULL;
	for (size_t i = 0; i < scan; i++) {
		if (b[i] != '\n')
			continue;
		/* A bare LF ends lines for some clients (nc, hand-typed
		 * requests); we take CRLF only, and say so at once rather
		 * than wait for a CRLF CRLF that will never come. */
		if (i == 0 || b[i - 1] != '\r')
			return HTTP_BAD;
		if (i >= 3 && b[i - 2] == '\n' && b[i - 3] == '\r') {
			head_end = b + i + 1;
			break;
		}
	}
	if (!head_end)
		return len >= max_head ? HTTP_TOO_BIG : HTTP_MORE;
	if (memchr(b, '\0', (size_t)(head_end - b)))
		return HTTP_BAD;

	const char *p = b, *eol = memchr(p, '\r', (size_t)(head_end - p));
	int minor;
	if (!request_line(p, eol, &minor) || eol[1] != '\n')
		return HTTP_BAD;
	/* HTTP/1.1 keeps the connection unless told `close`; 1.0 closes it
	 * unless told `keep-alive` (what ab -k sends). */
	bool keep = minor == 1, said_close = false, said_keep = false;
	for (p = eol + 2; p < head_end - 2; p = eol + 2) {
		eol = memchr(p, '\r', (size_t)(head_end - p));
		if (eol[1] != '\n' || eol == p)
			return HTTP_BAD; /* a bare CR, or an empty line before the end */
		const char *v;
		if (header_is(p, eol, "connection", &v)) {
			said_close |= has_token(v, eol, "close");
			said_keep |= has_token(v, eol, "keep-alive");
		} else if (header_is(p, eol, "content-length", &v)) {
			/* A GET with a body is legal but we do not read bodies:
			 * its bytes would be taken for the next request. */
			const char *z = v;
			while (v < eol && *v == '0')
				v++;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			if (v == z || v != eol || *z != '0')
				return HTTP_BAD;
		} else if (header_is(p, eol, "transfer-encoding", &v)) {
			return HTTP_BAD;
		} else {
			/* name ":" value, the name without blanks or controls
			 * (RFC 9112 section 5.1: "Connection : close" is an
			 * error, not a header to ignore) */
			const char *c = memchr(p, ':', (size_t)(eol - p));
			if (!c || c == p)
				return HTTP_BAD;
			for (const char *q = p; q < c; q++)
				if ((unsigned char)*q <= ' ' || *q == 0x7f)
					return HTTP_BAD;
		}
	}
	if (said_close)
		keep = false;
	else if (said_keep)
		keep = true;
	r->head_len = (size_t)(head_end - b);
	r->keep_alive = keep;
	r->minor = minor;
	return HTTP_REQUEST;
}

/* ---- server: replies, made once ----------------------------------------- */

static const char body_text[] = "Hello, World!";

struct reply {
	uint8_t *buf;
	size_t len;
};
static struct reply replies[HTTP_REPLY_KINDS];

static int make_reply(struct reply *r, const char *status, const char *conn, size_t body)
{
	char head[256];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %s\r\nServer: sockbench\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\n%s\r\n",
			 status, body, conn);
	r->len = (size_t)n + body;
	r->buf = malloc(r->len);
	if (!r->buf)
		return -ENOMEM;
	memcpy(r->buf, head, (size_t)n);
	/* "other sizes repeat that text and cut it to N" (SPEC section 3) */
	for (size_t i = 0; i < body; i++)
		r->buf[n + i] = (uint8_t)body_text[i % (sizeof body_text - 1)];
	return 0;
}

int http_init(size_t body_len)
{
	static const char bad[] = "Bad Request\n", big[] = "Header Too Large\n";
	http_free();
	if (make_reply(&replies[HTTP_OK], "200 OK", "", body_len) < 0 ||
	    make_reply(&replies[HTTP_OK_KEEP], "200 OK", "Connection: keep-alive\r\n", body_len) <
		0 ||
	    make_reply(&replies[HTTP_OK_CLOSE], "200 OK", "Connection: close\r\n", body_len) < 0 ||
	    make_reply(&replies[HTTP_400], "400 Bad Request", "Connection: close\r\n",
		       sizeof bad - 1) < 0 ||
	    make_reply(&replies[HTTP_431], "431 Request Header Fields Too Large",
		       "Connection: close\r\n", sizeof big - 1) < 0) {
		http_free();
		return -ENOMEM;
	}
	/* The error replies say what went wrong instead of Hello, World. */
	memcpy(replies[HTTP_400].buf + replies[HTTP_400].len - (sizeof bad - 1), bad,
	       sizeof bad - 1);
	memcpy(replies[HTTP_431].buf + replies[HTTP_431].len - (sizeof big - 1), big,
	       sizeof big - 1);
	return 0;
}

void http_free(void)
{
	for (int i = 0; i < HTTP_REPLY_KINDS; i++) {
		free(replies[i].buf);
		replies[i].buf = NULL;
		replies[i].len = 0;
	}
}

const uint8_t *http_reply(enum http_reply_kind k, size_t *len)
{
	*len = replies[k].len;
	return replies[k].buf;
}

enum http_reply_kind http_reply_for(const struct http_req *r)
{
	if (!r->keep_alive)
		return HTTP_OK_CLOSE;
	return r->minor == 0 ? HTTP_OK_KEEP : HTTP_OK;
}

/* ---- client: replies ---------------------------------------------------- */

enum { R_STATUS, R_LF, R_NAME, R_VALUE, R_END_LF, R_BODY };

/* A header name is matched as it streams by: `which` holds the names we
 * care about that are still possible, `pos` how far they have matched. */
enum { N_CL = 1, N_CONN = 2, N_TE = 4, N_ALL = 7 };
static const char *const names[] = {"content-length", "connection", "transfer-encoding"};
#define TOK_NO 0xffff /* the Connection token being read is not "close" */

void http_resp_init(struct http_resp *p)
{
	memset(p, 0, sizeof *p);
	p->content_length = -1;
	p->cl_prev = -1;
}

static void name_char(struct http_resp *p, int ch)
{
	for (unsigned k = 0; k < 3; k++)
		if ((p->which & (1u << k)) && names[k][p->pos] != ch)
			p->which &= (uint8_t) ~(1u << k);
}

/* A state machine, and one function on purpose (over the 80-line rule):
 * the framing of an HTTP reply, fed a byte at a time.  Each case is one
 * state (status line, header name, header value, the blank line, the
 * body) and reads only p's few bytes of state, so a head split across any
 * number of recv() calls resumes where it stopped.  Split into functions,
 * every state would need the same (p, ch, i, used) and a way to say "bad"
 * or "done" back through its caller; in one switch each transition and
 * each refusal is one line, read top to bottom. */
enum http_resp_event http_resp_feed(struct http_resp *p, const uint8_t *buf, size_t len,
				    size_t *used)
{
	size_t i = 0;
	while (i < len) {
		if (p->state == R_BODY) { /* the body is skipped, not read byte by byte */
			size_t take = len - i < p->body_left ? len - i : (size_t)p->body_left;
			p->body_left -= take;
			i += take;
			if (!p->body_left) {
				*used = i;
				return HTTP_RESP_DONE;
			}
			break;
		}
		int ch = buf[i++];
		switch (p->state) {
		case R_STATUS: /* "HTTP/1.x NNN reason\r": the 3 digits after the space */
			if (ch == '\n') {
				goto bad; /* a bare LF: we take CRLF only, as we send it */
			} else if (ch == '\r') {
				if (p->pos < 12)
					goto bad;
				p->state = R_LF;
			} else if (p->pos < 9) {
				if (p->pos != 7 && ch != "HTTP/1.x "[p->pos])
					goto bad;
				p->pos++;
			} else if (p->pos < 12) {
				if (ch < '0' || ch > '9')
					goto bad;
				p->status = (uint16_t)(p->status * 10 + (ch - '0'));
				p->pos++;
			} else if (p->pos == 12) {
				if (ch != ' ')
					goto bad; /* exactly 3 digits, then the reason */
				p->pos++;
			}
			break;
		case R_LF:
			if (ch != '\n')
				goto bad;
			p->state = R_NAME;
			p->pos = 0;
			p->which = N_ALL;
			break;
		case R_NAME:
			if (ch == '\r' && p->pos == 0) {
				p->state = R_END_LF;
			} else if (ch == ':') {
				name_char(p, '\0'); /* the whole name, not a prefix */
				if (p->which == N_TE)
					goto bad; /* chunked: not something a benchmark target needs
						   */
				if (p->which == N_CL) {
					/* repeated: allowed only with the same value */
					p->cl_prev = p->content_length;
					p->content_length = 0;
					p->cl_st = 0;
				}
				p->state = R_VALUE;
				p->pos = 0;
			} else if (ch <= ' ' || ch == 0x7f || p->pos >= 64) {
				goto bad; /* controls and blanks are not name characters */
			} else {
				name_char(p, lower(ch));
				p->pos++;
			}
			break;
		case R_VALUE:
			if (ch == '\n')
				goto bad;
			if (p->which == N_CONN) {
				/* a token list, "keep-alive, close": close if any
				 * token is exactly "close" */
				if (ch == ',' || ch == ' ' || ch == '\t' || ch == '\r') {
					if (p->pos == 5)
						p->close = true;
					if (ch == ',')
						p->pos = 0;
				} else if (p->pos < 5 && lower(ch) == "close"[p->pos]) {
					p->pos++;
				} else {
					p->pos = TOK_NO;
				}
			}
			if (p->which == N_CL) {
				/* digits only, blanks around them; a length we
				 * cannot read exactly would misframe every reply
				 * after this one (RFC 9112 section 6.3) */
				if (ch == '\r') {
					if (p->cl_st == 0 ||
					    (p->cl_prev >= 0 && p->cl_prev != p->content_length))
						goto bad;
				} else if (ch == ' ' || ch == '\t') {
					if (p->cl_st == 1)
						p->cl_st = 2;
				} else if (ch < '0' || ch > '9' || p->cl_st == 2 ||
					   p->content_length > (int64_t)1 << 40) {
					goto bad;
				} else {
					p->content_length = p->content_length * 10 + (ch - '0');
					p->cl_st = 1;
				}
			}
			if (ch == '\r')
				p->state = R_LF;
			else if (ch < ' ' && ch != '\t')
				goto bad; /* NUL and other controls in a value */
			break;
		case R_END_LF:
			if (ch != '\n' || p->content_length < 0)
				goto bad; /* no Content-Length: no way to find the end */
			p->body_left = (uint64_t)p->content_length;
			p->state = R_BODY;
			if (!p->body_left) {
				*used = i;
				return HTTP_RESP_DONE;
			}
			break;
		}
	}
	*used = i;
	return HTTP_RESP_MORE;
bad:
	*used = i;
	return HTTP_RESP_BAD;
}

/* proto_http.c - just enough HTTP/1.1 for wrk, ab, curl and browsers
 * (SPEC section 3), the server's side, with no I/O: http_parse() finds one
 * request head in a buffer; the replies are made once by http_init() and
 * sent from there, never built per request.  The load generator's side,
 * the reply parser, is http_resp.c.
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

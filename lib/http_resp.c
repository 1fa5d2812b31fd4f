/* http_resp.c - the load generator's HTTP/1.x reply parser: where a reply
 * ends, framed as RFC 9112 section 6.3 says, fed any split of the byte
 * stream, with no buffer of its own and no I/O (docs/design.md, "HTTP
 * replies").
 *
 * A head is walked a byte at a time with a few bytes of state, so a head
 * cut over any number of recv() calls resumes where it stopped; body bytes
 * are skipped in bulk, never copied.  The framing, in the RFC's order:
 *
 *   1xx       interim (100 Continue, 103 Early Hints): skipped, the final
 *             reply follows; 101 is refused (we never ask to switch)
 *   204, 304  and any reply to HEAD: no body, whatever the head says
 *   Transfer-Encoding, chunked last: chunked (extensions and trailers read
 *             and ignored); another coding last: the body ends at the
 *             close; with a Content-Length too, or in HTTP/1.0: refused,
 *             the framing cannot be trusted (items 3 and 4, section 6.1)
 *   Content-Length: that many bytes; repeated only with the same value
 *   neither   the body ends when the server closes (item 7)
 *
 * Limits: the heads (interim ones included) and the trailer section count
 * together against max_head, each chunk-size line on its own against it
 * too; the decoded body counts against max_msg, refused before a byte of
 * it is read when its length is announced.
 */
#include <string.h>

#include "sockbench/proto.h"

/* The states, in groups: the heads' (and trailers') bytes count against
 * max_head, the chunk-size lines' too, one line at a time. */
enum {
	R_STATUS,    /* "HTTP/1.x NNN reason" up to its CR */
	R_STATUS_LF, /* the LF after it */
	R_NAME,	     /* a field name; a CR first: the empty line */
	R_VALUE,     /* a field value, up to its CR */
	R_LINE_LF,   /* the LF ending a field line */
	R_HEAD_LF,   /* the empty line's LF: the head (or the trailers) ends */
	R_CSIZE,     /* a chunk's size, hex digits */
	R_CEXT,	     /* after them: blanks, ";" and extensions, to the CR */
	R_CSIZE_LF,  /* the LF ending the chunk-size line */
	R_BODY,	     /* Content-Length: `left` bytes */
	R_CLOSE,     /* neither length nor chunks: until the server closes */
	R_CDATA,     /* a chunk's data: `left` bytes */
	R_CDATA_CR,  /* the CRLF after it */
	R_CDATA_LF,
	R_DONE,
};

/* flags */
enum {
	HR_CLOSE = 1,	       /* Connection: close, or a body the close ends */
	HR_KEEP = 2,	       /* Connection: keep-alive (HTTP/1.0's opt-in) */
	HR_TE = 4,	       /* a Transfer-Encoding field */
	HR_CHUNKED = 8,	       /* ... whose last coding is chunked */
	HR_HTTP10 = 16,	       /* the status line said HTTP/1.0 */
	HR_TRAILER = 32,       /* reading the trailer section */
	HR_NOBODY = 64,	       /* the request was HEAD */
	HR_CHUNKED_SEEN = 128, /* chunked was in the coding list */
};

/* A field name is matched as it streams by: `which` holds the names we
 * care about that are still possible, `pos` how far they have matched. */
enum { N_CL = 1, N_CONN = 2, N_TE = 4, N_ALL = 7 };
static const char *const names[] = {"content-length", "connection", "transfer-encoding"};

/* Tokens of a comma list (Connection, Transfer-Encoding), matched the
 * same way: `sub` is the word the token may still be (its index + 1, or
 * TOK_NONE), TOK_BLANK set once blanks followed it; `pos` letters
 * matched. */
#define TOK_NONE  0x7f
#define TOK_BLANK 0x80
static const char *const conn_words[] = {"close", "keep-alive", NULL};
static const char *const te_words[] = {"chunked", NULL};

/* Past any --max-msg: a longer Content-Length saturates here (too big,
 * whatever its digits) instead of overflowing. */
#define CL_SAT ((int64_t)1 << 50)

static int lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/* RFC 9110 section 5.6.2: a field name is a token. */
static bool tchar(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* HTAB, SP, VCHAR, obs-text: what a value or reason phrase may hold. */
static bool text_char(int ch)
{
	return ch == '\t' || (ch >= ' ' && ch != 0x7f);
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = lower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

void http_resp_init(struct http_resp *p, uint32_t max_head, uint64_t max_msg)
{
	memset(p, 0, sizeof *p);
	p->content_length = p->cl_prev = -1;
	p->max_head = max_head;
	p->max_msg = max_msg;
}

void http_resp_nobody(struct http_resp *p)
{
	p->flags |= HR_NOBODY;
}

bool http_resp_keep(const struct http_resp *p)
{
	/* RFC 9112 section 9.3: close wins; HTTP/1.1 persists unless told
	 * otherwise, HTTP/1.0 only when told keep-alive */
	return p->state == R_DONE && !(p->flags & HR_CLOSE) &&
	       (!(p->flags & HR_HTTP10) || (p->flags & HR_KEEP));
}

bool http_resp_eof(struct http_resp *p)
{
	if (p->state != R_CLOSE)
		return false;
	p->state = R_DONE;
	return true;
}

static enum http_resp_event done(struct http_resp *p)
{
	p->state = R_DONE;
	return HTTP_RESP_DONE;
}

static void name_char(struct http_resp *p, int ch)
{
	for (unsigned k = 0; k < 3; k++)
		if ((p->which & (1u << k)) && names[k][p->pos] != ch)
			p->which &= (uint8_t) ~(1u << k);
}

/* One character of a token list (not a comma, not the CR); false when it
 * makes the list element no token ("chun ked"). */
static bool token_char(struct http_resp *p, int ch, const char *const *words)
{
	if (ch == ' ' || ch == '\t') {
		if (p->sub)
			p->sub |= TOK_BLANK; /* the token, if one began, has ended */
		return true;
	}
	if (p->sub & TOK_BLANK) {
		p->sub = TOK_NONE; /* a blank inside is no word */
		return false;
	} else if (!p->sub) {
		p->sub = TOK_NONE;
		for (int k = 0; words[k]; k++)
			if (words[k][0] == lower(ch))
				p->sub = (uint8_t)(k + 1);
		p->pos = 1;
	} else if (p->sub != TOK_NONE) {
		if (words[p->sub - 1][p->pos] == lower(ch))
			p->pos++; /* stops at the word's end: its NUL matches nothing */
		else
			p->sub = TOK_NONE;
	}
	return true;
}

/* The token list reached a comma or the CR: the word the token was (its
 * index), -1 another word, -2 no token at all ("a, , b"). */
static int token_end(struct http_resp *p, const char *const *words)
{
	int k = p->sub & ~TOK_BLANK, r = k ? -1 : -2;
	if (k && k != TOK_NONE && !words[k - 1][p->pos])
		r = k - 1;
	p->sub = 0;
	p->pos = 0;
	return r;
}

/* A Content-Length value: digits, blanks around them (sub: 0 before the
 * digits, 1 in them, 2 after).  A length we cannot read exactly would
 * misframe every reply after this one (RFC 9112 section 6.3, item 5). */
static bool cl_char(struct http_resp *p, int ch)
{
	if (ch == '\r')
		return p->sub && (p->cl_prev < 0 || p->cl_prev == p->content_length);
	if (ch == ' ' || ch == '\t') {
		if (p->sub == 1)
			p->sub = 2;
		return true;
	}
	if (ch < '0' || ch > '9' || p->sub == 2)
		return false;
	p->content_length = p->content_length * 10 + (ch - '0');
	if (p->content_length > CL_SAT)
		p->content_length = CL_SAT;
	p->sub = 1;
	return true;
}

/* One byte of a field value. */
static enum http_resp_event value_char(struct http_resp *p, int ch)
{
	if (ch != '\r' && !text_char(ch))
		return HTTP_RESP_BAD; /* a bare LF, NUL, other controls */
	if (p->which == N_CL && !cl_char(p, ch))
		return HTTP_RESP_BAD;
	/* Transfer-Encoding frames the body: its list holds tokens (with
	 * parameters), or it is not trusted (RFC 9112 section 7) */
	if (p->which == N_TE && ch != '\r' && !tchar(ch) && !strchr(" \t,;=\"", ch))
		return HTTP_RESP_BAD;
	if ((p->which == N_CONN || p->which == N_TE) && ch != ',' && ch != '\r') {
		/* a Connection option that is no token is no option we know;
		 * a coding that is no token leaves the framing unknown */
		if (!token_char(p, ch, p->which == N_CONN ? conn_words : te_words) &&
		    p->which == N_TE)
			return HTTP_RESP_BAD;
	} else if (p->which == N_CONN) {
		int k = token_end(p, conn_words);
		p->flags |= k == 0 ? HR_CLOSE : k == 1 ? HR_KEEP : 0;
	} else if (p->which == N_TE) {
		int k = token_end(p, te_words);
		if (k == 0 && (p->flags & HR_CHUNKED_SEEN))
			return HTTP_RESP_BAD; /* chunked twice (RFC 9112 section 6.1) */
		if (k == 0)
			p->flags |= HR_CHUNKED | HR_CHUNKED_SEEN;
		else if (k == -1)
			p->flags &= (uint8_t)~HR_CHUNKED; /* chunked, then another coding */
	}
	if (ch == '\r')
		p->state = R_LINE_LF;
	return HTTP_RESP_MORE;
}

/* The status line, "HTTP/1.x NNN reason": `pos` counts its bytes up to
 * the blank after the three digits (13), and stays there. */
static enum http_resp_event status_char(struct http_resp *p, int ch)
{
	if (ch == '\r') {
		if (p->pos < 12)
			return HTTP_RESP_BAD;
		p->state = R_STATUS_LF;
	} else if (p->pos < 9) {
		if (p->pos == 7 ? ch < '0' || ch > '9' : ch != "HTTP/1.x "[p->pos])
			return HTTP_RESP_BAD;
		if (p->pos == 7 && ch == '0')
			p->flags |= HR_HTTP10;
		p->pos++;
	} else if (p->pos < 12) {
		/* RFC 9110 section 15: 100 to 599; 6xx-9xx pass as final
		 * replies (counted nowhere), 0xx is no status at all */
		if (ch < '0' || ch > '9' || (p->pos == 9 && ch == '0'))
			return HTTP_RESP_BAD;
		p->status = (uint16_t)(p->status * 10 + (ch - '0'));
		p->pos++;
	} else if (p->pos == 12) {
		if (ch != ' ')
			return HTTP_RESP_BAD; /* exactly 3 digits, then the reason */
		p->pos++;
	} else if (!text_char(ch)) {
		return HTTP_RESP_BAD;
	}
	return HTTP_RESP_MORE;
}

/* The head (not the trailers) ended: how its body is framed. */
static enum http_resp_event head_end(struct http_resp *p)
{
	if (p->status < 200) {
		if (p->status == 101)
			return HTTP_RESP_BAD; /* we never asked to switch protocols */
		/* interim (RFC 9110 section 15.2): nothing in it frames the
		 * final reply, which follows; its bytes still count in head */
		p->state = R_STATUS;
		p->pos = p->status = 0;
		p->flags &= HR_NOBODY;
		p->content_length = p->cl_prev = -1;
		return HTTP_RESP_MORE;
	}
	if ((p->flags & HR_NOBODY) || p->status == 204 || p->status == 304)
		return done(p);
	if (p->flags & HR_TE) {
		if (p->content_length >= 0 || (p->flags & HR_HTTP10))
			return HTTP_RESP_BAD;
		p->state = (p->flags & HR_CHUNKED) ? R_CSIZE : R_CLOSE;
	} else if (p->content_length < 0) {
		p->state = R_CLOSE;
	} else if ((uint64_t)p->content_length > p->max_msg) {
		return HTTP_RESP_TOO_BIG;
	} else {
		p->left = (uint64_t)p->content_length;
		p->state = R_BODY;
		if (!p->left)
			return done(p);
	}
	if (p->state == R_CLOSE)
		p->flags |= HR_CLOSE; /* the close is the body's end */
	p->sub = 0;
	return HTTP_RESP_MORE;
}

/* A chunk-size line, "1a;name=value\r\n", and the CRLF after the data. */
static enum http_resp_event chunk_char(struct http_resp *p, int ch)
{
	int d = hexval(ch);
	uint64_t room = p->max_msg - p->body;
	switch (p->state) {
	case R_CSIZE: /* sub: a digit seen */
		if (d >= 0) {
			if ((uint64_t)d > room || p->left > (room - (uint64_t)d) / 16)
				return HTTP_RESP_TOO_BIG; /* decided before its data */
			p->left = p->left * 16 + (uint64_t)d;
			p->sub = 1;
		} else if (!p->sub || (ch != ';' && ch != ' ' && ch != '\t' && ch != '\r')) {
			return HTTP_RESP_BAD;
		} else {
			p->state = ch == '\r' ? R_CSIZE_LF : R_CEXT;
			p->pos = ch == ';'; /* 0: blanks before any ";" (BWS) */
		}
		break;
	case R_CEXT: /* extensions are read and ignored */
		if (ch == '\r')
			p->state = R_CSIZE_LF;
		else if (!p->pos && ch == ';')
			p->pos = 1;
		else if (!p->pos ? ch != ' ' && ch != '\t' : !text_char(ch))
			return HTTP_RESP_BAD;
		break;
	case R_CSIZE_LF:
		if (ch != '\n')
			return HTTP_RESP_BAD;
		p->state = p->left ? R_CDATA : R_NAME;
		if (!p->left) { /* the last chunk: the trailer section follows */
			p->flags |= HR_TRAILER;
			p->pos = 0;
			p->which = N_ALL;
		}
		break;
	case R_CDATA_CR:
		if (ch != '\r')
			return HTTP_RESP_BAD;
		p->state = R_CDATA_LF;
		break;
	default: /* R_CDATA_LF */
		if (ch != '\n')
			return HTTP_RESP_BAD;
		p->state = R_CSIZE;
		p->sub = 0;
		p->line = 0;
		break;
	}
	return HTTP_RESP_MORE;
}

/* One byte of a head, of the trailers or of the chunk framing. */
static enum http_resp_event resp_char(struct http_resp *p, int ch)
{
	if (p->state < R_CSIZE ? ++p->head > p->max_head
			       : p->state < R_BODY && ++p->line > p->max_head)
		return HTTP_RESP_HEAD_TOO_BIG;
	switch (p->state) {
	case R_STATUS:
		return status_char(p, ch);
	case R_STATUS_LF:
	case R_LINE_LF:
		if (ch != '\n')
			return HTTP_RESP_BAD; /* we take CRLF only, as we send it */
		p->state = R_NAME;
		p->pos = 0;
		p->which = N_ALL;
		return HTTP_RESP_MORE;
	case R_NAME:
		if (ch == '\r' && !p->pos) {
			p->state = R_HEAD_LF;
		} else if (ch == ':' && p->pos) {
			name_char(p, '\0'); /* the whole name, not a prefix */
			if (p->flags & HR_TRAILER)
				p->which = 0; /* trailers frame nothing (RFC 9110 6.5.1) */
			if (p->which == N_CL) {
				p->cl_prev = p->content_length;
				p->content_length = 0;
			}
			p->flags |= p->which == N_TE ? HR_TE : 0;
			p->state = R_VALUE;
			p->pos = p->sub = 0;
		} else if (!tchar(ch)) {
			return HTTP_RESP_BAD; /* blanks before the colon, obs-fold, ... */
		} else {
			name_char(p, lower(ch));
			p->pos += p->pos < 0xffff;
		}
		return HTTP_RESP_MORE;
	case R_VALUE:
		return value_char(p, ch);
	case R_HEAD_LF:
		if (ch != '\n')
			return HTTP_RESP_BAD;
		return p->flags & HR_TRAILER ? done(p) : head_end(p);
	default:
		return chunk_char(p, ch);
	}
}

/* Body bytes, skipped in bulk: how many of n were taken. */
static size_t body_bytes(struct http_resp *p, size_t n, enum http_resp_event *ev)
{
	if (p->state == R_CLOSE) {
		uint64_t room = p->max_msg - p->body;
		if ((uint64_t)n > room) {
			*ev = HTTP_RESP_TOO_BIG;
			return (size_t)room + 1; /* up to the byte too many */
		}
		p->body += n;
		return n;
	}
	uint64_t take = (uint64_t)n < p->left ? (uint64_t)n : p->left;
	p->left -= take;
	p->body += take;
	if (!p->left) {
		if (p->state == R_BODY)
			*ev = done(p);
		else
			p->state = R_CDATA_CR;
	}
	return (size_t)take;
}

enum http_resp_event http_resp_feed(struct http_resp *p, const uint8_t *buf, size_t len,
				    size_t *used)
{
	enum http_resp_event ev = p->state == R_DONE ? HTTP_RESP_DONE : HTTP_RESP_MORE;
	size_t i = 0;
	while (i < len && ev == HTTP_RESP_MORE) {
		if (p->state == R_BODY || p->state == R_CLOSE || p->state == R_CDATA)
			i += body_bytes(p, len - i, &ev);
		else
			ev = resp_char(p, buf[i++]);
	}
	*used = i;
	return ev;
}

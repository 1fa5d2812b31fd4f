/* proto.c - rr framing and the reply pattern; no I/O here. */
#include <string.h>

#include "sockbench/proto.h"

const char *const proto_names[] = {"echo", "rr", "sink", "http", NULL};

void rr_parser_init(struct rr_parser *p)
{
	memset(p, 0, sizeof *p);
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void rr_header(uint8_t out[RR_HDR_LEN], uint32_t req_len, uint32_t resp_len)
{
	for (int i = 0; i < 4; i++) {
		out[i] = (uint8_t)(req_len >> (24 - 8 * i));
		out[4 + i] = (uint8_t)(resp_len >> (24 - 8 * i));
	}
}

enum rr_event rr_feed(struct rr_parser *p, const uint8_t *buf, size_t len, uint32_t max_msg,
		      size_t *used, uint32_t *resp_len)
{
	size_t i = 0;
	if (p->hdr_have < RR_HDR_LEN) {
		size_t take = RR_HDR_LEN - p->hdr_have;
		if (take > len)
			take = len;
		memcpy(p->hdr + p->hdr_have, buf, take);
		p->hdr_have += (uint32_t)take;
		i = take;
		if (p->hdr_have < RR_HDR_LEN) {
			*used = i;
			return RR_MORE;
		}
		uint32_t req = be32(p->hdr), resp = be32(p->hdr + 4);
		/* Judge the lengths before anything is allocated or skipped: a
		 * header announcing 4 GiB costs nothing but this comparison. */
		if (req > max_msg || resp > max_msg) {
			*used = i;
			return RR_ERROR;
		}
		p->payload_left = req;
		p->resp_len = resp;
	}
	size_t avail = len - i;
	size_t skip = avail < p->payload_left ? avail : (size_t)p->payload_left;
	p->payload_left -= skip;
	i += skip;
	*used = i;
	if (p->payload_left)
		return RR_MORE;
	*resp_len = p->resp_len;
	p->hdr_have = 0;
	return RR_REQUEST;
}

/* PATTERN_SPAN is a multiple of 251, so an iovec of it followed by another
 * starting at pattern[0] continues the sequence without a seam. */
#define PATTERN_SPAN (251u * 256u)
static uint8_t pattern[PATTERN_SPAN + 251];

void pattern_init(void)
{
	for (size_t i = 0; i < sizeof pattern; i++)
		pattern[i] = (uint8_t)(i % 251);
}

int pattern_iov(uint64_t off, uint64_t len, struct iovec *iov, int max, uint64_t *covered)
{
	int n = 0;
	uint64_t done = 0;
	while (done < len && n < max) {
		uint64_t start = (off + done) % 251;
		uint64_t take = len - done < PATTERN_SPAN ? len - done : PATTERN_SPAN;
		iov[n].iov_base = pattern + start;
		iov[n].iov_len = (size_t)take;
		done += take;
		n++;
	}
	*covered = done;
	return n;
}

size_t pattern_check(const uint8_t *buf, size_t len, uint64_t off)
{
	uint32_t v = (uint32_t)(off % 251);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != v)
			return i;
		if (++v == 251)
			v = 0;
	}
	return len;
}

void pattern_fill(uint8_t *buf, size_t len, uint64_t off)
{
	uint32_t v = (uint32_t)(off % 251);
	for (size_t i = 0; i < len; i++) {
		buf[i] = (uint8_t)v;
		if (++v == 251)
			v = 0;
	}
}

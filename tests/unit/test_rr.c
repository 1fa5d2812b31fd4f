/* test_rr.c - the rr request parser (rr_feed, rr_header) and the reply
 * pattern (pattern_iov, pattern_check, pattern_fill).
 *
 * The parser must give the same requests for every way TCP can cut the byte
 * stream, so each stream is fed whole, cut in two at every offset, one byte
 * at a time and in random chunks; every request must end exactly at its
 * frame's last byte.  Random data comes from a fixed-seed splitmix64, so a
 * failure repeats; messages name the seed and the cut.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sbunit.h"
#include "sockbench/proto.h"

#define MAX_MSG	    70000u
#define MAX_FRAMES  16
#define SPAN	    (251u * 256u) /* PATTERN_SPAN in src/proto.c: one iovec's length */
#define SEED_STREAM 0x5eedULL

/* ---- helpers ---------------------------------------------------------- */

struct frame {
	uint32_t req, resp;
};

/* A byte stream of rr frames; end[i] is the offset just past frame i. */
struct stream {
	uint8_t *buf;
	size_t len;
	size_t n;
	struct frame f[MAX_FRAMES];
	size_t end[MAX_FRAMES];
};

/* Payload bytes are random, so they often look like headers: a parser that
 * misframes would read them as lengths and go wrong visibly. */
static void stream_build(struct stream *s, const struct frame *f, size_t n, uint64_t seed)
{
	assert_true(n <= MAX_FRAMES);
	s->n = n;
	s->len = 0;
	for (size_t i = 0; i < n; i++) {
		s->f[i] = f[i];
		s->len += RR_HDR_LEN + f[i].req;
		s->end[i] = s->len;
	}
	s->buf = malloc(s->len ? s->len : 1);
	assert_non_null(s->buf);
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		rr_header(s->buf + at, f[i].req, f[i].resp);
		at += RR_HDR_LEN;
		for (uint32_t k = 0; k < f[i].req; k++)
			s->buf[at++] = (uint8_t)sbunit_rng_next(&seed);
	}
	assert_int_equal(at, s->len);
}

static void stream_free(struct stream *s)
{
	free(s->buf);
	s->buf = NULL;
}

/* Twelve frames with lengths 0..70000: zero-length requests and zero-length
 * replies at the start, in the middle and at the end, plus the maximum. */
static void stream_random(struct stream *s, uint64_t seed)
{
	struct frame f[12];
	uint64_t r = seed;
	for (size_t i = 0; i < 12; i++) {
		f[i].req = sbunit_rng_below(&r, MAX_MSG + 1);
		f[i].resp = sbunit_rng_below(&r, MAX_MSG + 1);
	}
	f[0].req = 0;
	f[1].resp = 0;
	f[4].req = 0;
	f[4].resp = 0;
	f[5].req = MAX_MSG;
	f[5].resp = MAX_MSG;
	f[6].req = 1;
	f[7].resp = 1;
	f[11].req = 0;
	f[10].resp = 0;
	stream_build(s, f, 12, seed ^ 0xabcdef);
}

/* Feeds chunks of one stream like a server does: loop on rr_feed until the
 * chunk is used up, checking every event against the frames as it comes. */
struct feeder {
	struct rr_parser p;
	const struct stream *s;
	size_t pos;  /* stream bytes consumed so far */
	size_t nreq; /* requests seen so far */
	const char *how;
	uint64_t arg; /* the cut offset or seed, for failure messages */
};

#define FEED_CHECK(fd, cond, ...)                                                                  \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			print_error("%s (%s, arg %llu, stream pos %zu, request %zu): ", #cond,     \
				    (fd)->how, (unsigned long long)(fd)->arg, (fd)->pos,           \
				    (fd)->nreq);                                                   \
			print_error(__VA_ARGS__);                                                  \
			print_error("\n");                                                         \
			fail();                                                                    \
		}                                                                                  \
	} while (0)

static void feeder_init(struct feeder *fd, const struct stream *s, const char *how, uint64_t arg)
{
	rr_parser_init(&fd->p);
	fd->s = s;
	fd->pos = 0;
	fd->nreq = 0;
	fd->how = how;
	fd->arg = arg;
}

static void feed_chunk(struct feeder *fd, size_t len)
{
	const uint8_t *b = fd->s->buf + fd->pos;
	while (len > 0) {
		size_t used = (size_t)-1;
		uint32_t resp = 0xdeadbeef;
		enum rr_event ev = rr_feed(&fd->p, b, len, MAX_MSG, &used, &resp);
		FEED_CHECK(fd, ev == RR_MORE || ev == RR_REQUEST, "event %d", (int)ev);
		FEED_CHECK(fd, used > 0 && used <= len, "used %zu of %zu", used, len);
		fd->pos += used;
		b += used;
		len -= used;
		if (ev == RR_MORE) {
			FEED_CHECK(fd, len == 0, "RR_MORE left %zu bytes unconsumed", len);
			FEED_CHECK(fd, fd->nreq < fd->s->n && fd->pos < fd->s->end[fd->nreq],
				   "RR_MORE at %zu although a frame ends at or before it", fd->pos);
			continue;
		}
		FEED_CHECK(fd, fd->nreq < fd->s->n, "more requests than the %zu frames", fd->s->n);
		FEED_CHECK(fd, resp == fd->s->f[fd->nreq].resp, "resp_len expected %u, got %u",
			   fd->s->f[fd->nreq].resp, resp);
		FEED_CHECK(fd, fd->pos == fd->s->end[fd->nreq],
			   "request ended at offset %zu, frame ends at %zu", fd->pos,
			   fd->s->end[fd->nreq]);
		fd->nreq++;
	}
}

static void feeder_finish(struct feeder *fd)
{
	FEED_CHECK(fd, fd->nreq == fd->s->n, "requests expected %zu, got %zu", fd->s->n, fd->nreq);
	FEED_CHECK(fd, fd->pos == fd->s->len, "consumed %zu of %zu bytes", fd->pos, fd->s->len);
	/* Between requests the parser holds nothing. */
	FEED_CHECK(fd, fd->p.hdr_have == 0 && fd->p.payload_left == 0,
		   "parser not idle: hdr_have %u payload_left %llu", fd->p.hdr_have,
		   (unsigned long long)fd->p.payload_left);
}

static void feed_whole(const struct stream *s)
{
	struct feeder fd;
	feeder_init(&fd, s, "whole", 0);
	feed_chunk(&fd, s->len);
	feeder_finish(&fd);
}

/* Cut the stream in two at every offset 0..len. */
static void feed_every_cut(const struct stream *s, const char *how)
{
	for (size_t cut = 0; cut <= s->len; cut++) {
		struct feeder fd;
		feeder_init(&fd, s, how, cut);
		feed_chunk(&fd, cut);
		feed_chunk(&fd, s->len - cut);
		feeder_finish(&fd);
	}
}

/* ---- stream feeding ----------------------------------------------------- */

static void test_rr_whole_stream(void **state)
{
	(void)state;
	struct stream s;
	stream_random(&s, SEED_STREAM);
	feed_whole(&s);
	stream_free(&s);
}

static void test_rr_split_every_offset_single_frame(void **state)
{
	(void)state;
	uint64_t r = 42;
	const struct frame frames[] = {
	    {0, 0},
	    {0, MAX_MSG},
	    {MAX_MSG, 0},
	    {1, 1},
	    {sbunit_rng_below(&r, MAX_MSG + 1), sbunit_rng_below(&r, MAX_MSG + 1)},
	    {sbunit_rng_below(&r, MAX_MSG + 1), sbunit_rng_below(&r, MAX_MSG + 1)},
	};
	for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
		struct stream s;
		stream_build(&s, &frames[i], 1, 1000 + i);
		feed_every_cut(&s, "single frame, cut at");
		stream_free(&s);
	}
}

static void test_rr_split_every_offset_three_frames(void **state)
{
	(void)state;
	uint64_t r = 7;
	const struct frame sets[][3] = {
	    {{sbunit_rng_below(&r, MAX_MSG + 1), sbunit_rng_below(&r, MAX_MSG + 1)},
	     {0, sbunit_rng_below(&r, MAX_MSG + 1)},
	     {sbunit_rng_below(&r, MAX_MSG + 1), 0}},
	    {{0, 0}, {5, 3}, {0, 0}},
	};
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		struct stream s;
		stream_build(&s, sets[i], 3, 2000 + i);
		feed_every_cut(&s, "three frames, cut at");
		stream_free(&s);
	}
}

/* Three small frames cut at every pair of offsets: headers split across
 * three calls, and chunks that hold one header's end and the next's start. */
static void test_rr_split_every_pair_of_offsets(void **state)
{
	(void)state;
	const struct frame f[] = {{3, 9}, {0, 0}, {2, 70000}, {0, 1}};
	struct stream s;
	stream_build(&s, f, 4, 3000);
	for (size_t a = 0; a <= s.len; a++) {
		for (size_t b = a; b <= s.len; b++) {
			struct feeder fd;
			feeder_init(&fd, &s, "cuts at a*1000+b", a * 1000 + b);
			feed_chunk(&fd, a);
			feed_chunk(&fd, b - a);
			feed_chunk(&fd, s.len - b);
			feeder_finish(&fd);
		}
	}
	stream_free(&s);
}

static void test_rr_one_byte_at_a_time(void **state)
{
	(void)state;
	struct stream s;
	stream_random(&s, SEED_STREAM + 1);
	struct feeder fd;
	feeder_init(&fd, &s, "one byte at a time", 0);
	for (size_t i = 0; i < s.len; i++)
		feed_chunk(&fd, 1);
	feeder_finish(&fd);
	stream_free(&s);
}

static void test_rr_random_chunks(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 30; seed++) {
		struct stream s;
		stream_random(&s, SEED_STREAM + 100 + seed);
		struct feeder fd;
		feeder_init(&fd, &s, "random chunks, seed", seed);
		uint64_t r = seed;
		/* Small chunks split headers; large ones hold several frames. */
		static const uint32_t scale[] = {9, 64, 4096, 70000, 300000};
		while (fd.pos < s.len) {
			size_t left = s.len - fd.pos;
			size_t n = 1 + sbunit_rng_below(&r, scale[sbunit_rng_below(&r, 5)]);
			feed_chunk(&fd, n < left ? n : left);
		}
		feeder_finish(&fd);
		stream_free(&s);
	}
}

/* A call with no bytes reports RR_MORE and consumes nothing, wherever the
 * parser stands, and does not disturb the request in progress. */
static void test_rr_feed_zero_bytes(void **state)
{
	(void)state;
	struct rr_parser p;
	uint8_t b[RR_HDR_LEN + 10] = {0};
	size_t used = 99;
	uint32_t resp = 0;
	rr_parser_init(&p);
	assert_int_equal(rr_feed(&p, b, 0, MAX_MSG, &used, &resp), RR_MORE);
	assert_int_equal(used, 0);
	rr_header(b, 10, 77);
	assert_int_equal(rr_feed(&p, b, 3, MAX_MSG, &used, &resp), RR_MORE);
	assert_int_equal(used, 3);
	assert_int_equal(rr_feed(&p, b + 3, 0, MAX_MSG, &used, &resp), RR_MORE);
	assert_int_equal(used, 0);
	assert_int_equal(rr_feed(&p, b + 3, 5 + 4, MAX_MSG, &used, &resp), RR_MORE);
	assert_int_equal(used, 9);
	used = 99;
	assert_int_equal(rr_feed(&p, b + 12, 0, MAX_MSG, &used, &resp), RR_MORE);
	assert_int_equal(used, 0);
	assert_int_equal(rr_feed(&p, b + 12, 6, MAX_MSG, &used, &resp), RR_REQUEST);
	assert_int_equal(used, 6);
	assert_int_equal(resp, 77);
}

/* ---- limits ------------------------------------------------------------- */

struct limit_case {
	uint32_t max_msg, req, resp;
	enum rr_event want; /* RR_REQUEST: accepted */
};

static void test_rr_limits(void **state)
{
	(void)state;
	const uint32_t M = 1000, BIG = 16u << 20;
	const struct limit_case cases[] = {
	    {M, M + 1, 0, RR_ERROR},
	    {M, 0, M + 1, RR_ERROR},
	    {M, M + 1, M + 1, RR_ERROR},
	    {M, M, M, RR_REQUEST},
	    {M, M, 0, RR_REQUEST},
	    {M, 0, M, RR_REQUEST},
	    {M, 0xffffffffu, 0, RR_ERROR},
	    {M, 0, 0xffffffffu, RR_ERROR},
	    {M, 0xffffffffu, 0xffffffffu, RR_ERROR},
	    {M, 0x80000000u, 0, RR_ERROR}, /* high bit: no signed/short arithmetic */
	    {M, 1u << 16, 0, RR_ERROR},	   /* low 16 bits zero: no truncation to 16 bits */
	    {0, 0, 0, RR_REQUEST},
	    {0, 1, 0, RR_ERROR},
	    {0, 0, 1, RR_ERROR},
	    {BIG, BIG + 1, 0, RR_ERROR},
	    {BIG, 0, BIG + 1, RR_ERROR},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct limit_case *c = &cases[i];
		size_t len = RR_HDR_LEN + (c->want == RR_REQUEST ? c->req : 0) + 16;
		uint8_t *b = calloc(1, len);
		assert_non_null(b);
		rr_header(b, c->req, c->resp);
		struct rr_parser p;
		rr_parser_init(&p);
		size_t used = 0;
		uint32_t resp = 0xdeadbeef;
		enum rr_event ev = rr_feed(&p, b, len, c->max_msg, &used, &resp);
		if (ev != c->want) {
			print_error("case %zu (max_msg %u req %u resp %u): event expected %d, "
				    "got %d\n",
				    i, c->max_msg, c->req, c->resp, (int)c->want, (int)ev);
			fail();
		}
		if (c->want == RR_ERROR) {
			/* Judged on the header alone: no payload byte skipped. */
			assert_int_equal(used, RR_HDR_LEN);
		} else {
			assert_int_equal(used, RR_HDR_LEN + c->req);
			assert_int_equal(resp, c->resp);
		}
		free(b);
	}
}

/* Lengths exactly at a large max_msg are accepted from the header alone:
 * the whole announced payload is still to come. */
static void test_rr_limit_exact_large(void **state)
{
	(void)state;
	const uint32_t maxes[] = {16u << 20, 0xffffffffu};
	for (size_t i = 0; i < sizeof maxes / sizeof maxes[0]; i++) {
		uint8_t h[RR_HDR_LEN];
		struct rr_parser p;
		size_t used = 0;
		uint32_t resp = 0;
		rr_header(h, maxes[i], maxes[i]);
		rr_parser_init(&p);
		assert_int_equal(rr_feed(&p, h, sizeof h, maxes[i], &used, &resp), RR_MORE);
		assert_int_equal(used, RR_HDR_LEN);
		assert_int_equal(p.payload_left, maxes[i]);
		assert_int_equal(p.resp_len, maxes[i]);
	}
}

/* The error comes only once the header is whole, whatever the split. */
static void test_rr_oversize_header_split(void **state)
{
	(void)state;
	const uint32_t M = 1000;
	uint8_t b[RR_HDR_LEN + 5] = {0};
	const uint32_t heads[][2] = {{M + 1, 0}, {0, M + 1}, {0xffffffffu, 0}, {0, 0xffffffffu}};
	for (size_t h = 0; h < 4; h++) {
		rr_header(b, heads[h][0], heads[h][1]);
		for (size_t k = 1; k < RR_HDR_LEN; k++) {
			struct rr_parser p;
			size_t used = 0;
			uint32_t resp = 0;
			rr_parser_init(&p);
			assert_int_equal(rr_feed(&p, b, k, M, &used, &resp), RR_MORE);
			assert_int_equal(used, k);
			assert_int_equal(rr_feed(&p, b + k, sizeof b - k, M, &used, &resp),
					 RR_ERROR);
			assert_int_equal(used, RR_HDR_LEN - k);
		}
		/* One byte at a time: seven RR_MORE, then the error. */
		struct rr_parser p;
		size_t used = 0;
		uint32_t resp = 0;
		rr_parser_init(&p);
		for (size_t k = 0; k < RR_HDR_LEN - 1; k++) {
			assert_int_equal(rr_feed(&p, b + k, 1, M, &used, &resp), RR_MORE);
			assert_int_equal(used, 1);
		}
		assert_int_equal(rr_feed(&p, b + RR_HDR_LEN - 1, 1, M, &used, &resp), RR_ERROR);
		assert_int_equal(used, 1);
	}
}

/* A good request, then an oversize header in the same buffer. */
static void test_rr_oversize_after_good_request(void **state)
{
	(void)state;
	uint8_t b[RR_HDR_LEN + 3 + RR_HDR_LEN + 4] = {0};
	rr_header(b, 3, 9);
	rr_header(b + RR_HDR_LEN + 3, 0, 1001);
	struct rr_parser p;
	size_t used = 0;
	uint32_t resp = 0;
	rr_parser_init(&p);
	assert_int_equal(rr_feed(&p, b, sizeof b, 1000, &used, &resp), RR_REQUEST);
	assert_int_equal(used, RR_HDR_LEN + 3);
	assert_int_equal(resp, 9);
	size_t at = used;
	assert_int_equal(rr_feed(&p, b + at, sizeof b - at, 1000, &used, &resp), RR_ERROR);
	assert_int_equal(used, RR_HDR_LEN);
}

/* ---- rr_header ---------------------------------------------------------- */

static void test_rr_header_bytes(void **state)
{
	(void)state;
	const struct {
		uint32_t req, resp;
		uint8_t want[RR_HDR_LEN];
	} cases[] = {
	    {0x01020304u, 5, {0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x05}},
	    {0, 0, {0, 0, 0, 0, 0, 0, 0, 0}},
	    {0xffffffffu, 0x80000001u, {0xff, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x01}},
	    {0xa1b2c3d4u, 0x00ff00ffu, {0xa1, 0xb2, 0xc3, 0xd4, 0x00, 0xff, 0x00, 0xff}},
	    {70000, 1, {0x00, 0x01, 0x11, 0x70, 0x00, 0x00, 0x00, 0x01}},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t out[RR_HDR_LEN + 2];
		memset(out, 0xee, sizeof out);
		rr_header(out, cases[i].req, cases[i].resp);
		assert_memory_equal(out, cases[i].want, RR_HDR_LEN);
		assert_int_equal(out[RR_HDR_LEN], 0xee); /* writes 8 bytes, no more */
	}
}

/* rr_header then rr_feed gives back resp_len and consumes exactly the
 * announced payload, for random lengths. */
static void test_rr_header_round_trip(void **state)
{
	(void)state;
	uint64_t r = 99;
	uint8_t *b = calloc(1, RR_HDR_LEN + MAX_MSG);
	assert_non_null(b);
	for (int i = 0; i < 2000; i++) {
		uint32_t req = sbunit_rng_below(&r, i % 2 ? 300 : MAX_MSG + 1);
		uint32_t resp = (uint32_t)sbunit_rng_next(&r) % (MAX_MSG + 1);
		rr_header(b, req, resp);
		uint32_t be_req =
		    (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
		uint32_t be_resp =
		    (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
		assert_int_equal(be_req, req);
		assert_int_equal(be_resp, resp);
		struct rr_parser p;
		size_t used = 0;
		uint32_t got = 0xdeadbeef;
		rr_parser_init(&p);
		assert_int_equal(rr_feed(&p, b, RR_HDR_LEN + MAX_MSG, MAX_MSG, &used, &got),
				 RR_REQUEST);
		assert_int_equal(used, RR_HDR_LEN + req);
		assert_int_equal(got, resp);
	}
	free(b);
}

/* ---- reply pattern ------------------------------------------------------- */

static int pattern_setup(void **state)
{
	(void)state;
	pattern_init();
	return 0;
}

/* Bytes [off, off+covered) as the iovecs give them must be (off+i) % 251. */
static void check_iov(uint64_t off, uint64_t len, int max, uint64_t want_covered, int want_n)
{
	struct iovec iov[64];
	assert_true(max <= 64);
	uint64_t covered = 12345;
	int n = pattern_iov(off, len, iov, max, &covered);
	if (n != want_n || covered != want_covered) {
		print_error("pattern_iov(off %llu, len %llu, max %d): expected n %d covered %llu, "
			    "got n %d covered %llu\n",
			    (unsigned long long)off, (unsigned long long)len, max, want_n,
			    (unsigned long long)want_covered, n, (unsigned long long)covered);
		fail();
	}
	uint64_t i = 0;
	for (int k = 0; k < n; k++) {
		const uint8_t *b = iov[k].iov_base;
		assert_true(iov[k].iov_len > 0);
		for (size_t j = 0; j < iov[k].iov_len; j++, i++) {
			if (b[j] != (off + i) % 251) {
				print_error("pattern_iov(off %llu, len %llu): byte %llu (iov %d + "
					    "%zu) expected %u, got %u\n",
					    (unsigned long long)off, (unsigned long long)len,
					    (unsigned long long)i, k, j,
					    (unsigned)((off + i) % 251), b[j]);
				fail();
			}
		}
	}
	assert_int_equal(i, covered);
}

static int iovs_for(uint64_t len)
{
	return (int)((len + SPAN - 1) / SPAN);
}

static void test_pattern_iov(void **state)
{
	(void)state;
	const uint64_t offs[] = {0,    1,	 250,  251,	 252,
				 1000, SPAN - 1, SPAN, SPAN + 7, (1ULL << 40) + 3};
	const uint64_t lens[] = {
	    0,	      1,    2,	      250,	251,   252,	      1000,
	    SPAN - 1, SPAN, SPAN + 1, 2 * SPAN, 70000, 3 * SPAN + 77, 10 * SPAN + 3};
	for (size_t o = 0; o < sizeof offs / sizeof offs[0]; o++)
		for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
			check_iov(offs[o], lens[l], 64, lens[l], iovs_for(lens[l]));
}

/* Fewer iovecs than needed: covered < len, and continuing from covered
 * finishes the reply. */
static void test_pattern_iov_max_too_small(void **state)
{
	(void)state;
	const uint64_t off = 77, len = 3 * SPAN + 5;
	check_iov(off, len, 0, 0, 0);
	check_iov(off, len, 1, SPAN, 1);
	check_iov(off, len, 2, 2 * SPAN, 2);
	check_iov(off, len, 3, 3 * SPAN, 3);
	check_iov(off, len, 4, len, 4);
	check_iov(off + 2 * SPAN, len - 2 * SPAN, 2, len - 2 * SPAN, 2);
	check_iov(off + SPAN + 1, 2 * SPAN, 1, SPAN, 1);

	/* A sender loop: two iovecs per call until the reply is covered. */
	uint64_t done = 0;
	int calls = 0;
	while (done < len) {
		struct iovec iov[2];
		uint64_t covered = 0;
		int n = pattern_iov(off + done, len - done, iov, 2, &covered);
		assert_in_range(n, 1, 2);
		assert_true(covered > 0 && covered <= len - done);
		uint64_t sum = 0;
		for (int k = 0; k < n; k++) {
			assert_int_equal(
			    pattern_check(iov[k].iov_base, iov[k].iov_len, off + done + sum),
			    iov[k].iov_len);
			sum += iov[k].iov_len;
		}
		assert_int_equal(sum, covered);
		done += covered;
		calls++;
	}
	assert_int_equal(done, len);
	assert_int_equal(calls, 2);
}

static void test_pattern_check_and_fill(void **state)
{
	(void)state;
	const size_t len = 3000;
	uint8_t *b = malloc(len);
	assert_non_null(b);
	const uint64_t offs[] = {0, 1, 250, 251, 5000, (1ULL << 33) + 17};
	for (size_t o = 0; o < sizeof offs / sizeof offs[0]; o++) {
		uint64_t off = offs[o];
		memset(b, 0xaa, len);
		pattern_fill(b, len, off);
		for (size_t i = 0; i < len; i++)
			assert_int_equal(b[i], (off + i) % 251);
		assert_int_equal(pattern_check(b, len, off), len);
		assert_int_equal(pattern_check(b, 0, off), 0);
		/* The same bytes at another offset: wrong unless a multiple of 251. */
		assert_int_equal(pattern_check(b, len, off + 1), 0);
		assert_int_equal(pattern_check(b, len, off + 250), 0);
		assert_int_equal(pattern_check(b, len, off + 251), len);
		/* A suffix checked at its own offset is good. */
		assert_int_equal(pattern_check(b + 100, len - 100, off + 100), len - 100);
		/* The first wrong byte is found, wherever it is. */
		const size_t bad[] = {0, 1, 250, 251, 1234, len - 1};
		for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
			uint8_t keep = b[bad[k]];
			b[bad[k]] = (uint8_t)(keep + 1);
			assert_int_equal(pattern_check(b, len, off), bad[k]);
			b[len - 1] ^= 0x40; /* a later error does not hide the first */
			assert_int_equal(pattern_check(b, len, off), bad[k]);
			b[len - 1] ^= 0x40;
			b[bad[k]] = keep;
		}
		assert_int_equal(pattern_check(b, len, off), len);
	}
	/* Bytes 251..255 never occur in the pattern. */
	uint8_t one = 251;
	assert_int_equal(pattern_check(&one, 1, 0), 0);
	free(b);
}

/* pattern_fill and the iovecs describe the same bytes. */
static void test_pattern_fill_matches_iov(void **state)
{
	(void)state;
	const uint64_t off = 123456789, len = 2 * SPAN + 999;
	uint8_t *want = malloc(len), *got = malloc(len);
	assert_non_null(want);
	assert_non_null(got);
	pattern_fill(want, len, off);
	struct iovec iov[8];
	uint64_t covered = 0;
	int n = pattern_iov(off, len, iov, 8, &covered);
	assert_int_equal(covered, len);
	size_t at = 0;
	for (int k = 0; k < n; k++) {
		memcpy(got + at, iov[k].iov_base, iov[k].iov_len);
		at += iov[k].iov_len;
	}
	assert_int_equal(at, len);
	assert_memory_equal(got, want, len);
	free(want);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rr_whole_stream),
	    cmocka_unit_test(test_rr_split_every_offset_single_frame),
	    cmocka_unit_test(test_rr_split_every_offset_three_frames),
	    cmocka_unit_test(test_rr_split_every_pair_of_offsets),
	    cmocka_unit_test(test_rr_one_byte_at_a_time),
	    cmocka_unit_test(test_rr_random_chunks),
	    cmocka_unit_test(test_rr_feed_zero_bytes),
	    cmocka_unit_test(test_rr_limits),
	    cmocka_unit_test(test_rr_limit_exact_large),
	    cmocka_unit_test(test_rr_oversize_header_split),
	    cmocka_unit_test(test_rr_oversize_after_good_request),
	    cmocka_unit_test(test_rr_header_bytes),
	    cmocka_unit_test(test_rr_header_round_trip),
	    cmocka_unit_test_setup(test_pattern_iov, pattern_setup),
	    cmocka_unit_test_setup(test_pattern_iov_max_too_small, pattern_setup),
	    cmocka_unit_test_setup(test_pattern_check_and_fill, pattern_setup),
	    cmocka_unit_test_setup(test_pattern_fill_matches_iov, pattern_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* fuzz_rr.c - the rr request parser (rr_feed) against a model of the frames.
 *
 * Input: 4 bytes max_msg (little-endian), 8 bytes of split seed, then the
 * byte stream a client sent. A model reads the frames straight from the
 * stream (8-byte big-endian header, req_len payload bytes), so it knows
 * where each request ends and where the first header above max_msg is.
 * rr_feed then gets the stream twice: whole, and cut at split points drawn
 * from the seed (mostly short pieces: one byte, a header cut in the middle).
 * Both must report exactly the model's requests and error, and every call
 * must keep its contract: used <= len, progress when len > 0, RR_MORE only
 * with everything consumed, no request with a length above max_msg.
 *
 * The reply pattern functions get a cheap check on the same input too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "fuzz.h"
#include "sockbench/proto.h"

/* One event of the model: a request (or the error) ending at `end`. */
struct want {
	enum rr_event ev;
	size_t end;
	uint32_t resp;
};

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The frames of s[0..len), read directly: every whole request, then the
 * error if a header asks for more than max_msg. Returns the count; the
 * stream may end inside a frame (no event for it). */
static size_t model(const uint8_t *s, size_t len, uint32_t max_msg, struct want *w)
{
	size_t n = 0, pos = 0;
	while (len - pos >= RR_HDR_LEN) {
		uint32_t req = be32(s + pos), rsp = be32(s + pos + 4);
		if (req > max_msg || rsp > max_msg) {
			w[n++] = (struct want){RR_ERROR, pos + RR_HDR_LEN, 0};
			break;
		}
		if (len - pos - RR_HDR_LEN < req)
			break;
		pos += RR_HDR_LEN + req;
		w[n++] = (struct want){RR_REQUEST, pos, rsp};
	}
	return n;
}

/* Piece lengths: mostly 1..16 bytes (headers cut anywhere), sometimes
 * longer, sometimes everything left. */
static size_t piece_len(uint64_t *seed, size_t left)
{
	uint64_t r = fuzz_rng(seed);
	size_t n;
	switch (r & 3) {
	case 0:
	case 1:
		n = 1 + (size_t)((r >> 8) % 16);
		break;
	case 2:
		n = 1 + (size_t)((r >> 8) % 4096);
		break;
	default:
		n = left;
	}
	return n < left ? n : left;
}

/* Feeds s[0..len) to a fresh parser in pieces (one piece when seed is
 * NULL) and checks every event against the model's list w[0..nw). */
static void feed(const uint8_t *s, size_t len, uint32_t max_msg, const struct want *w, size_t nw,
		 uint64_t *seed)
{
	struct rr_parser p;
	size_t off = 0, k = 0; /* k: the model's next event */
	rr_parser_init(&p);
	while (off < len) {
		size_t n = seed ? piece_len(seed, len - off) : len - off;
		/* the same piece is fed until the parser has taken all of it, as a
		 * server does with one recv() that holds several requests */
		size_t done = 0;
		while (done < n) {
			size_t used = (size_t)-1, avail = n - done;
			uint32_t resp = 0xdeadbeef;
			enum rr_event ev =
			    rr_feed(&p, s + off + done, avail, max_msg, &used, &resp);
			FUZZ_CHECK(used <= avail, "used %zu of %zu bytes", used, avail);
			FUZZ_CHECK(used > 0, "no progress on %zu bytes at offset %zu (event %d)",
				   avail, off + done, ev);
			done += used;
			size_t at = off + done;
			if (ev == RR_MORE) {
				FUZZ_CHECK(done == n, "RR_MORE left %zu of %zu bytes", n - done, n);
				FUZZ_CHECK(
				    k == nw || w[k].end > at,
				    "RR_MORE at offset %zu, but the model's event %d ends at %zu",
				    at, w[k].ev, w[k].end);
				continue;
			}
			FUZZ_CHECK(k < nw, "event %d at offset %zu, the model has no more", ev, at);
			FUZZ_CHECK(ev == w[k].ev && at == w[k].end,
				   "event %d ending at %zu, the model's is %d ending at %zu", ev,
				   at, w[k].ev, w[k].end);
			k++;
			if (ev == RR_ERROR)
				return; /* the server closes the connection here */
			FUZZ_CHECK(resp == w[k - 1].resp && resp <= max_msg,
				   "resp_len %u, model %u, max_msg %u", resp, w[k - 1].resp,
				   max_msg);
		}
		off += n;
	}
	FUZZ_CHECK(k == nw, "the stream ended with %zu of the model's %zu events seen", k, nw);
}

static void check_pattern(uint64_t off, uint64_t len, int max)
{
	static int ready;
	struct iovec iov[8];
	uint64_t covered = 0;
	if (!ready) {
		pattern_init();
		ready = 1;
	}
	int n = pattern_iov(off, len, iov, max, &covered);
	FUZZ_CHECK(n >= 0 && n <= max, "%d iovecs for max %d", n, max);
	FUZZ_CHECK(covered <= len, "covered %llu of %llu", (unsigned long long)covered,
		   (unsigned long long)len);
	FUZZ_CHECK(covered == len || n == max, "covered %llu of %llu with %d of %d iovecs",
		   (unsigned long long)covered, (unsigned long long)len, n, max);
	uint64_t at = off, sum = 0;
	for (int i = 0; i < n; i++) {
		/* the ends of each iovec (the seams) are what can go wrong; all of
		 * a 64 KB iovec would cost a millisecond an input */
		size_t l = iov[i].iov_len, head = l < 256 ? l : 256;
		size_t bad = pattern_check(iov[i].iov_base, head, at);
		FUZZ_CHECK(bad == head, "iovec %d breaks the pattern at byte %zu", i, bad);
		bad = pattern_check((uint8_t *)iov[i].iov_base + (l - head), head, at + l - head);
		FUZZ_CHECK(bad == head, "iovec %d breaks the pattern at byte %zu", i,
			   l - head + bad);
		at += iov[i].iov_len;
		sum += iov[i].iov_len;
	}
	FUZZ_CHECK(sum == covered, "iovecs hold %llu bytes, covered says %llu",
		   (unsigned long long)sum, (unsigned long long)covered);
	uint8_t buf[600];
	size_t k = (size_t)(len % sizeof buf);
	pattern_fill(buf, k, off);
	FUZZ_CHECK(pattern_check(buf, k, off) == k, "pattern_fill/check disagree at off %llu",
		   (unsigned long long)off);
	if (k) {
		buf[k / 2] ^= 1;
		FUZZ_CHECK(pattern_check(buf, k, off) == k / 2, "flipped byte %zu not found",
			   k / 2);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t max_msg = (uint32_t)fuzz_take(&data, &size, 4);
	uint64_t seed = fuzz_take(&data, &size, 8);
	/* pattern_iov's pieces are up to 251 * 256 bytes: keep the check of
	 * their bytes small by bounding len */
	check_pattern(seed >> 20, (seed & 0xfffff) % (4u * 251u * 256u), 1 + (int)(seed % 8));
	struct want *w = malloc((size / RR_HDR_LEN + 1) * sizeof *w);
	if (!w)
		abort();
	size_t nw = model(data, size, max_msg, w);
	feed(data, size, max_msg, w, nw, NULL);
	feed(data, size, max_msg, w, nw, &seed);
	free(w);
	return 0;
}

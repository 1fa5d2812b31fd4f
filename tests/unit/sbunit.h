/* sbunit.h - helpers shared by the cmocka unit tests (tests/unit/test_*.c).
 *
 * Header only, every function static inline: each test program stays one
 * .c file (tests/CMakeLists.txt globs test_*.c, never this header), and a
 * program that uses a helper gets its own copy, one that does not pays
 * nothing.  Include it after the system headers of the test.
 */
#ifndef SOCKBENCH_SBUNIT_H
#define SOCKBENCH_SBUNIT_H

#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "bench/sweep/netns.h"

/* ---- random data -------------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): one uint64_t of state, good enough
 * bits for cutting streams and drawing sizes, and the same sequence on every
 * machine for a given seed, so a failure that names its seed repeats. */
static inline uint64_t sbunit_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, n), n > 0.  The modulo bias (n is far below 2^64 here)
 * does not matter to a test. */
static inline uint64_t sbunit_rng_below(uint64_t *s, uint64_t n)
{
	return sbunit_rng_next(s) % n;
}

/* ---- byte strings ------------------------------------------------------- */

/* A string literal as bytes and length, NULs inside included: its length is
 * sizeof - 1 (the literal's own terminating NUL left out). */
#define SBUNIT_BYTES(s) (const uint8_t *)(s), sizeof(s) - 1

/* Printable form of a request or reply for failure messages: CR, LF and
 * other control or non-ASCII bytes escaped, cut with "..." past ~390
 * characters.  Returns a static buffer: one call per message. */
static inline const char *sbunit_show(const uint8_t *b, size_t len)
{
	static char out[400];
	size_t o = 0;
	for (size_t i = 0; i < len && o < sizeof out - 8; i++) {
		if (b[i] == '\r')
			o += (size_t)snprintf(out + o, sizeof out - o, "\\r");
		else if (b[i] == '\n')
			o += (size_t)snprintf(out + o, sizeof out - o, "\\n");
		else if (b[i] < 0x20 || b[i] > 0x7e)
			o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02x", b[i]);
		else
			out[o++] = (char)b[i];
	}
	if (o >= sizeof out - 8)
		o += (size_t)snprintf(out + o, sizeof out - o, "...");
	out[o] = '\0';
	return out;
}

/* Split an http reply into its head (through CRLF CRLF: *head is the
 * offset of the body) and body; fails the test if there is no CRLF CRLF. */
static inline void sbunit_split_reply(const uint8_t *b, size_t len, size_t *head)
{
	*head = 0;
	for (size_t i = 3; i < len; i++)
		if (!memcmp(b + i - 3, "\r\n\r\n", 4)) {
			*head = i + 1;
			return;
		}
	print_error("reply without CRLF CRLF: [%s]\n", sbunit_show(b, len));
	fail();
}

/* ---- time --------------------------------------------------------------- */

/* Sleep ms milliseconds, resumed after a signal: long enough for the
 * kernel's loopback to finish handshakes the test started (SYN, SYN-ACK and
 * the queueing or dropping of the ACK happen in softirq, not in connect). */
static inline void sbunit_msleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- a private network namespace ---------------------------------------- */

/* Move this (single-threaded) test process into a network namespace of its
 * own and bring its loopback up, for tests that count what the kernel does
 * with their sockets: in a new namespace no other process has listeners,
 * handshakes or counters (/proc/net/netstat and snmp are per namespace),
 * and per-namespace sysctls such as net.core.somaxconn may be changed and
 * vanish with the process.
 *
 * unshare(CLONE_NEWNET) needs CAP_SYS_ADMIN, so root: without it the setup
 * fails (cmocka then fails the group), it never skips.  A new namespace has
 * only lo, and lo starts down (netns_lo_up sets IFF_UP).  Sockets opened
 * before the call stay in the old namespace: open netlink (sock_diag)
 * sockets only after it.  `why` ends the failure message: "... need root
 * (CAP_SYS_ADMIN) to get <why>".  0, or -1 with the reason on stderr. */
static inline int sbunit_private_netns(const char *why)
{
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr,
			"FAIL: unshare(CLONE_NEWNET): %s - these tests need root (CAP_SYS_ADMIN)"
			" to get %s\n",
			strerror(errno), why);
		return -1;
	}
	char err[256];
	if (netns_lo_up(err, sizeof err) < 0) {
		fprintf(stderr, "FAIL: %s\n", err);
		return -1;
	}
	return 0;
}

#endif

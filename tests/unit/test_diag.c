/* test_diag.c - accept queues read through sock_diag, against sockets whose
 * queues we fill ourselves.
 *
 * Runs in a private network namespace (unshare(CLONE_NEWNET), so root):
 * nobody else's listeners or handshakes there. Connections come from one
 * thread, so the counts are exact: concurrent handshakes on two CPUs can
 * overshoot the queue by one or two (the full check is not atomic with the
 * enqueue). Prints the cost of one diag_listen_queue call; asserts nothing
 * about time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sbunit.h"
#include "sockbench/diag.h"
#include "sockbench/kstat.h"

#define MAX_CLIENTS 64

struct listener {
	int fd;
	uint16_t port;
	struct sockaddr_storage ss;
	socklen_t len;
	int clients[MAX_CLIENTS];
	int nclients;
};

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Listen on `addr`, port chosen by the kernel. */
static void listen_on(struct listener *l, int family, const char *addr, int backlog, bool reuseport,
		      uint16_t port)
{
	memset(l, 0, sizeof *l);
	struct sockaddr_in *in4 = (struct sockaddr_in *)&l->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&l->ss;
	l->ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		assert_int_equal(inet_pton(AF_INET, addr, &in4->sin_addr), 1);
		in4->sin_port = htons(port);
		l->len = sizeof *in4;
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
		in6->sin6_port = htons(port);
		l->len = sizeof *in6;
	}
	l->fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	int one = 1;
	if (reuseport)
		assert_int_equal(setsockopt(l->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one), 0);
	if (bind(l->fd, (struct sockaddr *)&l->ss, l->len) < 0)
		fail_msg("bind %s: %s", addr, strerror(errno));
	assert_int_equal(listen(l->fd, backlog), 0);
	assert_int_equal(getsockname(l->fd, (struct sockaddr *)&l->ss, &l->len), 0);
	l->port = ntohs(family == AF_INET ? in4->sin_port : in6->sin6_port);
}

/* Non-blocking connects, from this thread only; then let the handshakes
 * (and drops) settle. */
static void connect_n(struct listener *l, int n)
{
	assert_true(l->nclients + n <= MAX_CLIENTS);
	for (int i = 0; i < n; i++) {
		int c = socket(l->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		assert_true(c >= 0);
		if (connect(c, (struct sockaddr *)&l->ss, l->len) < 0 && errno != EINPROGRESS)
			fail_msg("connect %d: %s", i, strerror(errno));
		l->clients[l->nclients++] = c;
	}
	sbunit_msleep(200);
}

static void close_all(struct listener *l)
{
	for (int i = 0; i < l->nclients; i++)
		close(l->clients[i]);
	close(l->fd);
}

static void expect_queue(int nl, int family, uint16_t port, int want_q, int want_lim)
{
	int q = -1, lim = -1;
	int rc = diag_listen_queue(nl, family, port, &q, &lim);
	if (rc)
		fail_msg("diag_listen_queue(port %u): %s", port, strerror(-rc));
	if (q != want_q || lim != want_lim)
		fail_msg("port %u: expected %d waiting, limit %d; got %d, %d", port, want_q,
			 want_lim, q, lim);
}

static void time_calls(int nl, int family, uint16_t port, const char *where)
{
	enum { N = 1000 };
	int q, lim;
	double t0 = now_us();
	for (int i = 0; i < N; i++)
		assert_int_equal(diag_listen_queue(nl, family, port, &q, &lim), 0);
	double mean = (now_us() - t0) / N;
	print_message("  diag_listen_queue %s: %.2f us per call (mean of %d)\n", where, mean, N);
}

static void test_open_and_errors(void **state)
{
	(void)state;
	int nl = diag_open(), q, lim;
	assert_true(nl >= 0);
	assert_int_equal(diag_listen_queue(nl, AF_UNIX, 80, &q, &lim), -EAFNOSUPPORT);
	assert_int_equal(diag_listen_queue(nl, AF_PACKET, 80, &q, &lim), -EAFNOSUPPORT);
	assert_int_equal(diag_unix_listen_queue(nl, "", &q, &lim), -EINVAL);
	close(nl);
	assert_int_equal(diag_listen_queue(nl, AF_INET, 80, &q, &lim), -EBADF);
}

/* In the host namespace too (other listeners present): found by its port. */
static void test_host_listener(void **state)
{
	(void)state;
	struct listener l;
	listen_on(&l, AF_INET, "127.0.0.1", 5, false, 0);
	int nl = diag_open();
	assert_true(nl >= 0);
	expect_queue(nl, AF_INET, l.port, 0, 5);
	time_calls(nl, AF_INET, l.port, "host netns");
	close(nl);
	close_all(&l);
}

/* --- in a private network namespace --------------------------------- */

static int private_netns(void **state)
{
	(void)state;
	if (sbunit_private_netns("a network namespace of their own") < 0)
		return -1;
	/* The diag socket answers for the namespace it was made in: open it
	 * only now. */
	int *nl = malloc(sizeof *nl);
	if (!nl)
		return -1;
	*nl = diag_open();
	if (*nl < 0) {
		fprintf(stderr, "FAIL: diag_open: %s\n", strerror(-*nl));
		free(nl);
		return -1;
	}
	*state = nl;
	return 0;
}

static int private_done(void **state)
{
	int *nl = *state; /* NULL when the setup failed */
	if (nl) {
		close(*nl);
		free(nl);
	}
	return 0;
}

/* backlog 0: one connection waits, the other SYNs are dropped. */
static void test_backlog0(void **state)
{
	int nl = *(int *)*state;
	struct listener l;
	listen_on(&l, AF_INET, "127.0.0.1", 0, false, 0);
	expect_queue(nl, AF_INET, l.port, 0, 0);
	connect_n(&l, 5);
	expect_queue(nl, AF_INET, l.port, 1, 0);
	/* accept() makes room: the queue is read live, not cached */
	int a = accept(l.fd, NULL, NULL);
	assert_true(a >= 0);
	expect_queue(nl, AF_INET, l.port, 0, 0);
	close(a);
	close_all(&l);
}

/* backlog 8, 30 clients: `ss -lnt` shows Recv-Q 9, Send-Q 8. */
static void test_backlog8(void **state)
{
	int nl = *(int *)*state;
	struct listener l;
	listen_on(&l, AF_INET, "127.0.0.1", 8, false, 0);
	connect_n(&l, 30);
	expect_queue(nl, AF_INET, l.port, 9, 8);
	time_calls(nl, AF_INET, l.port, "private netns, 9 queued, 21 SYN_SENT");
	close_all(&l);
}

static void test_not_listening(void **state)
{
	int nl = *(int *)*state, q = -7, lim = -7;
	/* bound but never listen()ed: not a LISTEN socket */
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	uint16_t port = ntohs(sin.sin_port);
	assert_int_equal(diag_listen_queue(nl, AF_INET, port, &q, &lim), -ENOENT);
	assert_int_equal(diag_listen_queue(nl, AF_INET6, port, &q, &lim), -ENOENT);
	assert_int_equal(q, -7); /* untouched on failure */
	/* an IPv4 listener is not found as IPv6, nor on a neighbouring port */
	struct listener l;
	listen_on(&l, AF_INET, "127.0.0.1", 3, false, 0);
	assert_int_equal(diag_listen_queue(nl, AF_INET6, l.port, &q, &lim), -ENOENT);
	assert_int_equal(diag_listen_queue(nl, AF_INET, (uint16_t)(l.port + 1), &q, &lim), -ENOENT);
	expect_queue(nl, AF_INET, l.port, 0, 3);
	close_all(&l);
	/* and once closed, it is gone */
	assert_int_equal(diag_listen_queue(nl, AF_INET, l.port, &q, &lim), -ENOENT);
	close(fd);
}

static void test_ipv6(void **state)
{
	int nl = *(int *)*state;
	struct listener l;
	listen_on(&l, AF_INET6, "::1", 3, false, 0);
	expect_queue(nl, AF_INET6, l.port, 0, 3);
	connect_n(&l, 2);
	expect_queue(nl, AF_INET6, l.port, 2, 3);
	close_all(&l);
	/* dual-stack [::] takes IPv4 clients too, but is an AF_INET6 socket */
	int q, lim;
	listen_on(&l, AF_INET6, "::", 4, false, 0);
	expect_queue(nl, AF_INET6, l.port, 0, 4);
	assert_int_equal(diag_listen_queue(nl, AF_INET, l.port, &q, &lim), -ENOENT);
	close_all(&l);
}

/* The clamp: backlog 100 with somaxconn 4 enforces 4 (__sys_listen). */
static void test_somaxconn_clamp(void **state)
{
	int nl = *(int *)*state;
	long old;
	assert_int_equal(sysctl_read_int("net.core.somaxconn", &old), 0);
	assert_int_equal(sysctl_write("net.core.somaxconn", "4"), 0);
	struct listener l;
	listen_on(&l, AF_INET, "127.0.0.1", 100, false, 0);
	char buf[32];
	snprintf(buf, sizeof buf, "%ld", old);
	assert_int_equal(sysctl_write("net.core.somaxconn", buf), 0);
	connect_n(&l, 8);
	expect_queue(nl, AF_INET, l.port, 5, 4);
	close_all(&l);
}

/* SO_REUSEPORT: two listeners, two queues, one port - summed. */
static void test_reuseport_sum(void **state)
{
	int nl = *(int *)*state;
	struct listener a, b;
	listen_on(&a, AF_INET, "127.0.0.1", 2, true, 0);
	listen_on(&b, AF_INET, "127.0.0.1", 3, true, a.port);
	expect_queue(nl, AF_INET, a.port, 0, 5);
	close_all(&b);
	expect_queue(nl, AF_INET, a.port, 0, 2);
	close_all(&a);
}

/* Unix listeners: the queue holds backlog + 1 too (unix_recvq_full uses
 * '>'); a non-blocking connect to a full one fails with EAGAIN. */
static void test_unix(void **state)
{
	int nl = *(int *)*state, q, lim;
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	snprintf(un.sun_path, sizeof un.sun_path, "/tmp/sockbench-test-diag-%d", (int)getpid());
	unlink(un.sun_path);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&un, sizeof un), 0);
	assert_int_equal(listen(l, 2), 0);
	int c[5], ok = 0;
	for (int i = 0; i < 5; i++) {
		c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (!connect(c[i], (struct sockaddr *)&un, sizeof un))
			ok++;
		else if (errno != EAGAIN)
			fail_msg("unix connect %d: %s", i, strerror(errno));
	}
	assert_int_equal(ok, 3);
	int rc = diag_unix_listen_queue(nl, un.sun_path, &q, &lim);
	if (rc)
		fail_msg("diag_unix_listen_queue(%s): %s", un.sun_path, strerror(-rc));
	if (q != 3 || lim != 2)
		fail_msg("unix queue: expected 3 waiting, limit 2; got %d, %d", q, lim);
	char other[sizeof un.sun_path + 1];
	snprintf(other, sizeof other, "%sx", un.sun_path);
	assert_int_equal(diag_unix_listen_queue(nl, other, &q, &lim), -ENOENT);
	un.sun_path[strlen(un.sun_path) - 1] = '\0'; /* a prefix is not a match */
	assert_int_equal(diag_unix_listen_queue(nl, un.sun_path, &q, &lim), -ENOENT);
	for (int i = 0; i < 5; i++)
		close(c[i]);
	close(l);
	snprintf(un.sun_path, sizeof un.sun_path, "/tmp/sockbench-test-diag-%d", (int)getpid());
	unlink(un.sun_path);
}

int main(void)
{
	const struct CMUnitTest here[] = {
	    cmocka_unit_test(test_open_and_errors),
	    cmocka_unit_test(test_host_listener),
	};
	const struct CMUnitTest private[] = {
	    cmocka_unit_test(test_backlog0),
	    cmocka_unit_test(test_backlog8),
	    cmocka_unit_test(test_not_listening),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_somaxconn_clamp),
	    cmocka_unit_test(test_reuseport_sum),
	    cmocka_unit_test(test_unix),
	};
	int failed = cmocka_run_group_tests_name("diag", here, NULL, NULL);
	failed += cmocka_run_group_tests_name("diag in a private netns", private, private_netns,
					      private_done);
	return failed ? 1 : 0;
}

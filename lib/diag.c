/* diag.c - accept queues of listen sockets, read through NETLINK_SOCK_DIAG.
 *
 * One request is one netlink "dump": the kernel walks its sockets, copies a
 * message for each one that passes the request's filters, and ends with
 * NLMSG_DONE. Asking only for LISTEN sockets keeps the walk to the listening
 * hash: the table of established connections is skipped (the TCP dump tests
 * idiag_states before each table; tcp_diag_dump in net/ipv4/tcp_diag.c,
 * inet_diag_dump_icsk in older kernels), so the cost does not grow with the
 * connections of a run. What it costs is the walk over every bucket of the
 * listening hash, empty or not (16384 buckets on the 6.18 test machine,
 * sized at boot from memory): 13 to 60 us a call there, idle to busy, and
 * the same with 10,000 established connections as with none (printed by
 * tests/unit/test_diag.c). A lookup of one exact address (no NLM_F_DUMP,
 * inet_diag_find_one_icsk) would be a hash probe, but it needs the local
 * address and finds only the one socket a SYN to that address would reach.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockbench/diag.h"

int diag_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	return fd < 0 ? -errno : fd;
}

/* What the replies are matched against, and what they add up to. */
struct want {
	int family;
	uint16_t port;	  /* TCP: local port */
	const char *path; /* unix: bound path */
	int queued, limit;
	bool found;
	unsigned *srv, *cli; /* diag_tcp_states: counts by state */
};

typedef void (*diag_each_fn)(const struct nlmsghdr *h, struct want *w);

/* Sequence numbers tell this request's replies from those of a dump an
 * earlier call abandoned (after a failed recv) that may still sit in the
 * socket's receive queue. Shared by all diag sockets of the process. */
static uint32_t diag_seq;

/* Send one dump request and read every reply up to NLMSG_DONE, so the socket
 * is left empty for the next call. */
static int diag_dump(int nl, struct nlmsghdr *req, diag_each_fn each, struct want *w)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	uint32_t seq = __atomic_add_fetch(&diag_seq, 1, __ATOMIC_RELAXED);
	req->nlmsg_seq = seq;
	ssize_t n;
	do
		n = sendto(nl, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* A dump fills at most 32 KiB per datagram (netlink_recvmsg caps
	 * max_recvmsg_len there; the first one is NLMSG_GOODSIZE, about a
	 * page), so this buffer never truncates one. On the stack: no
	 * allocation, and callers on several threads do not share it. */
	long buf[32768 / sizeof(long)];
	int rc = 0;
	for (;;) {
		/* MSG_TRUNC: return the datagram's real length, to notice a cut */
		n = recv(nl, buf, sizeof buf, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > sizeof buf) {
			rc = -EMSGSIZE; /* keep reading to DONE all the same */
			n = sizeof buf;
		}
		int len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				/* DONE carries the dump's own error, 0 if none */
				int err = h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))
					      ? *(const int *)NLMSG_DATA(h)
					      : 0;
				return err < 0 ? err : rc;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				/* The request was refused: an error ack, no DONE
				 * follows. -ENOENT here means no sock_diag handler
				 * for this family/protocol (__sock_diag_cmd,
				 * inet_diag_lock_handler), not "no such socket". */
				int err = ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
				return err == -ENOENT ? -EPROTONOSUPPORT : err < 0 ? err : -EIO;
			}
			if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY)
				each(h, w);
		}
	}
}

static void inet_each(const struct nlmsghdr *h, struct want *w)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof *m))
		return;
	/* The bytecode already filtered; check again, it costs nothing. */
	if (m->idiag_family != w->family || m->idiag_state != TCP_LISTEN ||
	    ntohs(m->id.idiag_sport) != w->port)
		return;
	w->queued += (int)m->idiag_rqueue;
	w->limit += (int)m->idiag_wqueue;
	w->found = true;
}

/* The request: inet_diag_req_v2, then one attribute holding a filter program
 * the kernel runs on each socket (inet_diag_bc_run, net/ipv4/inet_diag.c).
 * Attributes start at NLMSG_ALIGN of the fixed part, which is already a
 * multiple of 4: no padding between the members. */
struct diag_inet_req {
	struct nlmsghdr nh;
	struct inet_diag_req_v2 r;
	struct rtattr bc_attr;
	struct inet_diag_bc_op bc[2];
};
_Static_assert(offsetof(struct diag_inet_req, bc_attr) ==
		   NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct inet_diag_req_v2))),
	       "bytecode attribute must follow the aligned request");

int diag_listen_queue(int nl, int family, uint16_t port, int *queued, int *limit)
{
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	struct diag_inet_req req = {
	    .nh = {.nlmsg_len = sizeof req,
		   .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		   .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
	    .r = {.sdiag_family = (uint8_t)family,
		  .sdiag_protocol = IPPROTO_TCP,
		  /* LISTEN only: the walk skips the established table */
		  .idiag_states = 1u << TCP_LISTEN},
	    .bc_attr = {.rta_len = RTA_LENGTH(sizeof req.bc), .rta_type = INET_DIAG_REQ_BYTECODE},
	    /* "sport == port": on a match jump 8 bytes, to the end of the
	     * program (accept); otherwise 12, one op past the end (reject).
	     * The port sits in the second op's `no` field, in host order. */
	    .bc = {{.code = INET_DIAG_BC_S_EQ, .yes = sizeof req.bc, .no = sizeof req.bc + 4},
		   {.no = port}},
	};
	struct want w = {.family = family, .port = port};
	int rc = diag_dump(nl, &req.nh, inet_each, &w);
	if (rc)
		return rc;
	if (!w.found)
		return -ENOENT;
	*queued = w.queued;
	*limit = w.limit;
	return 0;
}

static void unix_each(const struct nlmsghdr *h, struct want *w)
{
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof *m) || m->udiag_state != TCP_LISTEN)
		return;
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
	bool named = false;
	int rq = 0, wq = 0;
	for (const struct rtattr *a = (const struct rtattr *)(m + 1); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		if (a->rta_type == UNIX_DIAG_NAME) {
			/* sun_path as bound, usually with its trailing NUL */
			size_t plen = strlen(w->path), alen = RTA_PAYLOAD(a);
			const char *name = RTA_DATA(a);
			named = alen >= plen && !memcmp(name, w->path, plen) &&
				(alen == plen || name[plen] == '\0');
		} else if (a->rta_type == UNIX_DIAG_RQLEN) {
			/* listener: rqueue = connections not yet accepted
			 * (sk_receive_queue), wqueue = sk_max_ack_backlog */
			const struct unix_diag_rqlen *q = RTA_DATA(a);
			rq = (int)q->udiag_rqueue;
			wq = (int)q->udiag_wqueue;
		}
	}
	if (named) {
		w->queued += rq;
		w->limit += wq;
		w->found = true;
	}
}

int diag_unix_listen_queue(int nl, const char *path, int *queued, int *limit)
{
	if (!path || !*path)
		return -EINVAL;
	struct {
		struct nlmsghdr nh;
		struct unix_diag_req r;
	} req = {
	    .nh = {.nlmsg_len = sizeof req,
		   .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		   .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
	    .r = {.sdiag_family = AF_UNIX,
		  .udiag_states = 1u << TCP_LISTEN,
		  .udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_RQLEN},
	};
	struct want w = {.family = AF_UNIX, .path = path};
	int rc = diag_dump(nl, &req.nh, unix_each, &w);
	if (rc)
		return rc;
	if (!w.found)
		return -ENOENT;
	*queued = w.queued;
	*limit = w.limit;
	return 0;
}

/* Every TCP socket of the family, each counted by its state on the side
 * the port says.  TIME_WAIT sockets are no full sockets (inet_timewait_sock,
 * what is left of a connection after its close) and NEW_SYN_RECV ones are
 * request socks; the dump reports both, with idiag_state TIME_WAIT and
 * SYN_RECV (inet_diag_dump_one_icsk, inet_twsk_diag_fill, inet_req_diag_fill
 * in net/ipv4/inet_diag.c). */
static void states_each(const struct nlmsghdr *h, struct want *w)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof *m) || m->idiag_family != w->family ||
	    m->idiag_state >= DIAG_TCP_STATES)
		return;
	if (ntohs(m->id.idiag_sport) == w->port)
		w->srv[m->idiag_state]++;
	else if (ntohs(m->id.idiag_dport) == w->port)
		w->cli[m->idiag_state]++;
}

int diag_tcp_states(int nl, int family, uint16_t port, unsigned server[DIAG_TCP_STATES],
		    unsigned client[DIAG_TCP_STATES])
{
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req = {
	    .nh = {.nlmsg_len = sizeof req,
		   .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		   .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
	    .r = {.sdiag_family = (uint8_t)family,
		  .sdiag_protocol = IPPROTO_TCP,
		  .idiag_states = ~0u}, /* all states, TIME_WAIT and SYN_RECV too */
	};
	struct want w = {.family = family, .port = port, .srv = server, .cli = client};
	memset(server, 0, DIAG_TCP_STATES * sizeof *server);
	memset(client, 0, DIAG_TCP_STATES * sizeof *client);
	return diag_dump(nl, &req.nh, states_each, &w);
}

const char *diag_tcp_state_name(int state)
{
	/* the kernel's names (include/net/tcp_states.h), as ss prints them
	 * but with underscores */
	static const char *const names[DIAG_TCP_STATES] = {
	    [TCP_ESTABLISHED] = "ESTABLISHED", [TCP_SYN_SENT] = "SYN_SENT",
	    [TCP_SYN_RECV] = "SYN_RECV",       [TCP_FIN_WAIT1] = "FIN_WAIT1",
	    [TCP_FIN_WAIT2] = "FIN_WAIT2",     [TCP_TIME_WAIT] = "TIME_WAIT",
	    [TCP_CLOSE] = "CLOSE",	       [TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	    [TCP_LAST_ACK] = "LAST_ACK",       [TCP_LISTEN] = "LISTEN",
	    [TCP_CLOSING] = "CLOSING",	       [12] = "NEW_SYN_RECV"};
	return state >= 0 && state < DIAG_TCP_STATES && names[state] ? names[state] : NULL;
}

/* diag.h - a listen socket's accept queue seen from outside, as `ss -lnt`
 * and `ss -lx` see it: through NETLINK_SOCK_DIAG, without owning the socket
 * and without connecting to it (a connection would take a place in the very
 * queue being measured).
 *
 * For a LISTEN socket the kernel reports (tcp_diag_get_info,
 * net/ipv4/tcp_diag.c; sk_diag_show_rqlen, net/unix/diag.c):
 *   queued = sk_ack_backlog     connections waiting for accept() (ss Recv-Q)
 *   limit  = sk_max_ack_backlog the backlog after the somaxconn clamp (Send-Q)
 * The queue holds limit + 1: sk_acceptq_is_full() compares with '>'.
 *
 * sock_diag answers for the network namespace of the netlink socket, fixed
 * when diag_open() created it. Library code: never prints; -errno.
 */
#ifndef SOCKBENCH_DIAG_H
#define SOCKBENCH_DIAG_H

#include <stdint.h>

/* A NETLINK_SOCK_DIAG socket (close-on-exec): fd, or -errno. */
int diag_open(void);

/* The TCP LISTEN socket of `family` (AF_INET or AF_INET6) on local `port`,
 * whatever its address. A dual-stack listener on [::] is AF_INET6 even for
 * IPv4 clients. Several listeners on the port (SO_REUSEPORT, or one per
 * address) are summed: each has its own queue, and together they hold what
 * waits on the port.
 * 0 found; -ENOENT nothing listening; -EAFNOSUPPORT for another family;
 * -EPROTONOSUPPORT when the kernel has no TCP sock_diag (tcp_diag module);
 * other -errno. Cheap enough to call every 10 ms: one dump of the listeners
 * on that port, no allocation; tens of microseconds (13-60 us on the test
 * machine), whatever the number of connections. */
int diag_listen_queue(int nl, int family, uint16_t port, int *queued, int *limit);

/* The same for a unix stream LISTEN socket bound to filesystem `path`
 * (compared byte for byte with the path given to bind(); abstract names are
 * not matched). 0, -ENOENT, or -errno. Not as cheap: the kernel has no
 * filter for unix dumps, so every unix listener of the namespace is read. */
int diag_unix_listen_queue(int nl, const char *path, int *queued, int *limit);

/* Every TCP socket of `family` in the namespace, in every state (TIME_WAIT
 * included), counted by state: server[] those whose local port is `port`
 * (the listener and the connections it accepted), client[] those whose
 * remote port is `port` (the connections made to it).  Indexed by the
 * kernel's TCP state numbers (TCP_ESTABLISHED 1 ... TCP_CLOSING 11).
 * 0 or -errno.  One dump of the namespace's sockets: for the end of a run,
 * not for every tick. */
#define DIAG_TCP_STATES 13
int diag_tcp_states(int nl, int family, uint16_t port, unsigned server[DIAG_TCP_STATES],
		    unsigned client[DIAG_TCP_STATES]);
/* "ESTABLISHED", "TIME_WAIT", ...; NULL for a number that is no state. */
const char *diag_tcp_state_name(int state);

#endif

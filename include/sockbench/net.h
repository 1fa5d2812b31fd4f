/* net.h - addresses and listen sockets.  Never prints: errors go to `err`. */
#ifndef SOCKBENCH_NET_H
#define SOCKBENCH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct net_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;	/* AF_INET, AF_INET6, AF_UNIX */
	char text[128]; /* "127.0.0.1", "::1", "unix:/path" (no port) */
};

/* "127.0.0.1", "::1", "unix:/path" plus a port (ignored for unix). */
int net_parse_host(const char *s, int port, struct net_addr *a, char *err, size_t errlen);
/* "127.0.0.1:80", "[::1]:80", "unix:/path". */
int net_parse_hostport(const char *s, struct net_addr *a, char *err, size_t errlen);
/* net_bind / net_listen flags. */
enum {
	NET_REUSEPORT = 1 << 0,	   /* SO_REUSEPORT (prefork --accept-mode reuseport) */
	NET_NO_REUSEADDR = 1 << 1, /* leave SO_REUSEADDR off (it is set by default) */
};
/* socket + SO_REUSEADDR (unless NET_NO_REUSEADDR; never on unix) (+
 * SO_REUSEPORT) + bind.  Returns the fd, or -1 with err like
 * "bind 127.0.0.1:80: Address already in use". */
int net_bind(const struct net_addr *a, unsigned flags, char *err, size_t errlen);
/* net_bind + listen(backlog). */
int net_listen(const struct net_addr *a, int backlog, unsigned flags, char *err, size_t errlen);
/* A unix: address whose socket file nobody listens on (connect() says
 * ECONNREFUSED: its server died without unlinking it) is removed: 1.  0
 * when there is nothing to do (no file, not a socket, a live listener),
 * -errno on failure.  Never touches anything but a socket file. */
int net_unix_stale(const struct net_addr *a);
/* Port the socket is bound to (0 for unix). */
int net_local_port(int fd);
/* The backlog the kernel enforces on a listening socket (ss's Send-Q),
 * read back from the kernel; -errno on failure.  *queued gets Recv-Q. */
int net_listen_queue(int fd, const struct net_addr *a, int *limit, int *queued);
int net_set_nonblock(int fd, bool on);
/* Raise RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit. */
long net_raise_nofile(void);

#endif

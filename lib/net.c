/* net.c - addresses, listen sockets, and what the kernel says about them. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockbench/diag.h"
#include "sockbench/errname.h"
#include "sockbench/net.h"

int net_parse_host(const char *s, int port, struct net_addr *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	if (!strncmp(s, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;
		const char *path = s + 5;
		if (!*path || strlen(path) >= sizeof un->sun_path) {
			snprintf(err, errlen, "unix socket path must be 1 to %zu bytes, got '%s'",
				 sizeof un->sun_path - 1, s);
			return -1;
		}
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, path);
		a->len = (socklen_t)sizeof *un;
		a->family = AF_UNIX;
		snprintf(a->text, sizeof a->text, "%s", s);
		return 0;
	}
	struct sockaddr_in *in4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
	if (inet_pton(AF_INET, s, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		a->len = sizeof *in4;
		a->family = AF_INET;
	} else if (inet_pton(AF_INET6, s, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		a->len = sizeof *in6;
		a->family = AF_INET6;
	} else {
		snprintf(err, errlen, "expected an IPv4 or IPv6 literal or unix:/path, got '%s'",
			 s);
		return -1;
	}
	snprintf(a->text, sizeof a->text, "%s", s);
	return 0;
}

int net_parse_hostport(const char *s, struct net_addr *a, char *err, size_t errlen)
{
	if (!strncmp(s, "unix:", 5))
		return net_parse_host(s, 0, a, err, errlen);
	char host[128];
	const char *colon;
	if (*s == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof host)
			goto bad;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof host)
			goto bad;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	char *e;
	long port = strtol(colon + 1, &e, 10);
	if (!colon[1] || *e || port < 1 || port > 65535)
		goto bad;
	return net_parse_host(host, (int)port, a, err, errlen);
bad:
	snprintf(err, errlen,
		 "expected HOST:PORT ('127.0.0.1:80', '[::1]:80') or unix:/path, got '%s'", s);
	return -1;
}

int net_unix_stale(const struct net_addr *a)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)&a->ss;
	struct stat st;
	if (a->family != AF_UNIX || un->sun_path[0] == '\0' || lstat(un->sun_path, &st) < 0 ||
	    !S_ISSOCK(st.st_mode))
		return 0; /* nothing there, or not a socket file: never removed */
	/* A socket file outlives the process that bound it (kill -9 runs no
	 * unlink).  Whether anyone listens on it only connect() can tell: a
	 * file without a listener refuses with ECONNREFUSED; a live one
	 * accepts (or says EAGAIN, its queue full). */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	int r = connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0 ? errno : 0;
	close(fd);
	if (r != ECONNREFUSED)
		return 0;
	return unlink(un->sun_path) < 0 ? -errno : 1;
}

/* "bind 127.0.0.1:80: Address already in use (EADDRINUSE)": the step
 * that failed, the address, the errno. */
static void addr_err(const struct net_addr *a, const char *what, int e, char *err, size_t errlen)
{
	const char *name = errname(e);
	if (a->family == AF_UNIX)
		snprintf(err, errlen, "%s %s: %s (%s)", what, a->text, strerror(e),
			 name ? name : "?");
	else
		snprintf(err, errlen, "%s %s%s%s:%d: %s (%s)", what,
			 a->family == AF_INET6 ? "[" : "", a->text,
			 a->family == AF_INET6 ? "]" : "",
			 ntohs(((const struct sockaddr_in *)&a->ss)->sin_port), strerror(e),
			 name ? name : "?");
}

int net_bind(const struct net_addr *a, unsigned flags, char *err, size_t errlen)
{
	int one = 1, fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (a->family != AF_UNIX) {
		/* SO_REUSEADDR: bind at once although connections of an earlier
		 * server on this port sit in TIME_WAIT (the side that closes
		 * first keeps it 60 s).  Without it, bind() finds the port in
		 * use while any socket - TIME_WAIT included - holds it
		 * (inet_csk_bind_conflict), and fails with EADDRINUSE. */
		if (!(flags & NET_NO_REUSEADDR) &&
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
			snprintf(err, errlen, "SO_REUSEADDR: %s", strerror(errno));
			goto fail;
		}
		if ((flags & NET_REUSEPORT) &&
		    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
			snprintf(err, errlen, "SO_REUSEPORT: %s", strerror(errno));
			goto fail;
		}
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		addr_err(a, "bind", errno, err, errlen);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int net_listen(const struct net_addr *a, int backlog, unsigned flags, char *err, size_t errlen)
{
	int fd = net_bind(a, flags, err, errlen);
	if (fd < 0)
		return -1;
	/* The kernel clamps backlog to net.core.somaxconn of this network
	 * namespace, and a negative one means somaxconn (__sys_listen). */
	if (listen(fd, backlog) < 0) {
		addr_err(a, "listen", errno, err, errlen);
		close(fd);
		return -1;
	}
	return fd;
}

int net_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

int net_listen_queue(int fd, const struct net_addr *a, int *limit, int *queued)
{
	if (a->family == AF_UNIX) {
		/* Unix sockets have no TCP_INFO: ask sock_diag, as `ss -lx`. */
		int nl = diag_open();
		if (nl < 0)
			return nl;
		int r = diag_unix_listen_queue(nl, a->text + 5, queued, limit);
		close(nl);
		return r;
	}
	/* On a LISTEN socket tcp_get_info() reports the accept queue length in
	 * tcpi_unacked and the effective backlog in tcpi_sacked. */
	struct tcp_info ti;
	socklen_t len = sizeof ti;
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return -errno;
	*queued = (int)ti.tcpi_unacked;
	*limit = (int)ti.tcpi_sacked;
	return 0;
}

int net_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

long net_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -errno;
	}
	return (long)rl.rlim_cur;
}

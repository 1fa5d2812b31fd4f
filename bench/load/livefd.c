/* livefd.c - the live stream's writer (include/sockbench/livefd.h): one
 * JSON line per write(2), never a FILE (nothing buffered that a crash
 * would lose, and the caller's descriptor is never closed). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockbench/livefd.h"

void livefd_init(struct livefd *l, int fd)
{
	memset(l, 0, sizeof *l);
	l->fd = fd;
	if (fd < 0)
		return;
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0) { /* not open: no stream, said in the warnings */
		l->stopped = true;
		l->err = errno;
		return;
	}
	if (fd > 2)
		fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

/* Room in the pipe within ms?  A pipe with a free slot takes a line of
 * up to PIPE_BUF bytes whole without blocking (pipe_write). */
static bool room(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int n = poll(&p, 1, ms);
	return n > 0 && (p.revents & (POLLOUT | POLLERR | POLLHUP | POLLNVAL));
}

void livefd_put(struct livefd *l, json_t *o, bool tick)
{
	if (!o)
		return;
	/* 12 digits: a tick's 1.1 s is not 1.1000000000000001 */
	char *s = livefd_on(l) ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
	json_decref(o);
	if (!s)
		return;
	if (!room(l->fd, tick ? 0 : 50)) {
		l->dropped++;
		free(s);
		return;
	}
	size_t n = strlen(s), off = 0;
	s[n++] = '\n'; /* json_dumps' terminating NUL becomes the newline */
	while (off < n) {
		ssize_t w = write(l->fd, s + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			l->stopped = true;
			l->err = w < 0 ? errno : EIO;
			break;
		}
		off += (size_t)w;
	}
	if (off == n)
		l->lines++;
	free(s);
}

void livefd_trouble(const struct livefd *l, const char *what, char *buf, size_t len)
{
	buf[0] = '\0';
	if (l->fd < 0)
		return;
	if (l->stopped)
		snprintf(buf, len,
			 "%s %d: the live stream stopped after %llu lines (%s%s); the run went on",
			 what, l->fd, (unsigned long long)l->lines, strerrorname_np(l->err) ?: "?",
			 l->err == EPIPE ? ": its reader went away" : "");
	else if (l->dropped)
		snprintf(buf, len,
			 "%s %d: %llu live ticks left out while the reader was behind (pipe full)",
			 what, l->fd, (unsigned long long)l->dropped);
}

json_t *livefd_headline(json_t *run)
{
	json_t *ld = json_object_get(run, "load");
	const char *mode = json_string_value(
	    json_object_get(json_object_get(json_object_get(run, "config"), "load"), "mode"));
	json_t *tp = json_object_get(ld, "throughput");
	if (!ld || json_is_null(ld) || !mode)
		return json_null();
	if (!strcmp(mode, "connect"))
		return json_pack("{s:s, s:f}", "name", "connects", "value",
				 json_number_value(json_object_get(
				     json_object_get(ld, "connections"), "established")));
	if (!strcmp(mode, "stream"))
		return json_pack("{s:s, s:f}", "name", "MB/s", "value",
				 json_number_value(json_object_get(tp, "bytes_per_s")) / 1e6);
	return json_pack("{s:s, s:f}", "name", "req/s", "value",
			 json_number_value(json_object_get(tp, "requests_per_s")));
}

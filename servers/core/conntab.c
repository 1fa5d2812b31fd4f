/* conntab.c - an event loop's sessions, indexed by fd (fds are small ints). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/server.h"
#include "sockbench/sess.h"

struct sess *conntab_add(struct conntab *t, struct srv *s, int fd)
{
	if (fd >= t->cap) {
		int cap = t->cap ? t->cap : 1024;
		while (cap <= fd)
			cap *= 2;
		struct sess **v = realloc(t->v, (size_t)cap * sizeof *v);
		if (!v)
			goto oom;
		memset(v + t->cap, 0, (size_t)(cap - t->cap) * sizeof *v);
		t->v = v;
		t->cap = cap;
	}
	struct sess *c = malloc(sizeof *c);
	if (!c)
		goto oom;
	if (sess_init(c, s, fd, false) < 0) {
		sess_close(c);
		free(c);
		goto oom_counted;
	}
	t->v[fd] = c;
	t->n++;
	return c;
oom : {
	/* Not a session yet: close it as srv_admit counted it open. */
	close(fd);
	stats_conn_close(s->st);
}
oom_counted:
	stats_error(s->st, ENOMEM);
	return NULL;
}

struct sess *conntab_get(const struct conntab *t, int fd)
{
	return fd >= 0 && fd < t->cap ? t->v[fd] : NULL;
}

void conntab_del(struct conntab *t, struct sess *c)
{
	t->v[c->fd] = NULL;
	t->n--;
	sess_close(c);
	free(c);
}

void conntab_close_all(struct conntab *t)
{
	for (int fd = 0; fd < t->cap; fd++)
		if (t->v[fd])
			conntab_del(t, t->v[fd]);
	free(t->v);
	memset(t, 0, sizeof *t);
}

void conntab_sweep_idle(struct conntab *t, unsigned timeout_ms)
{
	if (!timeout_ms)
		return;
	uint64_t now = clock_now_ms();
	for (int fd = 0; fd < t->cap; fd++) {
		struct sess *c = t->v[fd];
		if (c && !c->idle_closed && now - c->last_ms >= timeout_ms) {
			c->idle_closed = true;
			shutdown(fd, SHUT_RDWR);
		}
	}
}

void conntab_serve(struct conntab *t, struct sess *c)
{
	enum sess_want w = c->want == SESS_WRITE ? sess_on_write(c) : sess_on_read(c);
	if (w == SESS_CLOSE)
		conntab_del(t, c);
	else
		c->want = w;
}

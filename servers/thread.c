/* thread.c - a thread per connection, detached.
 *
 * Each thread blocks in recv()/send() on its own socket; the kernel's
 * scheduler is the event loop.  At stop the main thread shuts every live
 * socket down, which makes each blocked call return, and waits for the
 * threads to finish.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockbench/server.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gone = PTHREAD_COND_INITIALIZER;
static unsigned char *live; /* live[fd]: a thread serves fd */
static int live_cap, nthreads;

struct job {
	struct srv *s;
	int fd;
};

static void *serve_thread(void *arg)
{
	struct job j = *(struct job *)arg;
	free(arg);
	blocking_serve(j.s, j.fd);
	pthread_mutex_lock(&mu);
	live[j.fd] = 0;
	nthreads--;
	pthread_cond_signal(&gone);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static int start(struct srv *s, int fd, pthread_attr_t *attr)
{
	pthread_mutex_lock(&mu);
	if (fd >= live_cap) {
		int cap = live_cap ? live_cap : 1024;
		while (cap <= fd)
			cap *= 2;
		unsigned char *v = realloc(live, (size_t)cap);
		if (!v) {
			pthread_mutex_unlock(&mu);
			return -ENOMEM;
		}
		for (int i = live_cap; i < cap; i++)
			v[i] = 0;
		live = v;
		live_cap = cap;
	}
	struct job *j = malloc(sizeof *j);
	pthread_t t;
	int e = j ? 0 : ENOMEM;
	if (j) {
		*j = (struct job){s, fd};
		e = pthread_create(&t, attr, serve_thread, j);
		if (e)
			free(j);
	}
	if (!e) {
		live[fd] = 1;
		nthreads++;
	}
	pthread_mutex_unlock(&mu);
	return -e;
}

static void stop_all(void)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 3;
	pthread_mutex_lock(&mu);
	/* shutdown() wakes a thread blocked in recv() (returns 0) or send()
	 * (EPIPE) on that socket; close() alone would not. */
	for (int fd = 0; fd < live_cap; fd++)
		if (live[fd])
			shutdown(fd, SHUT_RDWR);
	while (nthreads > 0 && pthread_cond_timedwait(&gone, &mu, &until) == 0)
		;
	pthread_mutex_unlock(&mu);
}

static int run(struct srv *s)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* 256 KiB stacks: thousands of threads fit in the address space. */
	pthread_attr_setstacksize(&attr, 256 << 10);
	int r = srv_blocking_signals(s);
	while (r >= 0 && !srv_stopping) {
		r = srv_wait_listen(s, s->lfd[0]);
		if (r <= 0)
			break;
		int fd = srv_accept(s, s->lfd[0], false);
		if (fd < 0)
			continue;
		int e = start(s, fd, &attr);
		if (e < 0) { /* EAGAIN: out of threads */
			stats_error(s->st, -e);
			stats_conn_close(s->st);
			close(fd);
		}
	}
	stop_all();
	pthread_attr_destroy(&attr);
	if (nthreads == 0) { /* else a stuck thread may still touch it */
		free(live);
		live = NULL;
		live_cap = 0;
	}
	return r < 0 ? r : 0;
}

const struct server_model model_thread = {
    .name = "thread",
    .help = "a thread per connection (detached), blocking sockets",
    .event_loop = false,
    .run = run,
};

/* stopsig.c - a stop signal, remembered (see stopsig.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockbench/stopsig.h"

static volatile sig_atomic_t caught;
static volatile uint64_t caught_at;

static void on_stop(int sig)
{
	if (caught)
		return; /* the first one names the stop */
	/* clock_gettime is async-signal-safe (POSIX.1-2008, signal-safety(7)) */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	caught_at = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	caught = sig;
}

void stopsig_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* the terminal or the ssh session went away: stop as for Ctrl-C,
	 * with the results kept and the settings put back */
	struct sigaction old;
	if (sigaction(SIGHUP, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
		sigaction(SIGHUP, &sa, NULL); /* nohup's SIG_IGN stands */
}

int stopsig_caught(void)
{
	return caught;
}

uint64_t stopsig_at_ns(void)
{
	return caught_at;
}

const char *stopsig_name(int sig)
{
	static char buf[24];
	if (sig == SIGINT)
		return "SIGINT";
	if (sig == SIGTERM)
		return "SIGTERM";
	if (sig == SIGHUP)
		return "SIGHUP";
	snprintf(buf, sizeof buf, "signal %d", sig);
	return buf;
}

/* The thread of stopsig_on_eof: every signal blocked here, so the SIGTERM
 * it sends goes to a thread that handles it (a signalfd, a handler), as
 * one sent from outside. */
static void *eof_watch(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[256];
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			break;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			poll(&p, 1, -1);
		}
	}
	kill(getpid(), SIGTERM);
	return NULL;
}

int stopsig_on_eof(int fd)
{
	pthread_t t;
	int e = pthread_create(&t, NULL, eof_watch, (void *)(intptr_t)fd);
	if (e)
		return -e;
	pthread_detach(t);
	return 0;
}

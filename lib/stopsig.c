/* stopsig.c - a stop signal, remembered (see stopsig.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

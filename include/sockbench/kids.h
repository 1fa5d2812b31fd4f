/* kids.h - the children of the fork and prefork models: reaped as they
 * exit, stopped with SIGTERM (then SIGKILL after a grace period). */
#ifndef SOCKBENCH_KIDS_H
#define SOCKBENCH_KIDS_H

#include <sys/types.h>

struct kids {
	pid_t *pid;
	int n, cap;
	int crashed; /* killed by a signal other than SIGTERM */
	int failed;  /* exited with a non-zero status */
};

int kids_add(struct kids *k, pid_t pid);
/* Wait for the children that have exited, without blocking; how many. */
int kids_reap(struct kids *k);
/* SIGTERM every child, wait up to grace_ms, SIGKILL the rest, reap all. */
void kids_stop(struct kids *k, int grace_ms);

#endif

/* proc.h - stopping child processes: SIGTERM, a grace period, SIGKILL, and
 * every one reaped.  One loop for the server models' children (kids), the
 * server under test (spawn) and a sweep's load runs. */
#ifndef SOCKBENCH_PROC_H
#define SOCKBENCH_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* How often a stop looks whether the processes have gone: a stop is
 * noticed within this, and the poll costs one waitpid per process. */
#define PROC_POLL_MS 5

struct proc_stop {
	int grace_ms; /* from SIGTERM to SIGKILL */
	/* Signal each pid's process group (-pid): what the process started
	 * stops with it.  Once the leader is reaped, SIGKILL takes whatever
	 * the group still holds. */
	bool group;
	/* Each turn of the wait (PROC_POLL_MS apart): the caller's own
	 * chores (drain a pipe the process may block on) and the grace from
	 * SIGTERM in ms, which may grow; NULL keeps grace_ms. */
	int (*on_turn)(void *arg, int grace_ms);
	/* Before the SIGKILL of a process that outlived the grace. */
	void (*on_hung)(void *arg, pid_t pid);
	/* Each process reaped, with its wait status. */
	void (*on_reaped)(void *arg, pid_t pid, int status);
	void *arg;
};

/* Stop the n child processes pid[]: SIGTERM each, wait until every one has
 * exited or the grace has run out, SIGKILL the rest and wait for them.
 * pid[i] becomes 0 once reaped (one the caller cannot wait for, already
 * reaped elsewhere, counts as gone).  Returns how many had to be killed. */
int proc_stop(pid_t *pid, int n, const struct proc_stop *how);

/* "state S, wchan ep_poll": where a process waits, from /proc/PID/stat
 * (its state) and /proc/PID/wchan (the kernel function it sleeps in). */
void proc_where(pid_t pid, char *out, size_t len);

#endif

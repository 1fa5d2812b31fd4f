/* pidns.h - start a process in a PID namespace of its own, under a small
 * init of sockbench's own, so that nothing it starts can outlive us: the
 * init dies with its parent (PR_SET_PDEATHSIG), and when an init dies the
 * kernel SIGKILLs every process of its namespace, setsid daemons included.
 * Used for the server `load` starts and for each run of a sweep. */
#ifndef SOCKBENCH_PIDNS_H
#define SOCKBENCH_PIDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct pidns {
	pid_t init;	   /* our child, the namespace's PID 1 (0: none was made) */
	pid_t payload;	   /* the process pidns_fork returned 0 to, as we see its pid */
	int sock;	   /* from the init: its start, the payload's pid, its end */
	bool userns;	   /* made inside a user namespace of its own (not root) */
	bool have_status;  /* the init passed on the payload's wait status */
	int status;	   /* that status */
	char warning[300]; /* why there is no PID namespace, or no private /proc */
};

/* fork() into a new PID and mount namespace.  The parent gets the pid to
 * wait for and to signal: the init (its own process group), which
 *  - forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 to the
 *    payload's process group (the payload is PID 2: PID 1 ignores
 *    signals it has no handler for);
 *  - reaps every process of the namespace;
 *  - exits when the payload exits, its wait status passed on (pidns_status);
 *  - dies with the calling thread (PR_SET_PDEATHSIG, SIGKILL).
 * The payload gets 0: PID 2 inside, the leader of its own process group,
 * with a private /proc mounted (the mount namespace's root made a slave
 * first: nothing is mounted on the host) and the caller's signal mask.
 * Not root: with a user namespace of its own (the caller's uid and gid
 * mapped to 0).  Where no PID namespace can be made, a plain fork(): the
 * child gets PR_SET_PDEATHSIG and its own process group, ns->warning says
 * why.  Call it from a single-threaded process (the init is made with the
 * raw clone system call; see pidns.c).  -1 with err when nothing runs. */
pid_t pidns_fork(struct pidns *ns, char *err, size_t errlen);
/* The payload's own wait status, given the init's (from waitpid): what
 * the init passed on, else (the init was killed) the init's. */
int pidns_status(struct pidns *ns, int init_status);
/* After the init is reaped: close the descriptor to it. */
void pidns_close(struct pidns *ns);

#endif

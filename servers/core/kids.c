/* kids.c - child processes of the fork and prefork models. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "sockbench/kids.h"
#include "sockbench/proc.h"

int kids_add(struct kids *k, pid_t pid)
{
	if (k->n == k->cap) {
		int cap = k->cap ? 2 * k->cap : 64;
		pid_t *p = realloc(k->pid, (size_t)cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		k->pid = p;
		k->cap = cap;
	}
	k->pid[k->n++] = pid;
	return 0;
}

/* How a child ended: SIGTERM is the stop we asked for; any other signal
 * is a crash, a non-zero exit a failure. */
static void count(struct kids *k, int status)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM)
		k->crashed++;
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		k->failed++;
}

static void forget(struct kids *k, pid_t pid, int status)
{
	for (int i = 0; i < k->n; i++)
		if (k->pid[i] == pid) {
			k->pid[i] = k->pid[--k->n];
			break;
		}
	count(k, status);
}

int kids_reap(struct kids *k)
{
	int n = 0, status;
	pid_t pid;
	/* A child that exited stays a zombie until waited for. */
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		forget(k, pid, status);
		n++;
	}
	return n;
}

static void stopped(void *arg, pid_t pid, int status)
{
	(void)pid;
	count(arg, status);
}

void kids_stop(struct kids *k, int grace_ms)
{
	struct proc_stop how = {.grace_ms = grace_ms, .on_reaped = stopped, .arg = k};
	proc_stop(k->pid, k->n, &how);
	free(k->pid);
	k->pid = NULL;
	k->n = k->cap = 0;
}

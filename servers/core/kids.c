/* kids.c - child processes of the fork and prefork models. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "sockbench/kids.h"

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

static void forget(struct kids *k, pid_t pid, int status)
{
	for (int i = 0; i < k->n; i++)
		if (k->pid[i] == pid) {
			k->pid[i] = k->pid[--k->n];
			break;
		}
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM)
		k->crashed++;
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		k->failed++;
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

void kids_stop(struct kids *k, int grace_ms)
{
	for (int i = 0; i < k->n; i++)
		kill(k->pid[i], SIGTERM);
	struct timespec nap = {0, 5 * 1000000};
	for (int waited = 0; k->n > 0 && waited < grace_ms; waited += 5) {
		if (!kids_reap(k))
			nanosleep(&nap, NULL);
	}
	for (int i = 0; i < k->n; i++)
		kill(k->pid[i], SIGKILL);
	while (k->n > 0) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0)
			break;
		forget(k, pid, status);
	}
	free(k->pid);
	k->pid = NULL;
	k->n = k->cap = 0;
}

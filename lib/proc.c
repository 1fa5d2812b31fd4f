/* proc.c - stop child processes: SIGTERM, a grace period, SIGKILL. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "sockbench/clock.h"
#include "sockbench/proc.h"

static void signal_one(pid_t pid, bool group, int sig)
{
	kill(group ? -pid : pid, sig);
}

static void reaped(pid_t *pid, const struct proc_stop *how, int status)
{
	if (how->group)
		signal_one(*pid, true, SIGKILL); /* anything it left behind */
	if (how->on_reaped)
		how->on_reaped(how->arg, *pid, status);
	*pid = 0;
}

/* Reap what has exited, without blocking; how many are left. */
static int reap_exited(pid_t *pid, int n, const struct proc_stop *how, int *gone)
{
	int left = 0;
	*gone = 0;
	for (int i = 0; i < n; i++) {
		if (pid[i] <= 0)
			continue;
		int status;
		pid_t got = waitpid(pid[i], &status, WNOHANG);
		if (got == pid[i]) {
			reaped(&pid[i], how, status);
			++*gone;
		} else if (got < 0 && errno == ECHILD) {
			pid[i] = 0; /* not ours to wait for (reaped elsewhere) */
			++*gone;
		} else {
			left++;
		}
	}
	return left;
}

int proc_stop(pid_t *pid, int n, const struct proc_stop *how)
{
	for (int i = 0; i < n; i++)
		if (pid[i] > 0)
			signal_one(pid[i], how->group, SIGTERM);
	uint64_t t0 = clock_now_ms();
	int grace = how->grace_ms, gone;
	while (reap_exited(pid, n, how, &gone) > 0) {
		if (how->on_turn)
			grace = how->on_turn(how->arg, grace);
		if (clock_now_ms() >= t0 + (uint64_t)(grace > 0 ? grace : 0))
			break;
		struct timespec nap = {0, PROC_POLL_MS * 1000000L};
		if (!gone)
			nanosleep(&nap, NULL);
	}
	int killed = 0;
	for (int i = 0; i < n; i++)
		if (pid[i] > 0) {
			if (how->on_hung)
				how->on_hung(how->arg, pid[i]);
			signal_one(pid[i], how->group, SIGKILL);
			killed++;
		}
	for (int i = 0; i < n; i++) {
		int status;
		pid_t got;
		if (pid[i] <= 0)
			continue;
		while ((got = waitpid(pid[i], &status, 0)) < 0 && errno == EINTR)
			;
		if (got == pid[i])
			reaped(&pid[i], how, status);
		else
			pid[i] = 0;
	}
	return killed;
}

void proc_where(pid_t pid, char *out, size_t len)
{
	char path[64], wchan[64] = "?", state = '?';
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f) {
		char buf[512];
		/* The name field may hold spaces: the state follows its ')'. */
		char *p = fgets(buf, sizeof buf, f) ? strrchr(buf, ')') : NULL;
		if (p && p[1] == ' ')
			state = p[2];
		fclose(f);
	}
	snprintf(path, sizeof path, "/proc/%d/wchan", (int)pid);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(wchan, sizeof wchan, f))
			snprintf(wchan, sizeof wchan, "?");
		fclose(f);
	}
	snprintf(out, len, "state %c, wchan %s", state, wchan[0] ? wchan : "0");
}

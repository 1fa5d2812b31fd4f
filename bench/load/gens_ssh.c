/* gens_ssh.c - ssh channels to other hosts for `load --generators`: one
 * command run there (sshopt.c starts it), its stdout and stderr back.
 * Every wait ends by a deadline or a stop signal, and no ssh outlives it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/proc.h"
#include "sockbench/stopsig.h"
#include "gens.h"
#include "sshopt.h"

uint64_t gens_wall_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

int gchan_start(struct gen_chan *ch, const struct load_config *c, const char *host,
		char *const *words, int n, bool hold, char *err, size_t errlen)
{
	const char *argv[SSH_AV_MAX];
	char **split[LOAD_MAX_SSH_OPTS] = {0};
	static char cmd[16384];
	int e[2] = {-1, -1}, rc = -1;
	memset(ch, 0, sizeof *ch);
	ch->out = ch->err = ch->in = -1;
	if (ssh_cmdline(c, host, words, n, argv, SSH_AV_MAX, split, cmd, sizeof cmd, err, errlen) <
	    0)
		goto done;
	if (pipe2(e, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto done;
	}
	ch->t_start_ns = gens_wall_ns();
	/* stdin /dev/null; stdout and stderr back to us */
	ch->pid = ssh_spawn(argv, hold ? &ch->in : NULL, &ch->out, e[1], err, errlen);
	if (ch->pid < 0) {
		ch->pid = 0;
		goto done;
	}
	ch->err = e[0];
	e[0] = -1;
	rc = 0;
done:
	for (int i = 0; i < 2; i++)
		if (e[i] >= 0)
			close(e[i]);
	ssh_opts_free(split);
	return rc;
}

/* Read what one descriptor has; 0 at EOF (then closed). */
static int drain(struct gen_chan *ch, bool is_out)
{
	char buf[65536];
	ssize_t r = read(is_out ? ch->out : ch->err, buf, sizeof buf);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (r <= 0) {
		close(is_out ? ch->out : ch->err);
		*(is_out ? &ch->out : &ch->err) = -1;
		return 0;
	}
	size_t n = (size_t)r;
	if (is_out) {
		if (!ch->t_first_ns)
			ch->t_first_ns = gens_wall_ns();
		if (ch->olen + n + 1 > ch->ocap) {
			size_t cap = (ch->olen + n + 1) * 2;
			char *p = realloc(ch->obuf, cap);
			if (!p)
				return 1; /* dropped: the JSON will not parse, and says so */
			ch->obuf = p;
			ch->ocap = cap;
		}
		memcpy(ch->obuf + ch->olen, buf, n);
		ch->olen += n;
		ch->obuf[ch->olen] = '\0';
		return 1;
	}
	/* stderr: the last bytes are the ones that say what went wrong */
	if (n >= sizeof ch->ebuf)
		n = sizeof ch->ebuf - 1;
	if (ch->elen + n >= sizeof ch->ebuf) {
		size_t keep = sizeof ch->ebuf - 1 - n;
		memmove(ch->ebuf, ch->ebuf + ch->elen - keep, keep);
		ch->elen = keep;
	}
	memcpy(ch->ebuf + ch->elen, buf + (size_t)r - n, n);
	ch->elen += n;
	ch->ebuf[ch->elen] = '\0';
	return 1;
}

/* One turn: poll the open pipes (at most 100 ms, so a stop is seen
 * within that), reap what has exited. */
static int turn(struct gen_chan *ch, int n)
{
	struct pollfd p[2 * GENS_MAX];
	struct gen_chan *who[2 * GENS_MAX];
	bool is_out[2 * GENS_MAX];
	int k = 0, live = 0;
	for (int i = 0; i < n; i++) {
		if (ch[i].out >= 0)
			p[k] = (struct pollfd){ch[i].out, POLLIN, 0}, who[k] = &ch[i],
			is_out[k++] = true;
		if (ch[i].err >= 0)
			p[k] = (struct pollfd){ch[i].err, POLLIN, 0}, who[k] = &ch[i],
			is_out[k++] = false;
	}
	if (k && poll(p, (nfds_t)k, 100) > 0)
		for (int j = 0; j < k; j++)
			if (p[j].revents)
				drain(who[j], is_out[j]);
	for (int i = 0; i < n; i++) {
		if (ch[i].pid > 0 && ch[i].out < 0 && ch[i].err < 0 &&
		    waitpid(ch[i].pid, &ch[i].status, k ? WNOHANG : 0) == ch[i].pid)
			ch[i].pid = 0, ch[i].reaped = true;
		live += ch[i].pid > 0;
	}
	if (!k && live)
		usleep(10000);
	return live;
}

int gchan_wait(struct gen_chan *ch, int n, uint64_t deadline_ns, char *why, size_t whylen,
	       const struct gens_srv *srv, uint64_t start_ns)
{
	why[0] = '\0';
	while (turn(ch, n)) {
		if (srv && srv->tick)
			srv->tick(srv->arg, start_ns);
		if (stopsig_caught())
			snprintf(why, whylen, "interrupted by %s", stopsig_name(stopsig_caught()));
		else if (gens_wall_ns() > deadline_ns)
			snprintf(why, whylen, "no answer by the deadline");
		if (!why[0])
			continue;
		pid_t pid[GENS_MAX];
		for (int i = 0; i < n; i++)
			pid[i] = ch[i].pid;
		struct proc_stop how = {.grace_ms = 1000, .group = true};
		proc_stop(pid, n, &how);
		for (int i = 0; i < n; i++)
			if (ch[i].pid && !pid[i])
				ch[i].pid = 0, ch[i].killed = true;
		return -1;
	}
	return 0;
}

void gchan_free(struct gen_chan *ch)
{
	if (ch->out >= 0)
		close(ch->out);
	if (ch->err >= 0)
		close(ch->err);
	if (ch->in >= 0)
		close(ch->in);
	free(ch->obuf);
	ch->obuf = NULL;
	ch->out = ch->err = ch->in = -1;
}

void gchan_last_line(const struct gen_chan *ch, char *out, size_t len)
{
	const char *e = ch->ebuf + ch->elen;
	while (e > ch->ebuf && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
		e--;
	const char *b = e;
	while (b > ch->ebuf && b[-1] != '\n')
		b--;
	snprintf(out, len, "%.*s", (int)(e - b), b);
}

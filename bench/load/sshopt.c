/* sshopt.c - ssh's command line and its start, one way for the three
 * places that reach another host: remote.c (--server-host), remote_sysctl.c
 * (--remote-sysctl) and gens_ssh.c (--generators).  BatchMode=yes comes
 * first on every command line, and the first value ssh reads for an
 * option stands: no --ssh-opt can turn the password prompt back on. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sockbench/words.h"
#include "sshopt.h"

int ssh_opts_argv(const struct load_config *c, const char **av, int k, int max, char ***held,
		  char *err, size_t errlen)
{
	for (int i = 0; i < c->nssh_opt; i++) {
		held[i] = NULL;
		if (c->ssh_opt[i][0] != '-') { /* KEY=VALUE */
			if (k + 2 >= max)
				return snprintf(err, errlen, "--ssh-opt: too many"), -1;
			av[k++] = "-o";
			av[k++] = c->ssh_opt[i];
			continue;
		}
		int nw;
		if (words_split(c->ssh_opt[i], &held[i], &nw, err, errlen) < 0)
			return -1;
		for (int j = 0; j < nw; j++) {
			if (k + 1 >= max)
				return snprintf(err, errlen, "--ssh-opt: too many words"), -1;
			av[k++] = held[i][j];
		}
	}
	return k;
}

void ssh_opts_free(char ***held)
{
	for (int i = 0; i < LOAD_MAX_SSH_OPTS; i++) {
		words_free(held[i]);
		held[i] = NULL;
	}
}

int ssh_cmdline(const struct load_config *c, const char *host, char *const *words, int n,
		const char **av, int max, char ***held, char *cmd, size_t cmdlen, char *err,
		size_t errlen)
{
	int k = 0;
	av[k++] = "ssh";
	av[k++] = "-o";
	av[k++] = "BatchMode=yes";
	if ((k = ssh_opts_argv(c, av, k, max - 4, held, err, errlen)) < 0)
		return -1;
	av[k++] = "--";
	av[k++] = host;
	size_t len = 0;
	cmd[0] = '\0';
	for (int i = 0; i < n; i++)
		if ((i && len + 1 < cmdlen && (cmd[len++] = ' ', 0)) ||
		    words_quote(cmd, cmdlen, &len, words[i]) < 0)
			return snprintf(err, errlen, "the remote command is too long"), -1;
	cmd[len] = '\0';
	av[k++] = cmd;
	av[k] = NULL;
	return 0;
}

/* The child: stdin, stdout and stderr as given, in a process group of its
 * own (a Ctrl-C on the terminal is ours to handle, and we stop ssh
 * ourselves: else it would die before the remote side's last words). */
static void child(const char *const *av, int in, int out, int err_fd)
{
	setpgid(0, 0);
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0)
		_exit(126);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execvp(av[0], (char *const *)av);
	dprintf(STDERR_FILENO, "cannot run ssh: %s\n", strerror(errno));
	_exit(127);
}

pid_t ssh_spawn(const char *const *av, int *in, int *out, int err_fd, char *err, size_t errlen)
{
	int pi[2] = {-1, -1}, po[2] = {-1, -1};
	if (in && pipe2(pi, O_CLOEXEC) < 0)
		return snprintf(err, errlen, "pipe: %s", strerror(errno)), -1;
	if (pipe2(po, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		if (in)
			close(pi[0]), close(pi[1]);
		return -1;
	}
	int nul = in ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t pid = fork();
	if (pid == 0)
		child(av, in ? pi[0] : nul, po[1], err_fd);
	if (pid < 0)
		snprintf(err, errlen, "fork: %s", strerror(errno));
	if (in && pid > 0)
		*in = pi[1];
	else if (in)
		close(pi[1]);
	if (pid > 0) {
		*out = po[0];
		fcntl(*out, F_SETFL, O_NONBLOCK);
	} else {
		close(po[0]);
	}
	if (in)
		close(pi[0]);
	if (nul >= 0)
		close(nul);
	close(po[1]);
	return pid;
}

int ssh_errfile(void)
{
	int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	return fd >= 0 ? fd : memfd_create("ssh stderr", MFD_CLOEXEC);
}

void ssh_last_line(int fd, char *out, size_t len)
{
	char buf[1024];
	off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	out[0] = '\0';
	if (end <= 0)
		return;
	off_t from = end > (off_t)sizeof buf - 1 ? end - (off_t)sizeof buf + 1 : 0;
	ssize_t n = pread(fd, buf, (size_t)(end - from), from);
	if (n <= 0)
		return;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	char *l = strrchr(buf, '\n');
	snprintf(out, len, "%s", l ? l + 1 : buf);
}

int ssh_lines_read(struct remote_lines *b, int fd, void (*line)(void *arg, char *l), void *arg)
{
	ssize_t n = read(fd, b->buf + b->len, sizeof b->buf - 1 - b->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	if (n <= 0)
		return 0;
	b->len += (size_t)n;
	b->buf[b->len] = '\0';
	char *l = b->buf;
	for (char *e; (e = strchr(l, '\n')); l = e + 1) {
		*e = '\0';
		line(arg, l);
	}
	b->len = strlen(l);
	memmove(b->buf, l, b->len + 1);
	if (b->len == sizeof b->buf - 1)
		b->len = 0; /* a line too long for any of ours */
	return 1;
}

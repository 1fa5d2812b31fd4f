/* plot_gp.c - gnuplot started without a shell.
 *
 * argv goes to posix_spawnp as it is: no word of it is read by /bin/sh,
 * so a results directory named `a$(touch x)b` is a name, not a command.
 * stdin is /dev/null (gnuplot reads its commands from the files argv
 * names); stdout and stderr share one pipe, whose last bytes are kept:
 * gnuplot's error comes after its warnings.
 *
 * The only external name of this file is plot_gp_run: the fuzz harness
 * (tests/fuzz/fuzz_plot.c) defines its own, and the linker then never
 * takes this file from the library. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plot_int.h"

extern char **environ;

/* Append k bytes to msg (n used of len), dropping the oldest bytes. */
static void keep_tail(char *msg, size_t len, size_t *n, const char *b, size_t k)
{
	size_t cap = len - 1;
	if (k > cap) {
		b += k - cap;
		k = cap;
	}
	if (*n + k > cap) {
		size_t drop = *n + k - cap;
		memmove(msg, msg + drop, *n - drop);
		*n -= drop;
	}
	memcpy(msg + *n, b, k);
	*n += k;
}

static int spawn(const char *const argv[], int out, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, out, 2);
	/* a sweep's blocked signals are none of gnuplot's business */
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	int rc = posix_spawnp(pid, argv[0], &fa, &at, (char *const *)argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

int plot_gp_run(const char *const argv[], char *msg, size_t len)
{
	int fd[2], st;
	pid_t pid;
	msg[0] = '\0';
	if (pipe2(fd, O_CLOEXEC) < 0)
		return -errno;
	int rc = spawn(argv, fd[1], &pid);
	close(fd[1]);
	if (rc) {
		close(fd[0]);
		return -rc;
	}
	char b[4096];
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd[0], b, sizeof b);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		keep_tail(msg, len, &n, b, (size_t)r);
	}
	msg[n] = '\0';
	close(fd[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return st;
}

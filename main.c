/* main.c - `sockbench CMD`: one table of the subcommands, like
 * server_models; `sockbench --help` and the dispatch both read it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

#include "sockbench/kstat.h"
#include "sockbench/live.h"
#include "sockbench/load.h"
#include "sockbench/plot.h"
#include "sockbench/serve.h"
#include "sockbench/server.h"
#include "sockbench/sweep.h"
#include "sockbench/version.h"

/* What a run records as its environment, for this network namespace, and
 * (`sockbench`) the binary's version, commit and data directories. */
static int sysinfo_main(int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "sockbench sysinfo: '%s': sysinfo takes no arguments\n", argv[1]);
		return 2;
	}
	json_t *env = env_json();
	json_object_set_new(env, "sockbench", sb_tool_json());
	json_dumpf(env, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(env);
	return 0;
}

static const struct command {
	const char *name, *help;
	int (*main)(int argc, char **argv); /* argv[0] is the command's name */
} commands[] = {
    {"serve", "run one server model in the foreground", serve_main},
    {"load", "drive a server, print a summary, write JSON", load_main},
    {"sweep", "cartesian product of settings, one JSON per run", sweep_main},
    {"plot", "gnuplot figures from a sweep's JSON", plot_main},
    {"lesson", "a ready sweep + plots for one teaching topic (--list)", lesson_main},
    {"replay", "a finished run's time series through the live view", live_replay_main},
    {"merge", "one result from several generators (exact histogram merge)", merge_main},
    {"probe", "on a server's host: accept queue and counters as JSON lines", probe_main},
    {"sysinfo", "kernel version and the sysctls that matter", sysinfo_main},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: sockbench CMD [options]   (sockbench CMD --help for each)\n\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nserver models (--model):\n");
	for (int i = 0; server_models[i]; i++)
		fprintf(f, "  %-9s %s\n", server_models[i]->name, server_models[i]->help);
	fprintf(f, "\noptions: --help, --version\n");
}

/* fd 0, 1 and 2 open, whatever the caller closed (`<&- >&-`): else the
 * next open() or pipe() takes their numbers, and a server's READY line or
 * the JSON of `--json -` would go into some other file. */
static void std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", fd ? O_WRONLY : O_RDONLY);
			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
}

int main(int argc, char **argv)
{
	std_fds();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("sockbench %s (commit %s)\n", sb_version(), sb_commit());
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].main(argc - 1, argv + 1);
	fprintf(stderr, "sockbench: '%s': unknown command (see sockbench --help)\n", cmd);
	return 2;
}

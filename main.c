/* main.c - `sockbench CMD`: one table of the subcommands, like
 * server_models; `sockbench --help` and the dispatch both read it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

#include "sockbench/doc.h"
#include "sockbench/kstat.h"
#include "sockbench/live.h"
#include "sockbench/load.h"
#include "sockbench/plot.h"
#include "sockbench/serve.h"
#include "sockbench/server.h"
#include "sockbench/sweep.h"
#include "sockbench/version.h"

static void sysinfo_usage(FILE *f)
{
	fprintf(f, "usage: sockbench sysinfo\n"
		   "The kernel version, the number of cores, the network namespace and the\n"
		   "sysctls that matter, as a run records them; \"sockbench\": this binary's\n"
		   "version, commit and data directories.\n");
}

/* What a run records as its environment, for this network namespace, and
 * (`sockbench`) the binary's version, commit and data directories. */
static int sysinfo_main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		sysinfo_usage(stdout);
		return 0;
	}
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

/* The commands: dispatch, --help, the man page and the completion (a
 * table of options where the command has one; doc.h). */
static const struct doc_cmd commands[] = {
    {"serve", "[options]", "run one server model in the foreground", serve_main, serve_usage,
     &serve_optab, DOC_POS_NONE},
    {"load", "[options]", "drive a server, print a summary, write JSON", load_main, load_usage,
     &load_optab, DOC_POS_NONE},
    {"sweep", "[options]", "cartesian product of settings, one JSON per run", sweep_main,
     sweep_usage, NULL, DOC_POS_NONE},
    {"plot", "RESULTS_DIR... [options]", "gnuplot figures from a sweep's JSON", plot_main,
     plot_usage, NULL, DOC_POS_DIRS},
    {"lesson", "NAME [options]", "a ready sweep + plots for one teaching topic (--list)",
     lesson_main, lesson_usage, NULL, DOC_POS_LESSONS},
    {"replay", "RUN.json [--speed X]", "a finished run's time series through the live view",
     live_replay_main, live_replay_usage, NULL, DOC_POS_FILES},
    {"diff", "DIR_A DIR_B [options]",
     "are two result sets different? medians, ratio, 95% CI, p-value", diff_main, diff_usage,
     &diff_optab, DOC_POS_DIRS},
    {"merge", "RUN.json... [options]", "one result from several generators (exact histogram merge)",
     merge_main, merge_usage, NULL, DOC_POS_FILES},
    {"probe", "--port N | --sysctl NAME=V... [options]",
     "on a server's host: accept queue and counters as JSON lines", probe_main, probe_usage,
     &probe_optab, DOC_POS_NONE},
    {"sysinfo", "", "kernel version and the sysctls that matter", sysinfo_main, sysinfo_usage, NULL,
     DOC_POS_NONE},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
	fprintf(f, "usage: sockbench CMD [options]   (sockbench CMD --help for each)\n\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nserver models (--model):\n");
	for (int i = 0; server_models[i]; i++)
		fprintf(f, "  %-9s %s\n", server_models[i]->name, server_models[i]->help);
	fprintf(f, "\noptions: --help, --version\n");
}

/* `sockbench --man` and `sockbench --bash-completion` (the build writes
 * sockbench.1 and the completion with them): 0, or 1 after saying why. */
static int write_doc(const char *what)
{
	static const char *names[64], *helps[64];
	for (int i = 0; i < 63 && server_models[i]; i++) {
		names[i] = server_models[i]->name;
		helps[i] = server_models[i]->help;
	}
	const struct doc_words values[] = {{"serve", "model", names},
					   {"sweep", "model", names},
					   {"sweep", "models", names},
					   {"plot", "figure", plot_figures},
					   {NULL, NULL, NULL}};
	const struct doc d = {sb_version(), commands, NCOMMANDS, names, helps, values};
	int rc = !strcmp(what, "--man") ? doc_man(stdout, &d) : doc_bash(stdout, &d);
	if (fflush(stdout) != 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		fprintf(stderr, "sockbench %s: %s\n", what, strerror(-rc));
	return rc < 0;
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
	if (!strcmp(cmd, "--man") || !strcmp(cmd, "--bash-completion"))
		return write_doc(cmd);
	if (!strcmp(cmd, "--version")) {
		printf("sockbench %s (commit %s)\n", sb_version(), sb_commit());
		return 0;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].main(argc - 1, argv + 1);
	fprintf(stderr, "sockbench: '%s': unknown command (see sockbench --help)\n", cmd);
	return 2;
}

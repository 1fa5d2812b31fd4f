/* main.c - `sockbench CMD`: dispatch to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "sockbench/kstat.h"
#include "sockbench/load.h"
#include "sockbench/plot.h"
#include "sockbench/serve.h"
#include "sockbench/server.h"
#include "sockbench/sweep.h"

#ifndef SOCKBENCH_VERSION
#define SOCKBENCH_VERSION "0.0.0"
#endif

static void usage(FILE *f)
{
	fprintf(f, "usage: sockbench CMD [options]   (sockbench CMD --help for each)\n\n"
		   "  serve    run one server model in the foreground\n"
		   "  load     drive a server, print a summary, write JSON\n"
		   "  sweep    cartesian product of settings, one JSON per run\n"
		   "  plot     gnuplot figures from a sweep's JSON\n"
		   "  lesson   a ready sweep + plots for one teaching topic (--list)\n"
		   "  merge    one result from several generators (exact histogram merge)\n"
		   "  sysinfo  kernel version and the sysctls that matter\n\n"
		   "server models (--model):\n");
	for (int i = 0; server_models[i]; i++)
		fprintf(f, "  %-9s %s\n", server_models[i]->name, server_models[i]->help);
	fprintf(f, "\noptions: --help, --version\n");
}

int main(int argc, char **argv)
{
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
		printf("sockbench %s\n", SOCKBENCH_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "serve"))
		return serve_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "load"))
		return load_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "sysinfo")) {
		if (argc > 2) {
			fprintf(stderr, "sockbench sysinfo: '%s': sysinfo takes no arguments\n",
				argv[2]);
			return 2;
		}
		/* What a run records as its environment, for this namespace. */
		json_t *env = env_json();
		json_dumpf(env, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(env);
		return 0;
	}
	if (!strcmp(cmd, "sweep"))
		return sweep_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "plot"))
		return plot_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "lesson"))
		return lesson_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "merge"))
		return merge_main(argc - 1, argv + 1);
	fprintf(stderr, "sockbench: '%s': unknown command (see sockbench --help)\n", cmd);
	return 2;
}

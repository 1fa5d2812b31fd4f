/* sshopt.c - --ssh-opt into ssh's argv, one way for --server-host and
 * --generators.  BatchMode=yes comes first on every command line, and the
 * first value ssh reads for an option stands: no --ssh-opt can turn the
 * password prompt back on. */
#include <stdio.h>
#include <string.h>

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

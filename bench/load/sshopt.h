/* sshopt.h - the ssh options of --ssh-opt (sshopt.c), for the two places
 * that start ssh: remote.c (--server-host) and gens_ssh.c (--generators). */
#ifndef SOCKBENCH_SSHOPT_H
#define SOCKBENCH_SSHOPT_H

#include <stddef.h>

#include "sockbench/load.h"

/* Append ssh's options to av from k (at most max - 1 entries in all):
 * each --ssh-opt KEY=VALUE as `-o KEY=VALUE`, and one that starts with
 * '-' as its own words ('-F bed/ssh_config' is two).  The words live in
 * held[] (LOAD_MAX_SSH_OPTS entries, NULL or a words_split list): free
 * them with ssh_opts_free once ssh is started.  The new k, or -1 (err). */
int ssh_opts_argv(const struct load_config *c, const char **av, int k, int max, char ***held,
		  char *err, size_t errlen);
void ssh_opts_free(char ***held);

#endif

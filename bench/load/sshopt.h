/* sshopt.h - ssh's command line and its start (sshopt.c), for the places
 * that reach another host: remote.c (--server-host), remote_sysctl.c
 * (--remote-sysctl) and gens_ssh.c (--generators).  ssh is exec'd with an
 * argv (no local shell); the remote command is one string that the remote
 * user's shell splits, so every word of it is quoted (words_quote). */
#ifndef SOCKBENCH_SSHOPT_H
#define SOCKBENCH_SSHOPT_H

#include <stddef.h>
#include <sys/types.h>

#include "sockbench/load.h"
#include "sockbench/remote.h"

/* room for ssh_cmdline's av */
#define SSH_AV_MAX (8 + 8 * LOAD_MAX_SSH_OPTS)

/* Append ssh's options to av from k (at most max - 1 entries in all):
 * each --ssh-opt KEY=VALUE as `-o KEY=VALUE`, and one that starts with
 * '-' as its own words ('-F bed/ssh_config' is two).  The words live in
 * held[] (LOAD_MAX_SSH_OPTS entries, NULL or a words_split list): free
 * them with ssh_opts_free once ssh is started.  The new k, or -1 (err). */
int ssh_opts_argv(const struct load_config *c, const char **av, int k, int max, char ***held,
		  char *err, size_t errlen);
void ssh_opts_free(char ***held);
/* av = ssh -o BatchMode=yes [--ssh-opt ..] -- HOST CMD, where CMD (in
 * cmd) is the n words, each quoted.  0, or -1 with err. */
int ssh_cmdline(const struct load_config *c, const char *host, char *const *words, int n,
		const char **av, int max, char ***held, char *cmd, size_t cmdlen, char *err,
		size_t errlen);
/* fork + exec av: its stdin our pipe (*in, our end) or /dev/null (in
 * NULL), its stdout our pipe (*out, non-blocking), its stderr err_fd.
 * The pid (its own process group), or -1 with err. */
pid_t ssh_spawn(const char *const *av, int *in, int *out, int err_fd, char *err, size_t errlen);
/* Read what the non-blocking fd has and call line(arg, l) for each whole
 * line, in order (a line longer than the buffer is dropped: none of ours
 * is).  1: read some; 0: EOF or an error; -1: nothing now. */
int ssh_lines_read(struct remote_lines *b, int fd, void (*line)(void *arg, char *l), void *arg);
/* A file without a name for ssh's stderr (-1: none). */
int ssh_errfile(void);
/* The last line written to such a file. */
void ssh_last_line(int fd, char *out, size_t len);

#endif

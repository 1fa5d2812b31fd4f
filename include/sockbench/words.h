/* words.h - command words: split, quote, fill placeholders (no shell). */
#ifndef SOCKBENCH_WORDS_H
#define SOCKBENCH_WORDS_H

#include <stddef.h>

/* Split a command line into words: shell-like quoting ('...', "...", \),
 * no shell.  NULL-terminated argv in *out (free with words_free). */
int words_split(const char *s, char ***out, int *argc, char *err, size_t errlen);
void words_free(char **argv);
/* Append `word` to out (length *k, capacity cap) quoted so that
 * words_split gives it back as one word, whatever it holds: '...' with
 * each ' written as '\''.  -1 if it does not fit. */
int words_quote(char *out, size_t cap, size_t *k, const char *word);
/* Replace {port} {backlog} {recv_size} {addr} inside one word ({port}
 * stays when port < 0). */
int words_fill(const char *word, char *out, size_t outlen, int port, int backlog,
	       unsigned recv_size, const char *addr);

#endif

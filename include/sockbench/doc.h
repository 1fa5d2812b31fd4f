/* doc.h - the man page and the bash completion, written from the table of
 * commands (main.c) and their option tables, by the binary itself at
 * build time (`sockbench --man`, `sockbench --bash-completion`): neither
 * can drift from what the binary takes.
 *
 * A command with an option table gets one entry per row (argument,
 * help, default; a CHOICE row's values complete).  A command without one
 * (sweep, plot, lesson, merge, replay, sysinfo) gets its --help text as
 * it is, and its options for completion are the --words of that text.
 *
 * Library code: each writes to the FILE given and returns 0, or -EIO
 * when the writes failed.
 */
#ifndef SOCKBENCH_DOC_H
#define SOCKBENCH_DOC_H

#include <stddef.h>
#include <stdio.h>

#include "sockbench/optab.h"

/* What a command's words that are not options are, for the completion. */
enum doc_pos {
	DOC_POS_NONE,	 /* none */
	DOC_POS_FILES,	 /* files (merge's RUN.json...) */
	DOC_POS_DIRS,	 /* directories (plot's RESULTS_DIR...) */
	DOC_POS_LESSONS, /* a lesson: `sockbench lesson --list`, when completing */
};

struct doc_cmd {
	const char *name;
	const char *args;		    /* the synopsis after the name: "NAME [options]" */
	const char *help;		    /* one line */
	int (*main)(int argc, char **argv); /* argv[0] is the command's name */
	void (*usage)(FILE *f);		    /* its --help text */
	const struct optab *tab;	    /* its options; NULL: the usage text is all */
	enum doc_pos pos;
};

/* The words an option's value may be, beyond a CHOICE row's choices:
 * option `opt` (no dashes) of command `cmd`. */
struct doc_words {
	const char *cmd, *opt;
	const char *const *words; /* NULL-terminated */
};

struct doc {
	const char *version; /* "0.1.0" */
	const struct doc_cmd *cmds;
	size_t ncmds;
	/* the server models, a name and one line each, NULL-terminated */
	const char *const *models, *const *model_help;
	const struct doc_words *values; /* ends with a NULL cmd */
};

/* sockbench(1), man(7) format. */
int doc_man(FILE *f, const struct doc *d);
/* The bash completion: a function _sockbench and `complete` for it. */
int doc_bash(FILE *f, const struct doc *d);

#endif

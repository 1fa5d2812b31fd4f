/* doc.c - sockbench(1) and the bash completion, from the command table and
 * the option tables (doc.h): what the binary takes, written by the binary. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sockbench/doc.h"

#ifndef SB_REL_DATADIR
#define SB_REL_DATADIR "../share/sockbench"
#endif

#define DOC_MAX_OPTS 96

/* A command's --help text, malloc'd; NULL when out of memory. */
static char *usage_text(const struct doc_cmd *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	c->usage(m);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* --- man(7) ------------------------------------------------------------ */

/* Text for roff: \ as \e, - as \- (a minus: an option copied from the page
 * works), and \& before a . or ' that starts a line (else a request). */
static void roff(FILE *f, const char *s, size_t n)
{
	bool bol = true;
	for (size_t i = 0; i < n && s[i]; i++) {
		char c = s[i];
		if (bol && (c == '.' || c == '\''))
			fputs("\\&", f);
		if (c == '\\')
			fputs("\\e", f);
		else if (c == '-')
			fputs("\\-", f);
		else
			fputc(c, f);
		bol = c == '\n';
	}
}

static void roffs(FILE *f, const char *s)
{
	roff(f, s, strlen(s));
}

/* Help text in fill mode: each of its lines without leading blanks (a
 * blank would start a new output line). */
static void roff_fill(FILE *f, const char *s)
{
	while (*s) {
		while (*s == ' ')
			s++;
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		roff(f, s, n);
		fputc('\n', f);
		s += n + (nl != NULL);
	}
}

static void man_head(FILE *f, const struct doc *d)
{
	fprintf(f,
		".\\\" sockbench(1): written by `sockbench --man` from its command and option\n"
		".\\\" tables at build time; do not edit.\n"
		".TH SOCKBENCH 1 \"\" \"sockbench %s\" \"User Commands\"\n"
		/* no hyphenation, ragged right: option and sysctl names must
		 * read (and be searched for) whole */
		".nh\n.ad l\n"
		".SH NAME\n"
		"sockbench \\- how socket servers behave under load, and why\n"
		".SH SYNOPSIS\n.nf\n",
		d->version);
	for (size_t i = 0; i < d->ncmds; i++) {
		fprintf(f, "\\fBsockbench %s\\fR ", d->cmds[i].name);
		roffs(f, d->cmds[i].args);
		fputc('\n', f);
	}
	fputs("\\fBsockbench \\-\\-help\\fR | \\fB\\-\\-version\\fR\n.fi\n", f);
	fputs(".SH DESCRIPTION\n"
	      "sockbench measures how socket servers behave under load, and why.\n"
	      "It runs interchangeable server models under its own load generator,\n"
	      "sweeps the settings beginners ask about (the listen() backlog,\n"
	      "net.core.somaxconn, the recv size, send versus sendall), writes every\n"
	      "run as JSON and turns the JSON into gnuplot figures.\n"
	      ".PP\n"
	      "\\fBsockbench\\fR \\fIcommand\\fR \\fB\\-\\-help\\fR says what a command takes;\n"
	      "the entries below are made from the same tables.\n"
	      "Times are written 1.5, 250ms, 10s, 2m, 1h or 250us: a bare number\n"
	      "takes the unit its entry names (bare = s).\n"
	      "Sizes are 64, 64k, 1M or 2G (powers of 1024).\n",
	      f);
}

static void man_row(FILE *f, const struct optab_row *r)
{
	char dflt[128];
	if (r->section) {
		fputs(".PP\n\\fI", f);
		roffs(f, r->section);
		fputs("\\fR\n", f);
	}
	fputs(".TP\n\\fB\\-\\-", f);
	roffs(f, r->name);
	fputs("\\fR", f);
	if (r->arg) {
		fputs(" \\fI", f);
		roffs(f, r->arg);
		fputs("\\fR", f);
	}
	fputc('\n', f);
	roff_fill(f, r->help);
	optab_default_text(r, dflt, sizeof dflt);
	if (dflt[0]) {
		fputc('(', f);
		roffs(f, dflt);
		fputs(")\n", f);
	}
}

static int man_cmd(FILE *f, const struct doc_cmd *c)
{
	fprintf(f, ".SS \"sockbench %s ", c->name);
	for (const char *a = c->args; *a; a++) /* a quote in a quoted argument is "" */
		if (*a == '"')
			fputs("\"\"", f);
		else
			roff(f, a, 1);
	fputs("\"\n", f);
	roffs(f, c->help);
	fputs(".\n", f);
	if (c->tab) {
		for (const struct optab_row *r = c->tab->rows; r->name; r++)
			man_row(f, r);
		fputs(".TP\n\\fB\\-\\-help\\fR\nwhat this command takes\n", f);
		return 0;
	}
	char *text = usage_text(c);
	if (!text)
		return -ENOMEM;
	/* the command's --help as it is, at the heading's indent (3n): its
	 * lines were made for an 80-column terminal */
	fputs(".PP\n.in 3n\n.nf\n", f);
	roffs(f, text);
	fputs(text[0] && text[strlen(text) - 1] != '\n' ? "\n.fi\n.in\n" : ".fi\n.in\n", f);
	free(text);
	return 0;
}

static void man_tail(FILE *f)
{
	fputs(".SH \"EXIT STATUS\"\n"
	      ".TP\n.B 0\nsuccess\n"
	      ".TP\n.B 1\n"
	      "the run failed: a server that crashed or never became ready, a refused\n"
	      "target, a results directory that refused a write\n"
	      ".TP\n.B 2\n"
	      "a usage error: one line names the option and what it allows, and\n"
	      "nothing else happens\n"
	      ".TP\n.B 130, 143\n"
	      "stopped by SIGINT or SIGTERM (128 + the signal); finished results stay\n"
	      ".SH ENVIRONMENT\n"
	      ".TP\n.B SOCKBENCH_DATADIR\n"
	      "the data directory (see \\fBFILES\\fR)\n"
	      ".TP\n.B SOCKBENCH_DATA\n"
	      "its older name, read when \\fBSOCKBENCH_DATADIR\\fR is not set\n"
	      ".TP\n.B SOCKBENCH_PYDIR\n"
	      "the directory of the Python models\n",
	      f);
	fputs(".SH FILES\n"
	      ".TP\n.I DATADIR/plots/*.gp\n"
	      "the gnuplot scripts of \\fBplot\\fR\n"
	      ".TP\n.I DATADIR/lessons/*.json\n"
	      "the lessons (\\fBsockbench lesson \\-\\-list\\fR)\n"
	      ".TP\n.I PYDIR/py_*.py\n"
	      "the Python models (\\fBserve \\-\\-model py\\-...\\fR)\n"
	      ".PP\n"
	      "DATADIR is the first of: \\fB$SOCKBENCH_DATADIR\\fR (else\n"
	      "\\fB$SOCKBENCH_DATA\\fR); \\fI",
	      f);
	roffs(f, SB_REL_DATADIR);
	fputs("\\fR from the directory that holds the running binary, when it\n"
	      "exists (an install: \\fI/usr/local/share/sockbench\\fR for\n"
	      "\\fI/usr/local/bin/sockbench\\fR); \\fIscripts\\fR of the source tree the\n"
	      "binary was built from.\n"
	      "PYDIR is \\fB$SOCKBENCH_PYDIR\\fR, else \\fIDATADIR/python\\fR when it\n"
	      "exists, else \\fIservers/python\\fR of the source tree.\n"
	      "\\fBsockbench sysinfo\\fR and every run's JSON (\\fBtool.datadir\\fR,\n"
	      "\\fBtool.pydir\\fR) name the ones used.\n"
	      ".SH \"SEE ALSO\"\n"
	      "\\fBgnuplot\\fR(1), \\fBss\\fR(8), \\fBip\\-netns\\fR(8), \\fBlisten\\fR(2),\n"
	      "\\fBtcp\\fR(7); README.md and docs/ of the source tree\n",
	      f);
}

int doc_man(FILE *f, const struct doc *d)
{
	man_head(f, d);
	fputs(".SH COMMANDS\n", f);
	for (size_t i = 0; i < d->ncmds; i++)
		if (man_cmd(f, &d->cmds[i]) < 0)
			return -ENOMEM;
	fputs(".SH \"SERVER MODELS\"\n"
	      "The values of \\fBserve \\-\\-model\\fR and \\fBsweep \\-\\-models\\fR:\n",
	      f);
	for (int i = 0; d->models[i]; i++) {
		fputs(".TP\n.B ", f);
		roffs(f, d->models[i]);
		fputc('\n', f);
		roff_fill(f, d->model_help[i]);
	}
	man_tail(f);
	return ferror(f) ? -EIO : 0;
}

/* --- bash ----------------------------------------------------------------- */

struct dopt {
	char name[48];
	bool value; /* takes a value */
};

static int opt_add(struct dopt *o, int n, int max, const char *name, size_t len, bool value)
{
	for (int i = 0; i < n; i++)
		if (strlen(o[i].name) == len && !strncmp(o[i].name, name, len)) {
			o[i].value |= value;
			return n;
		}
	if (n == max || len >= sizeof o[n].name)
		return n;
	memcpy(o[n].name, name, len);
	o[n].name[len] = '\0';
	o[n].value = value;
	return n + 1;
}

/* Each --word of a usage text once; it takes a value when some mention
 * has one after it: "--out DIR", "--label A,B", "--server-cmd 'CMD'". */
static int scrape(const char *t, struct dopt *o, int n, int max)
{
	for (const char *p = t; (p = strstr(p, "--"));) {
		bool starts = p == t || !(isalnum((unsigned char)p[-1]) || p[-1] == '-');
		const char *s = p + 2, *e = s;
		while (islower((unsigned char)*e) || isdigit((unsigned char)*e) || *e == '-')
			e++;
		p = e;
		if (!starts || !islower((unsigned char)*s))
			continue;
		bool value = *e == '=' || (*e == ' ' && e[1] &&
					   (isupper((unsigned char)e[1]) || strchr("\"'[{", e[1])));
		n = opt_add(o, n, max, s, (size_t)(e - s), value);
	}
	return n;
}

/* The row of option `name` in any command's table, or NULL. */
static const struct optab_row *any_row(const struct doc *d, const char *name)
{
	for (size_t i = 0; i < d->ncmds; i++) {
		const struct optab_row *r =
		    d->cmds[i].tab ? optab_find(d->cmds[i].tab, name) : NULL;
		if (r)
			return r;
	}
	return NULL;
}

/* The values option `opt` of command c takes: the doc's own list, else a
 * CHOICE row's (of its table; a command without one, like sweep whose
 * axes are the other tables' rows, takes any table's row of that name). */
static const char *const *values_of(const struct doc *d, const struct doc_cmd *c, const char *opt)
{
	for (const struct doc_words *v = d->values; v && v->cmd; v++)
		if (!strcmp(v->cmd, c->name) && !strcmp(v->opt, opt))
			return v->words;
	const struct optab_row *r = c->tab ? optab_find(c->tab, opt) : any_row(d, opt);
	return r && r->kind == OPTK_CHOICE ? r->choices : NULL;
}

/* A command's options: its table's rows, else the --words of its usage
 * text (whether one takes a value: as a table's row of that name says,
 * sweep's axes; else as its mentions do); --help always.  The count, or
 * -ENOMEM. */
static int cmd_opts(const struct doc *d, const struct doc_cmd *c, struct dopt *o, int max)
{
	int n = 0;
	if (c->tab) {
		for (const struct optab_row *r = c->tab->rows; r->name; r++)
			n = opt_add(o, n, max, r->name, strlen(r->name), r->kind != OPTK_FLAG);
		return opt_add(o, n, max, "help", 4, false);
	}
	char *text = usage_text(c);
	if (!text)
		return -ENOMEM;
	n = scrape(text, o, n, max);
	free(text);
	for (int i = 0; i < n; i++) {
		const struct optab_row *r = any_row(d, o[i].name);
		if (r)
			o[i].value = r->kind != OPTK_FLAG;
		if (values_of(d, c, o[i].name)) /* sweep --models */
			o[i].value = true;
	}
	return opt_add(o, n, max, "help", 4, false);
}

/* A word that needs no quoting in '...' nor in a case pattern. */
static bool plain(const char *w)
{
	for (; *w; w++)
		if (!isalnum((unsigned char)*w) && !strchr("_.,:+-=@/", *w))
			return false;
	return true;
}

static void words_line(FILE *f, const char *const *w, const char *dashes)
{
	for (int i = 0; w[i]; i++)
		if (plain(w[i]))
			fprintf(f, "%s%s%s", i ? " " : "", dashes, w[i]);
}

/* _sockbench_options, _sockbench_flags and _sockbench_values: case
 * statements over the commands. */
static int bash_tables(FILE *f, const struct doc *d)
{
	struct dopt o[DOC_MAX_OPTS];
	fputs("# The options of command $1; those that take no value; the words\n"
	      "# option $2 of command $1 takes (status 1: nobody lists them).\n",
	      f);
	const char *fn[] = {"options", "flags", "values"};
	for (int k = 0; k < 3; k++) {
		fprintf(f, "_sockbench_%s()\n{\n\tcase $1%s in\n", fn[k], k == 2 ? ":$2" : "");
		for (size_t i = 0; i < d->ncmds; i++) {
			const struct doc_cmd *c = &d->cmds[i];
			int n = cmd_opts(d, c, o, DOC_MAX_OPTS);
			if (n < 0)
				return n;
			if (k < 2)
				fprintf(f, "\t%s) echo '", c->name);
			for (int j = 0, first = 1; j < n; j++) {
				const char *const *w = values_of(d, c, o[j].name);
				if (k == 2 && w && plain(o[j].name)) {
					fprintf(f, "\t%s:--%s) echo '", c->name, o[j].name);
					words_line(f, w, "");
					fputs("' ;;\n", f);
				} else if (k < 2 && (k == 0 || !o[j].value) && plain(o[j].name)) {
					fprintf(f, "%s--%s", first ? "" : " ", o[j].name);
					first = 0;
				}
			}
			if (k < 2)
				fputs("' ;;\n", f);
		}
		fprintf(f, "%s\tesac\n}\n\n", k == 2 ? "\t*) return 1 ;;\n" : "");
	}
	return 0;
}

/* The function, around the case of its command's other words. */
static const char bash_main_head[] =
    "_sockbench()\n"
    "{\n"
    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
    "\tlocal cmd=${COMP_WORDS[1]} words pre=\n"
    "\tCOMPREPLY=()\n"
    "\tif ((COMP_CWORD == 1)); then\n"
    "\t\tCOMPREPLY=($(compgen -W \"$_sockbench_commands --help --version\" -- \"$cur\"))\n"
    "\t\treturn 0\n"
    "\tfi\n"
    "\t# --opt=VALUE: the shell made \"=\" a word of its own\n"
    "\tif [[ $cur == = ]]; then\n"
    "\t\tcur=\n"
    "\telif [[ $prev == = ]] && ((COMP_CWORD > 2)); then\n"
    "\t\tprev=${COMP_WORDS[COMP_CWORD-2]}\n"
    "\tfi\n"
    "\tif [[ $prev == --* ]] && words=$(_sockbench_values \"$cmd\" \"$prev\"); then\n"
    "\t\t# a sweep axis is a comma list: the word after the last comma\n"
    "\t\tif [[ $cur == *,* ]]; then\n"
    "\t\t\tpre=${cur%,*},\n"
    "\t\t\tcur=${cur##*,}\n"
    "\t\tfi\n"
    "\t\tCOMPREPLY=($(compgen -P \"$pre\" -W \"$words\" -- \"$cur\"))\n"
    "\t\treturn 0\n"
    "\tfi\n"
    "\tif [[ $prev == --* && \" $(_sockbench_flags \"$cmd\") \" != *\" $prev \"* ]]; then\n"
    "\t\treturn 0 # a value nobody lists: file names (complete -o default)\n"
    "\tfi\n"
    "\tif [[ $cur == -* ]]; then\n"
    "\t\tCOMPREPLY=($(compgen -W \"$(_sockbench_options \"$cmd\")\" -- \"$cur\"))\n"
    "\t\treturn 0\n"
    "\tfi\n"
    "\tcase $cmd in\n";
static const char bash_main_tail[] = "\tesac\n"
				     "\treturn 0\n"
				     "}\n\n"
				     "complete -o default -F _sockbench sockbench\n";

/* The case of each command whose other words complete: lessons (asked of
 * the binary being completed: its data directory holds them), dirs. */
static void bash_positional(FILE *f, const struct doc *d)
{
	for (size_t i = 0; i < d->ncmds; i++) {
		const struct doc_cmd *c = &d->cmds[i];
		if (c->pos == DOC_POS_LESSONS)
			fprintf(f,
				"\t%s)\n"
				"\t\twords=$(\"${COMP_WORDS[0]}\" %s --list 2>/dev/null |\n"
				"\t\t\twhile read -r name _; do printf '%%s ' \"$name\"; done)\n"
				"\t\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
				"\t\t;;\n",
				c->name, c->name);
		else if (c->pos == DOC_POS_DIRS)
			fprintf(f, "\t%s) COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n", c->name);
	}
}

int doc_bash(FILE *f, const struct doc *d)
{
	fprintf(f,
		"# bash completion for sockbench(1), sockbench %s: written by\n"
		"# `sockbench --bash-completion` from its command and option tables at\n"
		"# build time; do not edit.\n\n_sockbench_commands='",
		d->version);
	for (size_t i = 0; i < d->ncmds; i++)
		fprintf(f, "%s%s", i ? " " : "", d->cmds[i].name);
	fputs("'\n\n", f);
	int rc = bash_tables(f, d);
	if (rc < 0)
		return rc;
	fputs(bash_main_head, f);
	bash_positional(f, d);
	fputs(bash_main_tail, f);
	return ferror(f) ? -EIO : 0;
}

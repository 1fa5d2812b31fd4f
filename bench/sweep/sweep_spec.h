/* sweep_spec.h - the settings of a sweep. */
#ifndef SOCKBENCH_SWEEP_SPEC_H
#define SOCKBENCH_SWEEP_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "axis.h"

/* Where an axis's value goes: serve's options (K_SERVE; K_SERVE_FLAG on or
 * off), load's (K_LOAD; K_LOAD_FIXED never split at commas; K_LOAD_FLAG on
 * or off, --unread), both (K_BOTH:
 * a name both commands take), a sysctl of the run's network namespace, or
 * the `server` axis (K_SERVER: a model's name or a named --server-cmd's,
 * made by spec_parse from --models and --server-cmd NAME=CMD). */
enum knob_kind {
	K_SERVE,
	K_SERVE_FLAG,
	K_LOAD,
	K_LOAD_FIXED,
	K_BOTH,
	K_SYSCTL,
	K_SERVER,
	K_LOAD_FLAG
};

/* An option a sweep can vary: a row of serve_optab or load_optab whose
 * `axis` allows it, or one of the sweep's own (sysctls, --models). */
struct knob {
	const char *name; /* as on the command line, without dashes */
	enum knob_kind kind;
	const char *alias; /* serve option it sets ("models" -> "model"), or the sysctl */
};
const struct knob *knob_find(const char *name);
/* Every knob, i from 0 until NULL. */
const struct knob *knob_at(int i);

#define SWEEP_MAX_AXES 48
/* The longest --out: DIR/runs/.tmp/NNNN-<cell key>-rK.json.tmp.PID must
 * fit the sweep's path buffers (800 bytes). */
#define SWEEP_OUT_MAX	   400
#define SWEEP_MAX_CMDS	   16
#define SWEEP_MAX_SSH_OPTS 16

struct sweep_spec {
	int naxes;
	struct axis axes[SWEEP_MAX_AXES];
	const struct knob *knob[SWEEP_MAX_AXES];
	char **canon[SWEEP_MAX_AXES]; /* each value's canonical text (sweep_ident.c) */
	int repeat;
	int live_fd; /* --live-fd: the live stream's descriptor, -1 unless given */
	bool resume, dry_run, host_netns, quiet, help;
	bool live; /* --live: the full-screen view (bench/live) of the runs */
	char out[512];
	char config[512];
	char server_cmd[2048]; /* the unnamed --server-cmd CMD */
	int ncmds;	       /* --server-cmd NAME=CMD, each a value of the server axis */
	char cmd_name[SWEEP_MAX_CMDS][64];
	char cmd[SWEEP_MAX_CMDS][2048];
	/* --server-host (sweep_remote.c): load's, passed to every run */
	char server_host[256];
	char ssh_opt[SWEEP_MAX_SSH_OPTS][512];
	int nssh_opt;
	char remote_bin[512];
	bool remote_sysctl;    /* --remote-sysctl: sysctl axes set on that host */
	char generators[1024]; /* --generators H1,H2: each run's load there */
};

/* Command line (argv[0] = "sweep") over an optional --config file. */
int spec_parse(struct sweep_spec *sp, int argc, char **argv, char *err, size_t errlen);
int spec_load_config(struct sweep_spec *sp, const char *path, char *err, size_t errlen);
void spec_free(struct sweep_spec *sp);
/* sweep_ident.c: axes in the knobs' order, values sorted by their
 * canonical form (duplicates dropped); call it after spec_parse. */
int spec_normalise(struct sweep_spec *sp, char *err, size_t errlen);
/* {"axes": {name: [canonical values]}, "server_cmd", "host_netns"}: what
 * --resume compares with sweep.json's "identity". */
json_t *spec_identity(const struct sweep_spec *sp);
/* 0 when `was` (sweep.json's) and `now` are the same sweep, else -1 with
 * the first difference in why. */
int spec_same(json_t *was, json_t *now, char *why, size_t len);
/* sweep_server.c: --server-cmd's value (NAME=CMD or the unnamed CMD);
 * --config's "server_cmd" list or object; after parsing, the server axis
 * in place of --models when there are named commands.  0, or -1 (err). */
int spec_add_server_cmd(struct sweep_spec *sp, const char *val, char *err, size_t errlen);
int spec_config_server_cmds(struct sweep_spec *sp, const char *path, json_t *v, char *err,
			    size_t errlen);
int spec_server_axis(struct sweep_spec *sp, char *err, size_t errlen);
/* The command of a named --server-cmd (a value of the server axis), else NULL. */
const char *spec_named_cmd(const struct sweep_spec *sp, const char *name);
/* The server commands as sweep.json records them: the unnamed one as a
 * string, named ones as {name: cmd}, none as NULL (new reference). */
json_t *spec_server_cmd_json(const struct sweep_spec *sp);
/* sweep_remote.c: --server-host, --ssh-opt, --remote-bin (1: not one of
 * them); the axes they refuse; their words on a run's load command line
 * (v[n..], at most max entries in all; the new n). */
int spec_remote_option(struct sweep_spec *sp, const char *name, const char *val, char *err,
		       size_t errlen);
int spec_remote_check(const struct sweep_spec *sp, char *err, size_t errlen);
int spec_remote_args(const struct sweep_spec *sp, const char **v, int n, int max);
/* --generators: each host's own run, which load wrote beside the run's
 * JSON in runs/.tmp, moved to DIR/hosts/ (out of runs/, which holds one
 * file per run) and its generators[].file made "hosts/NAME". */
void spec_remote_keep_hosts(const char *dir, json_t *run);
/* --remote-sysctl: `--remote-sysctl NAME=VALUE` for each sysctl axis at
 * this cell, the strings appended to out at *k; the new n. */
int spec_remote_sysctls(const struct sweep_spec *sp, const int *idx, char *out, size_t cap,
			size_t *k, const char **v, int n, int max);
/* The axis of a server flag (pause-accept) is on in every cell. */
bool spec_flag_always(const struct sweep_spec *sp, const char *name);

#endif

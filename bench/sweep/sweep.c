/* sweep.c - `sockbench sweep`: every cell x repeat as one `sockbench load`
 * in a fresh private network namespace; results written atomically, a
 * failed run recorded, never lost; Ctrl-C leaves every finished file. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/jsonio.h"
#include "sockbench/kstat.h"
#include "sockbench/load.h"
#include "netns.h"
#include "sockbench/opt.h"
#include "sockbench/pidns.h"
#include "sockbench/proc.h"
#include "sockbench/serve.h"
#include "sockbench/spawn.h"
#include "sockbench/summ.h"
#include "sockbench/sweep.h"
#include "sockbench/stopsig.h"
#include "sweep_run.h"
#include "sweep_spec.h"

/* SIGINT/SIGTERM: the current run is stopped, its files go, the finished
 * ones stay; exit 128 + the signal (stopsig.h) */
#define interrupted stopsig_caught()

/* --- one run ------------------------------------------------------------ */

/* A run that left no result of its own: every key present, error set. */
static json_t *failed_run(const char *why)
{
	json_t *o =
	    json_pack("{s:s, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:[], s:[], s:b, s:s}",
		      "schema", "sockbench.run/2", "tool", "started_at", "duration_s",
		      "environment", "config", "load", "server", "kernel", "accept_queue",
		      "explain", "warnings", "generator_bound", 0, "error", why);
	return o;
}

/* A headline figure for progress: what this kind of run is about. */
static void headline(json_t *run, char *out, size_t len)
{
	json_t *ld = json_object_get(run, "load");
	const char *mode = json_string_value(
	    json_object_get(json_object_get(json_object_get(run, "config"), "load"), "mode"));
	const char *err = json_string_value(json_object_get(run, "error"));
	if (err)
		snprintf(out, len, "error: %.60s", err);
	else if (mode && !strcmp(mode, "connect"))
		snprintf(out, len, "%lld established",
			 (long long)json_integer_value(
			     json_object_get(json_object_get(ld, "connections"), "established")));
	else if (mode && !strcmp(mode, "stream"))
		snprintf(out, len, "%.1f MB/s",
			 json_number_value(
			     json_object_get(json_object_get(ld, "throughput"), "bytes_per_s")) /
			     1e6);
	else
		snprintf(out, len, "%.0f req/s",
			 json_number_value(
			     json_object_get(json_object_get(ld, "throughput"), "requests_per_s")));
}

static double run_timeout_s(const struct sweep *w, const int *idx)
{
	uint64_t us = 0;
	char e[200];
	const char *d = sweep_cell_value(w, idx, "duration"),
		   *wu = sweep_cell_value(w, idx, "warmup");
	uint64_t t = 10000000;
	if (d)
		opt_time_us(d, 1000, &t, e, sizeof e);
	us += t;
	if (wu && opt_time_us(wu, 1000, &t, e, sizeof e) == 0)
		us += t;
	if (sweep_cell_value(w, idx, "requests"))
		us += 300000000;      /* a count, not a time: allow 5 minutes */
	return (double)us / 1e6 + 30; /* + connect/request timeouts and start/stop */
}

/* SIGTERM the run: its init passes it on to load, which stops its server.
 * 2 s, then SIGKILL to the init, and the kernel kills everything in the
 * run's PID namespace with it (without one: the run's process group). */
static void kill_group(pid_t pid)
{
	struct proc_stop how = {.grace_ms = 2000, .group = true};
	proc_stop(&pid, 1, &how);
}

/* The results directory refused a write (read-only, full): the run did
 * not fail, its result was lost, so nothing is recorded for it and the
 * sweep stops; --resume redoes it once the directory takes writes. */
static int unwritable(struct sweep *w, const char *tmp, const char *errpath, const char *why)
{
	snprintf(w->unwritable, sizeof w->unwritable, "%s", why);
	unlink(tmp);
	unlink(errpath);
	return -2;
}

/* The files of one run: its result, the temporary file load writes it
 * to first, and load's stderr beside that. */
struct run_files {
	char name[160], final[800], tmp[800], err[800];
};

static void run_files(const struct sweep *w, uint64_t cell, const int *idx, int rep,
		      struct run_files *f)
{
	sweep_run_name(w, cell, idx, rep, f->name, sizeof f->name);
	snprintf(f->final, sizeof f->final, "%s/runs/%s", w->dir, f->name);
	snprintf(f->tmp, sizeof f->tmp, "%s/runs/.tmp/%s", w->dir, f->name);
	snprintf(f->err, sizeof f->err, "%s/runs/.tmp/%s.stderr", w->dir, f->name);
}

/* The child: PID 2 of the run's own PID namespace, its own process group,
 * stderr to efd, and (unless --host-netns) a private network namespace
 * with the cell's sysctls.  The namespaces end with the run's init. */
static void exec_load(const struct sweep *w, const int *idx, const char *tmp, int efd)
{
	dup2(efd, STDERR_FILENO);
	int nul = open("/dev/null", O_WRONLY);
	if (nul >= 0)
		dup2(nul, STDOUT_FILENO);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	char e[512];
	bool userns;
	if (!w->sp.host_netns && (netns_enter_private(&userns, e, sizeof e) < 0 ||
				  sweep_set_sysctls(w, idx, e, sizeof e) < 0)) {
		fprintf(stderr, "sockbench sweep: %s\n", e);
		_exit(3);
	}
	/* The command line is made here, inside the run's namespace with its
	 * sysctls set: {backlog} of `--backlog max` reads its somaxconn. */
	char *buf, **argv = sweep_cell_argv(w, idx, tmp, &buf);
	if (!argv) {
		fprintf(stderr, "sockbench sweep: the run's command line does not fit\n");
		_exit(3);
	}
	sweep_live_child(w, argv);
	execv(w->self, argv);
	fprintf(stderr, "sockbench sweep: exec %s: %s\n", w->self, strerror(errno));
	_exit(127);
}

/* Start `sockbench load` for the cell, writing its JSON to tmp, under an
 * init of its own (lib/pidns.c) that dies with the sweep: a SIGKILLed
 * sweep or lesson leaves no load, no server and so no network namespace.
 * The pid to wait for and signal (the init's), or -1 with err.  efd is
 * closed. */
static pid_t start_load(const struct sweep *w, const int *idx, const char *tmp, int efd,
			struct pidns *ns, char *err, size_t errlen)
{
	pid_t pid = pidns_fork(ns, err, errlen);
	if (pid == 0)
		exec_load(w, idx, tmp, efd);
	close(efd);
	return pid;
}

/* Wait for the run to end: 0 when it did (*status), 1 when it overran its
 * limit, -1 when the sweep was interrupted (both killed). */
static int wait_load(pid_t pid, double t0, double limit, int *status)
{
	for (;;) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 0;
		if (interrupted) {
			kill_group(pid);
			return -1;
		}
		if (clock_now_s() - t0 > limit) {
			kill_group(pid);
			return 1;
		}
		struct timespec nap = {0, 5000000};
		nanosleep(&nap, NULL);
	}
}

/* The end of load's stderr, without its last newline. */
static void stderr_tail(const char *path, char *tail, size_t len)
{
	tail[0] = '\0';
	FILE *ef = fopen(path, "r");
	if (!ef)
		return;
	size_t n = fread(tail, 1, len - 1, ef);
	tail[n] = '\0';
	fclose(ef);
	char *nl = strrchr(tail, '\n');
	if (nl && !nl[1])
		*nl = '\0';
}

/* The run's result: the JSON load wrote, else a failed run saying why (it
 * overran, or load's exit and its last words).  0, or -2 when load could
 * not write its --json: the results directory's fault, not the run's. */
static int load_result(struct sweep *w, const struct run_files *f, bool hung, int status,
		       double limit, json_t **out)
{
	json_error_t je;
	*out = hung ? NULL : json_load_file(f->tmp, 0, &je);
	if (*out)
		return spec_remote_keep_hosts(w->dir, *out), 0;
	char why[600], tail[400];
	stderr_tail(f->err, tail, sizeof tail);
	/* "sockbench load: --json TMP: cannot write (...)" */
	const char *j = strstr(tail, "--json ");
	if (!hung && WIFEXITED(status) && WEXITSTATUS(status) == 1 && j &&
	    !strncmp(j + 7, f->tmp, strlen(f->tmp)))
		return unwritable(w, f->tmp, f->err, j + 7);
	if (hung)
		snprintf(why, sizeof why, "run did not finish within %.0f s: killed", limit);
	else
		snprintf(why, sizeof why, "load %s %d%s%s",
			 WIFEXITED(status) ? "exited with status" : "killed by signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			 tail[0] ? ": " : "", tail);
	*out = failed_run(why);
	return 0;
}

/* run.sweep: where the run sits in the sweep and what it took. */
static json_t *run_meta(const struct sweep *w, uint64_t cell, const int *idx, int rep, double wall)
{
	json_t *meta = json_object();
	json_object_set_new(meta, "cell", json_integer((json_int_t)cell));
	json_object_set_new(meta, "repeat", json_integer(rep));
	json_object_set_new(meta, "values", sweep_values_json(w, idx));
	json_object_set_new(meta, "netns",
			    json_string(w->sp.host_netns ? "host"
					: w->userns	 ? "private (user namespace)"
							 : "private"));
	json_object_set_new(meta, "wall_s", json_real(wall));
	/* which sweep this run belongs to: `plot` refuses runs of another */
	json_object_set_new(meta, "sweep_id", json_string(w->sweep_id));
	return meta;
}

/* Count a failure, and what a good run cost beyond its measured time:
 * namespace, server start and stop, exec, writing. */
static void tally(struct sweep *w, json_t *run, double wall)
{
	bool failed = !json_is_null(json_object_get(run, "error"));
	w->failed += failed;
	double dur = json_number_value(json_object_get(run, "duration_s"));
	if (failed || dur <= 0)
		return;
	double wu = json_number_value(
	    json_object_get(json_object_get(json_object_get(run, "config"), "load"), "warmup"));
	double o = wall - dur - wu;
	w->overhead_sum += o;
	w->overhead_n++;
	if (o > w->overhead_max)
		w->overhead_max = o;
}

/* One line of runs.jsonl: the run, its cell and its headline. */
static void append_line(const struct sweep *w, const char *name, json_t *run, const char *last)
{
	json_t *meta = json_object_get(run, "sweep");
	json_t *line = json_pack(
	    "{s:s, s:O, s:O, s:O, s:O, s:s}", "run", name, "cell", json_object_get(meta, "cell"),
	    "repeat", json_object_get(meta, "repeat"), "values", json_object_get(meta, "values"),
	    "error", json_object_get(run, "error"), "headline", last);
	char path[700];
	snprintf(path, sizeof path, "%s/runs.jsonl", w->dir);
	FILE *f = fopen(path, "a");
	if (f) {
		json_dumpf(line, f, JSON_COMPACT);
		fputc('\n', f);
		fclose(f);
	}
	json_decref(line);
}

/* Run one cell x repeat; 0 done (ok or recorded failure), 1 skipped,
 * -1 interrupted, -2 the results directory cannot be written. */
static int run_one(struct sweep *w, uint64_t cell, const int *idx, int rep, char *last,
		   size_t lastlen)
{
	struct run_files f;
	run_files(w, cell, idx, rep, &f);
	/* --resume skips what succeeded; a failed run is run again (its
	 * file is replaced), never counted as done */
	if (w->sp.resume && sweep_run_done(f.final))
		return 1;
	/* the load's stderr goes to a file beside its JSON: opened here, so
	 * that a results directory refusing files is seen before the run */
	int efd = open(f.err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (efd < 0) {
		char why[900];
		snprintf(why, sizeof why, "%s: cannot write (%s)", f.err, strerror(errno));
		return unwritable(w, f.tmp, f.err, why);
	}
	sweep_live_run(w, idx);
	double t0 = clock_now_s();
	struct pidns ns;
	char why[400];
	json_t *run;
	pid_t pid = start_load(w, idx, f.tmp, efd, &ns, why, sizeof why);
	if (pid < 0) {
		run = failed_run(why);
	} else {
		double limit = run_timeout_s(w, idx);
		int status = 0, ended = wait_load(pid, t0, limit, &status);
		status = pidns_status(&ns, status); /* load's own, passed on by the init */
		pidns_close(&ns);
		if (ended < 0) {
			unlink(f.tmp);
			unlink(f.err);
			return -1;
		}
		kill(-pid, SIGKILL); /* nothing of this run outlives it */
		int rc = load_result(w, &f, ended == 1, status, limit, &run);
		if (rc < 0)
			return rc;
		if (ns.warning[0]) /* no PID namespace: a run could outlive the sweep */
			json_array_append_new(json_object_get(run, "warnings"),
					      json_string(ns.warning));
	}
	double wall = clock_now_s() - t0;
	json_object_set_new(run, "sweep", run_meta(w, cell, idx, rep, wall));
	char err[600];
	if (json_write_atomic(run, f.final, err, sizeof err) < 0) {
		json_decref(run);
		return unwritable(w, f.tmp, f.err, err);
	}
	unlink(f.tmp);
	unlink(f.err);
	tally(w, run, wall);
	headline(run, last, lastlen);
	append_line(w, f.name, run, last);
	sweep_live_run_end(w, run);
	json_decref(run);
	return 0;
}

/* --- main ------------------------------------------------------------------ */

static void clean_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char p[1100];
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof p, "%s/%s", path, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
}

/* results/<date>-<time>-<axis>; -1 (and why, on stderr) when results/
 * cannot be made here: an unwritable working directory says so, not
 * "No such file or directory" a step later. */
static int default_out(struct sweep *w)
{
	const char *axis = "sweep";
	for (int i = 0; i < w->sp.naxes; i++)
		if (w->sp.axes[i].n > 1) {
			axis = w->sp.knob[i]->name;
			break;
		}
	char err[300];
	if (sweep_results_dir(axis, w->dir, sizeof w->dir, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench sweep: %s\n", err);
		return -1;
	}
	return 0;
}

/* Parse and check the sweep before anything runs: -1 to go on, else the
 * exit status (0 for --help). */
static int setup(struct sweep *w, int argc, char **argv)
{
	char err[1024];
	if (spec_parse(&w->sp, argc, argv, err, sizeof err) < 0 ||
	    spec_normalise(&w->sp, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench sweep: %s\n", err);
		return 2;
	}
	if (w->sp.help) {
		sweep_usage(stdout);
		return 0;
	}
	ssize_t n = readlink("/proc/self/exe", w->self, sizeof w->self - 1);
	if (n <= 0) {
		fprintf(stderr, "sockbench sweep: /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	w->self[n] = '\0';
	w->ncells = axis_cells(w->sp.axes, w->sp.naxes);
	if (!w->ncells || w->ncells * (uint64_t)w->sp.repeat > 1000000) {
		fprintf(
		    stderr,
		    "sockbench sweep: %llu cells x %d repeats is too many (1,000,000 at most)\n",
		    (unsigned long long)w->ncells, w->sp.repeat);
		return 2;
	}
	w->nruns = (int)w->ncells * w->sp.repeat;
	if (sweep_validate_cells(w, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench sweep: %s\n", err);
		return 2;
	}
	return -1;
}

/* --dry-run: every cell's load command line and an estimated duration. */
static int dry_run(struct sweep *w)
{
	int idx[SWEEP_MAX_AXES];
	double total = 0;
	int counted = 0; /* runs bounded by --requests, not by time */
	for (uint64_t c = 0; c < w->ncells; c++) {
		axis_cell(w->sp.axes, w->sp.naxes, c, idx);
		char *buf, **v = sweep_cell_argv(w, idx, NULL, &buf), name[160];
		sweep_run_name(w, c, idx, 1, name, sizeof name);
		printf("%s x%d:", name, w->sp.repeat);
		for (int i = 1; v[i]; i++)
			printf(strchr(v[i], ' ') ? " \"%s\"" : " %s", v[i]);
		putchar('\n');
		/* a --requests run lasts as long as the server takes: no
		 * estimate beats a guess, so none is made */
		if (sweep_cell_value(w, idx, "requests"))
			counted += w->sp.repeat;
		else
			total += (run_timeout_s(w, idx) - 30 + 0.2) * w->sp.repeat;
		free(buf);
		free(v);
	}
	printf("%d runs, about %.0f s (the runs' durations + 0.2 s each)", w->nruns, total);
	if (counted)
		printf(", plus the time %d --requests runs take", counted);
	putchar('\n');
	spec_free(&w->sp);
	return 0;
}

/* The results directory (sweep_dir.c), its sweep.json, and (--resume) no
 * half-written file of an interrupted sweep; 0, or the exit status after
 * saying why not. */
static int open_results(struct sweep *w, int argc, char **argv)
{
	char err[1024];
	if (w->sp.out[0])
		snprintf(w->dir, sizeof w->dir, "%s", w->sp.out);
	else if (default_out(w) < 0)
		return 1;
	if (sweep_probe_sysctls(w, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench sweep: %s\n", err);
		return 1;
	}
	int rc = sweep_dir_open(w, err, sizeof err);
	if (rc) {
		fprintf(stderr, "sockbench sweep: %s\n", err);
		return rc;
	}
	if (sweep_write_sweep_json(w, argc, argv, false, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench sweep: %s\n", err);
		return 1;
	}
	if (w->sp.resume) {
		char tmpdir[800];
		snprintf(tmpdir, sizeof tmpdir, "%s/runs/.tmp", w->dir);
		clean_dir(tmpdir);
	}
	return 0;
}

/* Every cell x repeat, until done, interrupted or the results directory
 * refuses a write. */
static void run_all(struct sweep *w)
{
	bool tty = isatty(STDERR_FILENO);
	int idx[SWEEP_MAX_AXES], i = 0;
	char last[128] = "";
	for (uint64_t c = 0; c < w->ncells && !interrupted && !w->unwritable[0]; c++) {
		axis_cell(w->sp.axes, w->sp.naxes, c, idx);
		char key[80];
		axis_cell_key(w->sp.axes, w->sp.naxes, idx, key, sizeof key);
		for (int r = 1; r <= w->sp.repeat && !interrupted; r++) {
			int rc = run_one(w, c, idx, r, last, sizeof last);
			if (rc < 0)
				break;
			i++;
			w->done++;
			if (rc == 1) {
				w->skipped++;
				snprintf(last, sizeof last, "skipped (exists)");
			}
			sweep_progress(w, i, key, last, tty);
		}
	}
	if (tty && !w->sp.quiet && !w->view)
		fputc('\n', stderr);
}

/* The summaries and the last word; the exit status. */
static int finish(struct sweep *w, int argc, char **argv)
{
	char err[1024];
	int rc = w->failed ? 1 : 0;
	if (sweep_write_summary(w, err, sizeof err) < 0 ||
	    sweep_write_sweep_json(w, argc, argv, !interrupted, err, sizeof err) < 0) {
		fprintf(stderr, "sockbench sweep: %s\n", err);
		rc = 1;
	}
	if (interrupted) {
		fprintf(
		    stderr,
		    "sockbench sweep: interrupted after %d of %d runs; finished files are kept.\n"
		    "  resume with the same options plus: --out %s --resume\n",
		    w->done, w->nruns, w->dir);
		rc = 128 + stopsig_caught();
	} else if (!w->sp.quiet) {
		fprintf(stderr, "sockbench sweep: %d runs (%d skipped), %d failed; results in %s\n",
			w->nruns, w->skipped, w->failed, w->dir);
		if (w->overhead_n)
			fprintf(stderr,
				"  per-run overhead (namespace, server start/stop, exec, "
				"writes): mean %.3f s, max %.3f s\n",
				w->overhead_sum / w->overhead_n, w->overhead_max);
	}
	spec_free(&w->sp);
	json_decref(w->live_cost);
	return rc;
}
static int sweep_once(struct sweep *w, int argc, char **argv)
{
	int rc = setup(w, argc, argv);
	if (rc >= 0)
		return rc;
	if (w->sp.dry_run)
		return dry_run(w);
	if ((rc = open_results(w, argc, argv)))
		return rc;
	stopsig_install();
	signal(SIGPIPE, SIG_IGN);
	w->t0 = clock_now_s();
	sweep_live_init(w);
	run_all(w);
	sweep_live_stop(w);
	if (w->unwritable[0]) {
		/* one message: summaries would fail the same way */
		fprintf(stderr,
			"sockbench sweep: %s\n"
			"  stopped after %d of %d runs (finished files are kept); once it is "
			"writable, resume with --out %s --resume\n",
			w->unwritable, w->done, w->nruns, w->dir);
		return 1;
	}
	return finish(w, argc, argv);
}

/* A lesson of cases runs several sweeps in one process: each starts from
 * zero (its counts, its lock) and lets its directory's lock go. */
int sweep_main(int argc, char **argv)
{
	static struct sweep w;
	memset(&w, 0, sizeof w);
	w.lockfd = -1;
	int rc = sweep_once(&w, argc, argv);
	if (w.lockfd >= 0)
		close(w.lockfd);
	return rc;
}

int sweep_results_dir(const char *suffix, char *dir, size_t len, char *err, size_t errlen)
{
	time_t t = time(NULL);
	char when[32];
	strftime(when, sizeof when, "%Y%m%d-%H%M%S", localtime(&t));
	if (mkdir("results", 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen,
			 "results: %s (run from a writable directory, or give --out DIR)",
			 strerror(errno));
		return -1;
	}
	snprintf(dir, len, "results/%s-%s", when, suffix);
	return 0;
}

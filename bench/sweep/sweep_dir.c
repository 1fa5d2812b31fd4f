/* sweep_dir.c - the results directory of a sweep: one sweep per directory.
 *
 * A sweep's files are only worth something together: runs of other
 * settings in the same directory would be pooled by `plot` and `summary`
 * without a word.  So a directory that holds anything is taken only with
 * --resume, --resume only for the same sweep (sweep.json's "identity",
 * sweep_ident.c), and never by two sweeps at once (flock on the directory,
 * released by the kernel when the sweep's process ends, however it ends).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep_run.h"

/* runs/ holding nothing but an empty .tmp: a sweep that made its folders
 * and stopped before its first run left nothing to resume. */
static bool runs_empty(const char *dir)
{
	char p[700];
	snprintf(p, sizeof p, "%s/runs", dir);
	DIR *d = opendir(p);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, ".tmp");
	if (d)
		closedir(d);
	snprintf(p, sizeof p, "%s/runs/.tmp", dir);
	d = opendir(p);
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n == 0;
}

/* What DIR holds, for the refusal: "sweep.json, runs and 2 more". */
static int dir_contents(const char *dir, char *out, size_t len)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	int n = 0;
	size_t k = 0;
	out[0] = '\0';
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    (!strcmp(e->d_name, "runs") && runs_empty(dir)))
			continue;
		if (n++ < 4 && k < len)
			k += (size_t)snprintf(out + k, len - k, "%s%s", n > 1 ? ", " : "",
					      e->d_name);
	}
	closedir(d);
	if (n > 4 && k < len)
		snprintf(out + k, len - k, " and %d more", n - 4);
	return n;
}

static int make_dirs(const char *dir, char *err, size_t errlen)
{
	char p[700];
	const char *parts[] = {"", "/runs", "/runs/.tmp"};
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", dir, parts[i]);
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "--out %s: %s", p, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* flock(LOCK_EX | LOCK_NB) on the directory itself: no lock file to
 * leave behind, and the kernel drops the lock when the sweep's process
 * ends, however it ends (flock locks live with the open file). */
static int lock_dir(struct sweep *w, char *err, size_t errlen)
{
	int fd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "--out %s: %s", w->dir, strerror(errno));
		return 1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "--out %s: another sweep is running there (%s)", w->dir,
			 errno == EWOULDBLOCK ? "it holds the directory's lock" : strerror(errno));
		close(fd);
		return 1;
	}
	w->lockfd = fd;
	return 0;
}

/* --resume: the directory's sweep.json must be this sweep's. */
static int same_sweep(struct sweep *w, char *err, size_t errlen)
{
	char p[700], why[600];
	snprintf(p, sizeof p, "%s/sweep.json", w->dir);
	json_error_t je;
	json_t *old = json_load_file(p, 0, &je);
	if (!old) {
		snprintf(err, errlen, "--resume: %s: %s", p, je.text);
		return 2;
	}
	json_t *now = spec_identity(&w->sp);
	int rc = spec_same(json_object_get(old, "identity"), now, why, sizeof why);
	json_decref(old);
	json_decref(now);
	if (rc < 0) {
		snprintf(err, errlen,
			 "--resume: %s is another sweep: %s (resume with its own options, or "
			 "name another --out)",
			 w->dir, why);
		return 2;
	}
	return 0;
}

int sweep_dir_open(struct sweep *w, char *err, size_t errlen)
{
	char what[400];
	w->lockfd = -1;
	int n = dir_contents(w->dir, what, sizeof what);
	if (n < 0) {
		snprintf(err, errlen, "--out %s: %s", w->dir, strerror(-n));
		return 1;
	}
	if (n > 0 && !w->sp.resume) {
		snprintf(err, errlen,
			 "--out %s is not empty (%s): add --resume to go on with the sweep it "
			 "holds, or name another directory",
			 w->dir, what);
		return 2;
	}
	if (n == 0 && w->sp.resume) {
		snprintf(err, errlen, "--resume: %s holds no sweep to resume", w->dir);
		return 2;
	}
	if (make_dirs(w->dir, err, errlen) < 0)
		return 1;
	int rc = lock_dir(w, err, errlen);
	if (!rc && w->sp.resume)
		rc = same_sweep(w, err, errlen);
	return rc;
}

bool sweep_run_done(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	bool done = j && json_is_null(json_object_get(j, "error"));
	json_decref(j);
	return done;
}

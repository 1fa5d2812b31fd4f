/* jsonio.c - result files are written whole or not at all, and nothing
 * that is not a regular file is ever replaced. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockbench/jsonio.h"

/* The descriptor a path names when it is one already open in this
 * process: "-" and /dev/stdout are 1, /dev/stderr 2, /dev/fd/N and
 * /proc/self/fd/N are N.  Written through it, never reopened: reopening
 * would truncate a caller's `>> log` and lose what it holds. */
int json_named_fd(const char *path)
{
	static const char *const pre[] = {"/dev/fd/", "/proc/self/fd/"};
	if (!strcmp(path, "-") || !strcmp(path, "/dev/stdout"))
		return STDOUT_FILENO;
	if (!strcmp(path, "/dev/stderr"))
		return STDERR_FILENO;
	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
		size_t l = strlen(pre[i]);
		char *end;
		if (!strncmp(path, pre[i], l) && path[l]) {
			long fd = strtol(path + l, &end, 10);
			if (!*end && fd >= 0 && fd < 1 << 20)
				return (int)fd;
		}
	}
	return -1;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* fsync a regular file only: on a device or a pipe it fails with EINVAL. */
static int sync_regular(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fsync(fd) < 0)
		return -errno;
	return 0;
}

/* A new file beside the target, written, synced, then renamed over it. */
static int replace_atomically(const char *target, const char *text, size_t n)
{
	size_t len = strlen(target) + 32;
	char *tmp = malloc(len);
	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len, "%s.tmp.%d", target, (int)getpid());
	int rc = 0, fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0)
		rc = -errno;
	if (!rc)
		rc = write_all(fd, text, n);
	if (!rc)
		rc = sync_regular(fd);
	if (fd >= 0 && close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, target) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* Written in place: a device, a FIFO, a socket (never replaced), or a
 * symlink whose target does not exist yet. */
static int write_in_place(const char *path, const char *text, size_t n, bool create)
{
	int fd =
	    open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0666);
	if (fd < 0)
		return -errno;
	int rc = write_all(fd, text, n);
	if (!rc)
		rc = sync_regular(fd);
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

static int write_text(const char *path, const char *text, size_t n)
{
	int fd = json_named_fd(path);
	if (fd >= 0) {
		int rc = write_all(fd, text, n);
		return rc ? rc : sync_regular(fd);
	}
	struct stat st, lst;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (!S_ISREG(st.st_mode))
			return write_in_place(path, text, n, false);
		/* a regular file, maybe behind a symlink: the link is followed
		 * and stays a link; its target is replaced whole */
		char *real = realpath(path, NULL);
		if (!real)
			return -errno;
		int rc = replace_atomically(real, text, n);
		free(real);
		return rc;
	}
	if (errno == ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
		return write_in_place(path, text, n, true); /* a dangling link: its target */
	return replace_atomically(path, text, n);
}

int json_write_atomic(json_t *j, const char *path, char *err, size_t errlen)
{
	char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(9));
	if (!text) {
		snprintf(err, errlen, "%s: cannot write (out of memory)", path);
		return -1;
	}
	size_t n = strlen(text);
	char *t = realloc(text, n + 2);
	if (t) {
		text = t;
		text[n++] = '\n';
		text[n] = '\0';
	}
	int rc = write_text(path, text, n);
	free(text);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(-rc));
		return -1;
	}
	return 0;
}

json_t *json_path(json_t *o, const char *path)
{
	char buf[160], *save = NULL;
	snprintf(buf, sizeof buf, "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = json_object_get(o, k);
	return o;
}

double json_path_num(json_t *o, const char *path)
{
	json_t *v = json_path(o, path);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

void json_digest(const json_t *j, char out[17])
{
	/* FNV-1a, 64 bits, over the compact text with sorted keys: the same
	 * JSON value gives the same digest whatever the order it was built in */
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	uint64_t h = 0xcbf29ce484222325ull;
	for (const char *p = s ? s : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	free(s);
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

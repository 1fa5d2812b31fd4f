/* jsonio.h - writing result JSON safely. */
#ifndef SOCKBENCH_JSONIO_H
#define SOCKBENCH_JSONIO_H

#include <jansson.h>
#include <stddef.h>

/* Write j (with a final newline) to path:
 *  - a regular file or a new path: through a temp file beside it, synced,
 *    then rename(2)d over it: a reader (or a crash) never sees half a file;
 *    a symlink to a regular file is followed and stays a link;
 *  - "-", /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: written to
 *    that descriptor, never reopened (a caller's `>> log` keeps its lines);
 *  - a device, FIFO or socket: written in place, never replaced, no fsync.
 * Every write is checked, close() too.  0, or -1 with err. */
int json_write_atomic(json_t *j, const char *path, char *err, size_t errlen);

/* The descriptor a path names when it is one already open: "-" and
 * /dev/stdout 1, /dev/stderr 2, /dev/fd/N and /proc/self/fd/N N; else -1. */
int json_named_fd(const char *path);

/* The value at "load.requests.completed" (keys joined by dots), or NULL.
 * Keys that hold dots themselves (sysctl names) need json_object_get. */
json_t *json_path(json_t *o, const char *path);
/* Its number, or NAN when absent or not a number. */
double json_path_num(json_t *o, const char *path);

/* A short digest of a JSON value (16 hex digits, FNV-1a over its compact
 * text with sorted keys): equal values, equal digests.  Not for security. */
void json_digest(const json_t *j, char out[17]);

#endif

/* jsonio.h - writing result JSON safely. */
#ifndef SOCKBENCH_JSONIO_H
#define SOCKBENCH_JSONIO_H

#include <jansson.h>
#include <stddef.h>

/* Write j to path through a temp file in the same directory and rename(2):
 * a reader (or a crash) never sees half a file.  0, or -1 with err. */
int json_write_atomic(json_t *j, const char *path, char *err, size_t errlen);

/* The value at "load.requests.completed" (keys joined by dots), or NULL.
 * Keys that hold dots themselves (sysctl names) need json_object_get. */
json_t *json_path(json_t *o, const char *path);
/* Its number, or NAN when absent or not a number. */
double json_path_num(json_t *o, const char *path);

/* A short digest of a JSON value (16 hex digits, FNV-1a over its compact
 * text with sorted keys): equal values, equal digests.  Not for security. */
void json_digest(const json_t *j, char out[17]);

#endif

/* jsonio.h - writing result JSON safely. */
#ifndef SOCKBENCH_JSONIO_H
#define SOCKBENCH_JSONIO_H

#include <jansson.h>
#include <stddef.h>

/* Write j to path through a temp file in the same directory and rename(2):
 * a reader (or a crash) never sees half a file.  0, or -1 with err. */
int json_write_atomic(json_t *j, const char *path, char *err, size_t errlen);

#endif

/* jsonio.c - result files are written whole or not at all. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockbench/jsonio.h"

int json_write_atomic(json_t *j, const char *path, char *err, size_t errlen)
{
	char tmp[1100];
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	if (json_dump_file(j, tmp, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(9)) < 0) {
		snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

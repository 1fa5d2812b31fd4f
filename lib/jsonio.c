/* jsonio.c - result files are written whole or not at all. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

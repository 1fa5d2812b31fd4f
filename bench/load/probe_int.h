/* probe_int.h - the parts of `sockbench probe` (probe.c): the sysctls it
 * holds for load --remote-sysctl (probe_sysctl.c). */
#ifndef SOCKBENCH_PROBE_INT_H
#define SOCKBENCH_PROBE_INT_H

#include <jansson.h>
#include <stddef.h>

#define PSYS_MAX 8

struct psys {
	char name[PSYS_MAX][96];
	char set[PSYS_MAX][64]; /* asked, then what the kernel holds */
	char old[PSYS_MAX][64];
	int n;
};

/* One --sysctl NAME=VALUE (net.* names, integer values); -1 with err. */
int psys_add(struct psys *s, const char *arg, char *err, size_t errlen);
/* Write them all, keeping the old values: the "sysctl" line (with
 * "error" when one failed; those already set are then put back). */
json_t *psys_set(struct psys *s);
/* Put them back: the "restored" line; why is what ended the hold. */
json_t *psys_restore(struct psys *s, const char *why);

#endif

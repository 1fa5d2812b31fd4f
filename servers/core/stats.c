/* stats.c - the shared counter block. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sockbench/stats.h"

struct stats *stats_new(void)
{
	/* MAP_SHARED before fork(): parent and children see one block. */
	void *p = mmap(NULL, sizeof(struct stats), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

struct stats *stats_map(int fd)
{
	if (ftruncate(fd, (off_t)sizeof(struct stats)) < 0)
		return NULL;
	void *p = mmap(NULL, sizeof(struct stats), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, sizeof(struct stats));
	return p;
}

void stats_free(struct stats *st)
{
	if (st)
		munmap(st, sizeof *st);
}

void stats_error(struct stats *st, int errnum)
{
	if (errnum < 0)
		errnum = -errnum;
	if (errnum <= 0 || errnum >= STATS_MAX_ERRNO)
		errnum = STATS_MAX_ERRNO - 1;
	STATS_ADD(st, err[errnum], 1);
}

static void note_peak(struct stats *st, int64_t cur)
{
	int64_t peak = __atomic_load_n(&st->peak_connections, __ATOMIC_RELAXED);
	while (cur > peak && !__atomic_compare_exchange_n(&st->peak_connections, &peak, cur, 1,
							  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

bool stats_conn_try_open(struct stats *st, int64_t max)
{
	int64_t cur = STATS_ADD(st, cur_connections, 1) + 1;
	if (cur > max) {
		STATS_ADD(st, cur_connections, -1);
		return false;
	}
	note_peak(st, cur);
	return true;
}

void stats_conn_close(struct stats *st)
{
	STATS_ADD(st, cur_connections, -1);
	STATS_ADD(st, closed, 1);
}

long proc_status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t n = strlen(field);
	long v = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

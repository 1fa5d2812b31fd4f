/* datadir.c - the data directory and the Python models' directory,
 * looked up once here for plot, lesson and the Python models (datadir.h
 * has the order).  Paths are data: nothing here is read by a shell. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockbench/datadir.h"

/* Set by CMakeLists.txt: the source tree's folders, and the data
 * directory of an install relative to its bin/ (../share/sockbench). */
#ifndef SB_SOURCE_DATADIR
#define SB_SOURCE_DATADIR "scripts"
#endif
#ifndef SB_SOURCE_PYDIR
#define SB_SOURCE_PYDIR "servers/python"
#endif
#ifndef SB_REL_DATADIR
#define SB_REL_DATADIR "../share/sockbench"
#endif

static const char *env_dir(const char *name)
{
	const char *d = getenv(name);
	return d && *d ? d : NULL;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* DIR/rel made absolute and free of ".." (realpath) in out, when it is a
 * directory: 0; else -1. */
static int dir_beside(const char *dir, const char *rel, char *out)
{
	char p[PATH_MAX + 64];
	if (snprintf(p, sizeof p, "%s/%s", dir, rel) >= (int)sizeof p)
		return -1;
	return realpath(p, out) && is_dir(out) ? 0 : -1;
}

/* The installed data directory beside the running binary: 0, or -1. */
static int installed(char *out)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return dir_beside(exe[0] ? exe : "/", SB_REL_DATADIR, out);
}

const char *sb_datadir(void)
{
	static _Thread_local char dir[PATH_MAX];
	const char *env = env_dir("SOCKBENCH_DATADIR");
	if (!env)
		env = env_dir("SOCKBENCH_DATA");
	if (env)
		return env;
	return installed(dir) == 0 ? dir : SB_SOURCE_DATADIR;
}

const char *sb_pydir(void)
{
	static _Thread_local char dir[PATH_MAX];
	const char *env = env_dir("SOCKBENCH_PYDIR");
	if (env)
		return env;
	return dir_beside(sb_datadir(), "python", dir) == 0 ? dir : SB_SOURCE_PYDIR;
}

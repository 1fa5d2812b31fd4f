/* version.c - the version, the commit and the data directories as one
 * record.  The commit comes from a header the build writes
 * (cmake/commit.cmake: rewritten only when `git describe` changes, so
 * that only this file is compiled again). */
#include <sockbench_commit.h>

#include "sockbench/datadir.h"
#include "sockbench/version.h"

#ifndef SOCKBENCH_VERSION
#define SOCKBENCH_VERSION "0.0.0"
#endif

const char *sb_version(void)
{
	return SOCKBENCH_VERSION;
}

const char *sb_commit(void)
{
	return SOCKBENCH_COMMIT;
}

json_t *sb_tool_json(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", "sockbench", "version",
			 SOCKBENCH_VERSION, "commit", SOCKBENCH_COMMIT, "datadir", sb_datadir(),
			 "pydir", sb_pydir());
}

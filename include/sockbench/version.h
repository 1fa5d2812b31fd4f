/* version.h - what this binary is: its version, the commit it was built
 * from, and where it reads its data (recorded in every run). */
#ifndef SOCKBENCH_VERSION_H
#define SOCKBENCH_VERSION_H

#include <jansson.h>

/* "0.1.0": the project's version (CMakeLists.txt). */
const char *sb_version(void);
/* `git describe --always --dirty` of the source tree when it was built
 * ("v0.1.0-3-gabc1234", "abc1234-dirty"), or "unknown" outside a git
 * checkout or without git. */
const char *sb_commit(void);
/* {"name": "sockbench", "version", "commit", "datadir", "pydir"}: the run
 * JSON's `tool`, and sysinfo's. */
json_t *sb_tool_json(void);

#endif

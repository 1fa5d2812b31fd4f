/* datadir.h - where an installed or a built sockbench finds its data.
 *
 * The data are the gnuplot scripts (plots/), the lessons (lessons/) and
 * the Python models (python/): files read at run time, never compiled in,
 * so that one binary works from the source tree and from any install
 * prefix.  docs/design.md, "Where the data is", says why in this order.
 */
#ifndef SOCKBENCH_DATADIR_H
#define SOCKBENCH_DATADIR_H

/* The data directory, the first that holds:
 *   1. $SOCKBENCH_DATADIR, else $SOCKBENCH_DATA (its older name), as given;
 *   2. ../share/sockbench from the directory of the running binary
 *      (/proc/self/exe), when that is a directory: an install;
 *   3. scripts/ of the source tree the binary was built from.
 * Never NULL; the text stays until the next call in the same thread. */
const char *sb_datadir(void);
/* The Python models' directory: $SOCKBENCH_PYDIR; else python/ of
 * sb_datadir() when that is a directory; else servers/python of the
 * source tree.  Never NULL; the same lifetime. */
const char *sb_pydir(void);

#endif

/* errname.h - "ECONNRESET" for ECONNRESET: results name errors, not numbers. */
#ifndef SOCKBENCH_ERRNAME_H
#define SOCKBENCH_ERRNAME_H

/* Symbolic name of an errno value, or NULL when unknown. */
const char *errname(int errnum);

#endif

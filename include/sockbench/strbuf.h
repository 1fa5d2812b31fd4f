/* strbuf.h - appending to a fixed buffer without ever writing past it. */
#ifndef SOCKBENCH_STRBUF_H
#define SOCKBENCH_STRBUF_H

#include <stddef.h>

/* printf fmt at buf + k (k: what buf holds); returns the new length, at
 * most size - 1.  `k += snprintf(buf + k, size - k, ...)` is the bug this
 * replaces: snprintf returns what it *would* have written, so once a
 * phrase is cut k passes size, size - k wraps to a huge size_t and the
 * next call writes past the buffer (found by fuzzing bench/plot.c). */
size_t sb_appendf(char *buf, size_t size, size_t k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

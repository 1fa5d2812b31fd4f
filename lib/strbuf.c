/* strbuf.c - bounded appends (see strbuf.h). */
#include <stdarg.h>
#include <stdio.h>

#include "sockbench/strbuf.h"

size_t sb_appendf(char *buf, size_t size, size_t k, const char *fmt, ...)
{
	if (!size)
		return 0;
	if (k >= size)
		return size - 1;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + k, size - k, fmt, ap);
	va_end(ap);
	if (n < 0)
		return k;
	return k + (size_t)n < size ? k + (size_t)n : size - 1;
}

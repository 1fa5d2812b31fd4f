/* opt.h - parsing of option values shared by every subcommand.
 *
 * Every scanner returns 0 on success or -1 and fills `err` with a sentence
 * that names what is allowed; the caller prefixes the option name and
 * prints it (library code never prints).
 */
#ifndef SOCKBENCH_OPT_H
#define SOCKBENCH_OPT_H

#include <stddef.h>
#include <stdint.h>

/* "64", "64k", "1M", "2G" (powers of 1024) into bytes, within [min, max]. */
int opt_size(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen);
/* Plain decimal integer within [min, max]. */
int opt_int(const char *s, int64_t min, int64_t max, int64_t *out, char *err, size_t errlen);
/* "500ms", "10s", "2m", "1h", "250us"; a bare number is `bare_unit_ms` ms each
 * (1000 for durations, 1 for timeouts). Result in microseconds. */
int opt_time_us(const char *s, uint64_t bare_unit_ms, uint64_t *out_us, char *err, size_t errlen);
/* Index of `s` in a NULL-terminated list of names, or -1 with `err` listing them. */
int opt_choice(const char *s, const char *const *names, char *err, size_t errlen);

#endif

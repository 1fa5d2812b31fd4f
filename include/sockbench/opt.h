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
/* "1.5", "1.5s", "500ms", "10s", "2m", "1h", "250us"; a bare number is
 * `bare_unit_ms` ms each (1000 for durations, 1 for timeouts).  Decimals are
 * exact; a value finer than 1 us is refused.  Result in microseconds. */
int opt_time_us(const char *s, uint64_t bare_unit_ms, uint64_t *out_us, char *err, size_t errlen);
/* The same with the bare unit in microseconds (--work-us: 1). */
int opt_time_bare_us(const char *s, uint64_t bare_us, uint64_t *out_us, char *err, size_t errlen);
/* Index of `s` in a NULL-terminated list of names, or -1 with `err` listing them. */
int opt_choice(const char *s, const char *const *names, char *err, size_t errlen);

/* The same, for a command-line option: on failure err reads
 * "--NAME: <what is allowed>" (the caller prints it and exits 2). */
int opt_errf(char *err, size_t errlen, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int opt_int_arg(const char *name, const char *arg, int64_t min, int64_t max, int64_t *out,
		char *err, size_t errlen);
int opt_size_arg(const char *name, const char *arg, uint64_t min, uint64_t max, uint64_t *out,
		 char *err, size_t errlen);
int opt_time_arg(const char *name, const char *arg, uint64_t bare_unit_ms, uint64_t min_us,
		 uint64_t *out_us, char *err, size_t errlen);
int opt_choice_arg(const char *name, const char *arg, const char *const *names, char *err,
		   size_t errlen);
/* getopt_long's ':' and '?' answers as one line: the option that needs a
 * value, or the unknown one.  `cmd` names the subcommand for --help. */
void opt_getopt_error(int opt, char **argv, const char *cmd, char *err, size_t errlen);

#endif

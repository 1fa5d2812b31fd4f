/* opt.c - option value scanners (wrk's scan_metric/scan_time, in one place). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockbench/opt.h"
#include "sockbench/strbuf.h"

/* Leading unsigned decimal; -1 when there is none or it overflows. */
static int scan_u64(const char *s, uint64_t *v, const char **end)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *e;
	unsigned long long x = strtoull(s, &e, 10);
	if (errno == ERANGE)
		return -1;
	*v = x;
	*end = e;
	return 0;
}

int opt_int(const char *s, int64_t min, int64_t max, int64_t *out, char *err, size_t errlen)
{
	char *e;
	errno = 0;
	long long v = strtoll(s, &e, 10);
	if (*s == '\0' || *e != '\0' || errno == ERANGE || isspace((unsigned char)*s)) {
		snprintf(err, errlen,
			 "expected an integer from %" PRId64 " to %" PRId64 ", got '%s'", min, max,
			 s);
		return -1;
	}
	if (v < min || v > max) {
		snprintf(err, errlen, "%lld is out of range (%" PRId64 " to %" PRId64 ")", v, min,
			 max);
		return -1;
	}
	*out = v;
	return 0;
}

int opt_size(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	uint64_t v, mult = 1;
	const char *e;
	if (scan_u64(s, &v, &e) < 0)
		goto bad;
	switch (*e) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = 1ULL << 10;
		e++;
		break;
	case 'm':
	case 'M':
		mult = 1ULL << 20;
		e++;
		break;
	case 'g':
	case 'G':
		mult = 1ULL << 30;
		e++;
		break;
	default:
		goto bad;
	}
	if (*e == 'i' || *e == 'B' || *e == 'b') /* tolerate 64KiB, 64kB */
		e += (*e == 'i' && e[1] == 'B') ? 2 : 1;
	if (*e != '\0' || (v && mult > UINT64_MAX / v))
		goto bad;
	v *= mult;
	if (v < min || v > max) {
		snprintf(err, errlen, "%s is out of range (%" PRIu64 " to %" PRIu64 " bytes)", s,
			 min, max);
		return -1;
	}
	*out = v;
	return 0;
bad:
	snprintf(err, errlen, "expected a size like 64, 64k or 1M, got '%s'", s);
	return -1;
}

/* Units of a time, in microseconds; a bare number takes the caller's unit. */
static uint64_t time_unit_us(const char *e, uint64_t bare_us)
{
	static const struct {
		const char *name;
		uint64_t us;
	} units[] = {
	    {"us", 1}, {"ms", 1000}, {"s", 1000000}, {"m", 60000000}, {"h", 3600000000ULL}};
	if (*e == '\0')
		return bare_us;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (!strcmp(e, units[i].name))
			return units[i].us;
	return 0;
}

int opt_time_us(const char *s, uint64_t bare_unit_ms, uint64_t *out_us, char *err, size_t errlen)
{
	return opt_time_bare_us(s, bare_unit_ms * 1000, out_us, err, errlen);
}

int opt_time_bare_us(const char *s, uint64_t bare_us, uint64_t *out_us, char *err, size_t errlen)
{
	/* DIGITS[.DIGITS][UNIT], computed exactly in 128 bits: "1.5" is
	 * 1,500,000 us when bare numbers are seconds, "0.25ms" 250 us.  A
	 * value finer than a microsecond ("1.5us") is refused, not rounded. */
	uint64_t whole, frac = 0, scale = 1;
	const char *e;
	if (scan_u64(s, &whole, &e) < 0)
		goto bad;
	if (*e == '.') {
		const char *f = ++e;
		for (; isdigit((unsigned char)*e); e++) {
			if (e - f >= 18)
				goto bad;
			frac = frac * 10 + (uint64_t)(*e - '0');
			scale *= 10;
		}
		if (e == f)
			goto bad;
	}
	uint64_t unit = time_unit_us(e, bare_us);
	if (!unit)
		goto bad;
	unsigned __int128 us = (unsigned __int128)whole * unit;
	unsigned __int128 fus = (unsigned __int128)frac * unit;
	if (fus % scale) {
		snprintf(err, errlen, "'%s' is finer than a microsecond", s);
		return -1;
	}
	us += fus / scale;
	if (us > UINT64_MAX)
		goto bad;
	*out_us = (uint64_t)us;
	return 0;
bad:
	snprintf(err, errlen, "expected a time like 1.5, 250ms, 10s or 2m, got '%s'", s);
	return -1;
}

int opt_choice(const char *s, const char *const *names, char *err, size_t errlen)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	size_t n = (size_t)snprintf(err, errlen, "'%s' is not one of", s);
	for (int i = 0; names[i] && n < errlen; i++)
		n = sb_appendf(err, errlen, n, "%s %s", i ? "," : "", names[i]);
	return -1;
}

int opt_errf(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(err, errlen, "--%s: ", name);
	if (k >= 0 && (size_t)k < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int opt_int_arg(const char *name, const char *arg, int64_t min, int64_t max, int64_t *out,
		char *err, size_t errlen)
{
	char e[200];
	return opt_int(arg, min, max, out, e, sizeof e) < 0 ? opt_errf(err, errlen, name, "%s", e)
							    : 0;
}

int opt_size_arg(const char *name, const char *arg, uint64_t min, uint64_t max, uint64_t *out,
		 char *err, size_t errlen)
{
	char e[200];
	return opt_size(arg, min, max, out, e, sizeof e) < 0 ? opt_errf(err, errlen, name, "%s", e)
							     : 0;
}

int opt_time_arg(const char *name, const char *arg, uint64_t bare_unit_ms, uint64_t min_us,
		 uint64_t *out_us, char *err, size_t errlen)
{
	char e[200];
	if (opt_time_us(arg, bare_unit_ms, out_us, e, sizeof e) < 0)
		return opt_errf(err, errlen, name, "%s", e);
	if (*out_us < min_us)
		return opt_errf(err, errlen, name, "must be at least %lluus, got '%s'",
				(unsigned long long)min_us, arg);
	return 0;
}

int opt_choice_arg(const char *name, const char *arg, const char *const *names, char *err,
		   size_t errlen)
{
	char e[200];
	int i = opt_choice(arg, names, e, sizeof e);
	return i < 0 ? opt_errf(err, errlen, name, "%s", e) : i;
}

void opt_getopt_error(int opt, char **argv, const char *cmd, char *err, size_t errlen)
{
	/* optind points past the offending word; optopt names a short option
	 * (getopt stops inside a cluster like -xy, where argv is no help). */
	const char *word = argv[optind - 1];
	if (opt == ':')
		snprintf(err, errlen, "%s: needs a value", word);
	else if (optopt && optopt < 256)
		snprintf(err, errlen, "-%c: unknown option (see sockbench %s --help)", optopt, cmd);
	else
		snprintf(err, errlen, "%s: unknown option (see sockbench %s --help)", word, cmd);
}

/* fuzz_opt.c - the option value scanners of src/opt.c.
 *
 * Input: 1 byte choosing the bounds and the error buffer's length, then the
 * option text (cut at its first NUL, as argv would). Every scanner gets the
 * text; each success is checked against a small independent reading of the
 * same grammar (digits, one suffix), so a scanner that accepts "1kk" or
 * wraps 2^64 is caught, not only one that crashes. Error buffers are exactly
 * as long as the length passed, from 0 bytes up.
 */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sockbench/opt.h"

/* Leading digits as a number; false on none or past UINT64_MAX. */
static bool digits(const char *s, uint64_t *v, const char **end)
{
	uint64_t x = 0;
	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	*end = s;
	return true;
}

/* opt.h: "64", "64k", "1M", "2G" (powers of 1024); 64KiB and 64kB too. */
static bool ref_size(const char *s, uint64_t *out)
{
	uint64_t v, mult = 1;
	const char *e;
	if (!digits(s, &v, &e))
		return false;
	switch (tolower((unsigned char)*e)) {
	case 'k':
		mult = 1ull << 10;
		break;
	case 'm':
		mult = 1ull << 20;
		break;
	case 'g':
		mult = 1ull << 30;
		break;
	default:
		mult = 0;
	}
	if (mult) { /* after a suffix only: 64KiB, 64kB (and 64ki) */
		e++;
		if (!strcmp(e, "iB") || !strcmp(e, "B") || !strcmp(e, "b") || !strcmp(e, "i"))
			e += strlen(e);
	} else {
		mult = 1;
	}
	if (*e || (v && mult > UINT64_MAX / v))
		return false;
	*out = v * mult;
	return true;
}

/* Reference for opt_time_us: the digits with the point taken out, times
 * the unit, divided by 10^(decimals); whole microseconds only. */
static bool ref_time(const char *s, uint64_t bare_ms, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t us;
	} units[] = {
	    {"us", 1}, {"ms", 1000}, {"s", 1000000}, {"m", 60000000}, {"h", 3600000000ull}};
	unsigned __int128 n = 0, div = 1;
	uint64_t mult = 0;
	size_t i = 0, ndig = 0, ndec = 0;
	bool point = false;
	for (; s[i]; i++) {
		if (s[i] == '.' && !point && ndig > 0) {
			point = true;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			break;
		if (point && ++ndec > 18)
			return false;
		ndig += !point;
		/* past 2^128 the whole part alone is past UINT64_MAX us */
		if (n > (~(unsigned __int128)0 - 9) / 10)
			return false;
		n = n * 10 + (unsigned)(s[i] - '0');
		if (point)
			div *= 10;
	}
	if (!ndig || (point && !ndec))
		return false;
	const char *e = s + i;
	if (!*e)
		mult = bare_ms * 1000;
	for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
		if (!strcmp(e, units[k].unit))
			mult = units[k].us;
	if (!mult || n > ~(unsigned __int128)0 / mult)
		return false; /* then us / div is far past UINT64_MAX */
	unsigned __int128 us = n * mult;
	if (us % div || us / div > UINT64_MAX)
		return false;
	*out = (uint64_t)(us / div);
	return true;
}

static const uint64_t size_max[] = {UINT64_MAX, 1u << 20, 65536, 0};
static const int64_t int_min[] = {INT64_MIN, 0, 1, -5};
static const int64_t int_max[] = {INT64_MAX, 1000, 65535, 5};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sel = (unsigned)fuzz_take(&data, &size, 1);
	size_t errlen = (sel * 7u) % 260u; /* 0 .. 259, the callers use 128-512 */
	char *copy = calloc(size + 1, 1), *err = fuzz_errbuf(errlen);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	const char *s = copy;

	uint64_t u = 0, ref = 0, smin = sel & 1 ? 1 : 0, smax = size_max[(sel >> 1) & 3];
	int rc = opt_size(s, smin, smax, &u, err, errlen);
	bool ok = ref_size(s, &ref);
	FUZZ_CHECK(rc == (ok && ref >= smin && ref <= smax ? 0 : -1),
		   "opt_size('%s', %" PRIu64 ", %" PRIu64 ") = %d, expected %s (%" PRIu64 ")", s,
		   smin, smax, rc, ok ? "a value" : "an error", ref);
	FUZZ_CHECK(rc < 0 || u == ref, "opt_size('%s') = %" PRIu64 ", expected %" PRIu64, s, u,
		   ref);
	if (rc < 0)
		fuzz_check_err(err, errlen);

	int64_t i = 0, imin = int_min[(sel >> 3) & 3], imax = int_max[(sel >> 3) & 3];
	rc = opt_int(s, imin, imax, &i, err, errlen);
	if (rc == 0) {
		/* the value printed back is the text, up to a sign and leading zeros */
		char back[32];
		const char *t = s + (*s == '+' || *s == '-');
		while (t[0] == '0' && t[1])
			t++;
		uint64_t mag = i < 0 ? (uint64_t) - (i + 1) + 1 : (uint64_t)i;
		snprintf(back, sizeof back, "%" PRIu64, mag);
		FUZZ_CHECK(i >= imin && i <= imax,
			   "opt_int('%s') = %" PRId64 " outside [%" PRId64 ", %" PRId64 "]", s, i,
			   imin, imax);
		FUZZ_CHECK(!strcmp(back, t) && (i >= 0 || *s == '-') && (i <= 0 || *s != '-'),
			   "opt_int('%s') = %" PRId64, s, i);
	} else {
		fuzz_check_err(err, errlen);
	}

	uint64_t bare = sel & 0x40 ? 1 : 1000;
	rc = opt_time_us(s, bare, &u, err, errlen);
	ok = ref_time(s, bare, &ref);
	FUZZ_CHECK(rc == (ok ? 0 : -1), "opt_time_us('%s') = %d, expected %s", s, rc,
		   ok ? "a value" : "an error");
	FUZZ_CHECK(rc < 0 || u == ref, "opt_time_us('%s') = %" PRIu64 ", expected %" PRIu64, s, u,
		   ref);
	if (rc < 0)
		fuzz_check_err(err, errlen);

	static const char *const names[] = {"epoll", "poll", "select", "send", "sendall", NULL};
	int c = opt_choice(s, names, err, errlen);
	int want = -1;
	for (int k = 0; names[k]; k++)
		if (!strcmp(s, names[k]))
			want = k;
	FUZZ_CHECK(c == want, "opt_choice('%s') = %d, expected %d", s, c, want);
	if (c < 0)
		fuzz_check_err(err, errlen);

	/* the "--NAME: ..." wrappers, with the text as the option's name too */
	rc = opt_size_arg(s, s, 0, UINT64_MAX, &u, err, errlen);
	if (rc < 0)
		fuzz_check_err(err, errlen);
	rc = opt_int_arg(s, s, INT64_MIN, INT64_MAX, &i, err, errlen);
	if (rc < 0)
		fuzz_check_err(err, errlen);
	rc = opt_time_arg(s, s, bare, sel & 0x80 ? 1000 : 0, &u, err, errlen);
	if (rc < 0)
		fuzz_check_err(err, errlen);
	if (opt_choice_arg(s, s, names, err, errlen) < 0)
		fuzz_check_err(err, errlen);

	free(err);
	free(copy);
	return 0;
}

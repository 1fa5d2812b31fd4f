/* fuzz.h - what the libFuzzer harnesses (tests/fuzz/fuzz_*.c) share.
 *
 * Each harness is one LLVMFuzzerTestOneInput over pure parsing code. It is
 * built twice: with clang and -fsanitize=fuzzer (build-fuzz, scripts/fuzz)
 * and with the normal build's compiler, linked with replay.c, which feeds it
 * the committed corpus and every crash kept under tests/fuzz/regress/ (the
 * ctest unit.fuzz.*). So everything here must compile warning-free with gcc
 * as well, and must not depend on libFuzzer.
 *
 * A harness checks invariants beyond "no sanitizer report": FUZZ_CHECK
 * prints what was expected and what was seen, then aborts, which libFuzzer
 * reports as a crash with the input saved, like any other.
 */
#ifndef SOCKBENCH_FUZZ_H
#define SOCKBENCH_FUZZ_H

#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                         \
	} while (0)

static inline void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* scripts/fuzz closes the harness's stderr (-close_fd_mask=3: the messages
 * of the code under test are noise there); a copy taken before main() keeps
 * FUZZ_CHECK's message in the log, next to libFuzzer's report. */
static int fuzz_err_fd = 2;

__attribute__((constructor)) static void fuzz_keep_stderr(void)
{
	int fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (fd >= 0)
		fuzz_err_fd = fd;
}

static inline void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	int k = snprintf(msg, sizeof msg, "%s:%d: invariant failed: %s: ", file, line, cond);
	va_start(ap, fmt);
	if (k >= 0 && (size_t)k < sizeof msg)
		vsnprintf(msg + k, sizeof msg - (size_t)k, fmt, ap);
	va_end(ap);
	dprintf(fuzz_err_fd, "%s\n", msg);
	abort();
}

/* splitmix64: split points and choices derived from the input, so that
 * the same input always takes the same path (libFuzzer needs that to
 * minimise and replay a crash). */
static inline uint64_t fuzz_rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Takes n (<= 8) bytes off the front of the input as a little-endian
 * number; missing bytes read as 0. */
static inline uint64_t fuzz_take(const uint8_t **data, size_t *size, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && *size; i++, (*data)++, (*size)--)
		v |= (uint64_t) * *data << (8 * i);
	return v;
}

/* The input cut at NUL bytes into at most `max` C strings (the last one
 * keeps any further NULs' text joined as it comes). The strings live in one
 * malloc'd copy returned in *copy; free it when done. */
static inline int fuzz_split(const uint8_t *data, size_t size, char **piece, int max, char **copy)
{
	char *c = malloc(size + 1);
	int n = 0;
	if (!c)
		abort();
	memcpy(c, data, size);
	c[size] = '\0';
	*copy = c;
	piece[n++] = c;
	for (size_t i = 0; i < size && n < max; i++)
		if (c[i] == '\0')
			piece[n++] = c + i + 1;
	return n;
}

static inline int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static char fuzz_dir_path[256];

static inline void fuzz_rm_dir(void)
{
	if (fuzz_dir_path[0])
		nftw(fuzz_dir_path, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A scratch directory for harnesses that go through files (the readers
 * under test take paths), made once per process and removed at exit.
 * /dev/shm when there is one: a file per execution costs no disk I/O. */
static inline const char *fuzz_dir(void)
{
	if (fuzz_dir_path[0])
		return fuzz_dir_path;
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/sockbench-fuzz-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(fuzz_dir_path)) {
		perror(fuzz_dir_path);
		abort();
	}
	atexit(fuzz_rm_dir);
	return fuzz_dir_path;
}

static inline void fuzz_write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f || (len && fwrite(buf, 1, len, f) != len) || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

/* An error buffer of exactly `len` bytes on the heap, so that a write past
 * the length a parser was given is an ASan report, not silent. NULL for 0. */
static inline char *fuzz_errbuf(size_t len)
{
	char *e = len ? malloc(len) : NULL;
	if (len && !e)
		abort();
	if (e)
		memset(e, 'X', len);
	return e;
}

/* A message written into err[0..len) must be a string within it. */
static inline void fuzz_check_err(const char *err, size_t len)
{
	if (len)
		FUZZ_CHECK(memchr(err, '\0', len) != NULL,
			   "error message not terminated in %zu bytes", len);
}

#endif

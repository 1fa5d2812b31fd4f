/* livefd.h - the live stream (--live-fd N of load, sweep and lesson): one
 * JSON line per record on a descriptor the caller opened, for a viewer
 * (docs/live.md).  The stream is never the run's: a reader that goes
 * away (EPIPE), a descriptor that is not open (EBADF) or a slow reader
 * stops or thins the stream, counted, and the run goes on. */
#ifndef SOCKBENCH_LIVEFD_H
#define SOCKBENCH_LIVEFD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct livefd {
	int fd;		  /* -1: no stream */
	bool stopped;	  /* a write failed: no more lines */
	int err;	  /* why it stopped (errno) */
	uint64_t lines;	  /* written */
	uint64_t dropped; /* ticks left out while the reader was behind */
};

/* fd -1 for none.  A descriptor above 2 is made close-on-exec here, so
 * that nothing this process starts (the server) holds the stream open. */
void livefd_init(struct livefd *l, int fd);
static inline bool livefd_on(const struct livefd *l)
{
	return l->fd >= 0 && !l->stopped;
}
/* Write o (taken: decref'd) as one line.  A tick is left out when the
 * pipe is full; other records wait up to 50 ms for room. */
void livefd_put(struct livefd *l, json_t *o, bool tick);
/* "" when the stream went well, else one sentence for the warnings. */
void livefd_trouble(const struct livefd *l, const char *what, char *buf, size_t len);
/* {"name": "req/s"|"MB/s"|"connects", "value": x} of a run JSON: what
 * the run's kind is about (connect: connections established). */
json_t *livefd_headline(json_t *run);

#endif

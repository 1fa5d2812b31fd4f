/* tcpstates.h - TCP states by side after the run (sock_diag). */
#ifndef SOCKBENCH_TCPSTATES_H
#define SOCKBENCH_TCPSTATES_H

#include <jansson.h>
#include <stdint.h>

/* {"server": {"TIME_WAIT": n, ...}, "client": {...}} (non-zero states
 * only) for the server's TCP `port` in this network namespace, once two
 * samples 50 ms apart agree (250 ms at most); NULL with err on failure. */
json_t *tcpstates_settled(uint16_t port, char *err, size_t errlen);
/* n of `state` on `side` ("server", "client") of such a sample (0 if none). */
long tcpstates_count(const json_t *sample, const char *side, const char *state);

#endif

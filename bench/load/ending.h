/* ending.h - the end of a load run: drain, --unread, who closes first,
 * the client's leave, TCP states, the server's stop and --restart. */
#ifndef SOCKBENCH_ENDING_H
#define SOCKBENCH_ENDING_H

#include "engine.h"
#include "report.h"
#include "sockbench/spawn.h"

/* After the load (r->ran false: it never started; the connections, if
 * any, are closed all the same).  sp: the server load started, or NULL;
 * it is stopped here (its stats into r->server).  Fills r->leave,
 * r->tcp_states, r->restart and the second kernel counter read; frees
 * what the engine kept for the end.  Returns rc, or 1 when the server's
 * stop failed (r->error says how). */
int ending_run(struct run *r, struct engine *e, struct spawn *sp, int rc);
/* restart.c: --restart, the server just stopped started again on its
 * port and stopped at once; last: the TCP states sampled just before.
 * The JSON of `restart`. */
json_t *ending_restart(struct run *r, const struct spawn *sp, const json_t *last);

#endif

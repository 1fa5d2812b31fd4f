/* leave.h - the end of a run on the client's side: the replies still on
 * their way read out (drain.c), --unread's last request, and the leave
 * itself as --close says (leave.c).  Used by ending.c and, for crr's
 * per-connection reset, engine_req.c. */
#ifndef SOCKBENCH_LEAVE_H
#define SOCKBENCH_LEAVE_H

#include <stdint.h>

#include "engine.h"

struct leave_counts {
	uint64_t conns;		 /* connections left at the end */
	uint64_t drained;	 /* in-flight replies read out after the end */
	uint64_t drain_failed;	 /* ... that did not come whole within --timeout */
	uint64_t unread_waiting; /* --unread: replies left in the receive queue */
	uint64_t unread_missing; /* --unread: no reply came within --timeout */
	int exit_status;	 /* --close exit: the child's wait status (-1: none) */
	char error[256];	 /* what went wrong with the leave itself ("" if nothing) */
};

/* SO_LINGER {on, 0 s}: the next close() aborts the connection - an RST,
 * no FIN, no TIME_WAIT (tcp_close -> tcp_disconnect; TCPAbortOnData). */
void leave_linger0(int fd);
/* drain.c: read the replies of e->left's requests in flight to their end,
 * within --timeout (stoppable at once by SIGINT/SIGTERM), so that the
 * leave finds empty receive queues.  Not counted as completed requests:
 * the run had ended (in_flight_at_end counted them). */
void leave_drain(struct engine *e, struct leave_counts *lc);
/* drain.c, --unread: one more request on each connected connection, and
 * a wait (within --timeout) until its reply is in the receive queue;
 * never read. */
void leave_unread(struct engine *e, struct leave_counts *lc);
/* leave.c: close every connection of e->left as --close says (each fd
 * -1 afterwards). */
void leave_close(struct engine *e, struct leave_counts *lc);

#endif

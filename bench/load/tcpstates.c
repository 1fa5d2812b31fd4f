/* tcpstates.c - the TCP states each side of the run holds, counted from
 * sock_diag (lib/diag.c) as `ss -tan` would show them: the server's side
 * is every socket whose local port is the server's (its listener, the
 * connections it accepted, their TIME_WAIT remains), the client's every
 * socket whose remote port is the server's.
 *
 * A close is not over when close() returns: the FIN, its ACK and the
 * peer's own FIN (sent when the peer's program reads EOF and closes) take
 * a few scheduler turns, and the ACK of a FIN may be delayed: the
 * receiver of a FIN goes into "pingpong" mode (tcp_fin,
 * net/ipv4/tcp_input.c), expecting its own close to carry the ACK, and
 * otherwise acknowledges after the delayed-ACK timer (TCP_DELACK_MIN,
 * 40 ms) - until then the closer shows FIN_WAIT1.  Samples are taken every
 * 50 ms, past that timer, until two in a row agree, for 250 ms at most -
 * unless the first sample holds only states that wait for no packet and
 * no program (ESTABLISHED, LISTEN, TIME_WAIT): then it is the answer at
 * once, and a sweep's run does not pay 100 ms for nothing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <netinet/tcp.h> /* TCP_ESTABLISHED, ... the kernel's state numbers */
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockbench/clock.h"
#include "sockbench/diag.h"
#include "sockbench/stopsig.h"
#include "tcpstates.h"

#define SAMPLE_STEP_MS 50
#define SAMPLE_MAX_MS  250

struct counts {
	unsigned srv[DIAG_TCP_STATES], cli[DIAG_TCP_STATES];
};

/* Both families: a dual-stack server on [::] holds IPv4 clients in
 * AF_INET6 sockets.  -errno when neither could be read. */
static int sample(int nl, uint16_t port, struct counts *out)
{
	static const int fams[] = {AF_INET, AF_INET6};
	struct counts one;
	int ok = 0, rc = 0;
	memset(out, 0, sizeof *out);
	for (int f = 0; f < 2; f++) {
		int r = diag_tcp_states(nl, fams[f], port, one.srv, one.cli);
		if (r < 0) {
			rc = r;
			continue;
		}
		ok++;
		for (int s = 0; s < DIAG_TCP_STATES; s++) {
			out->srv[s] += one.srv[s];
			out->cli[s] += one.cli[s];
		}
	}
	return ok ? 0 : rc;
}

static json_t *side_json(const unsigned *n)
{
	json_t *o = json_object();
	for (int s = 0; s < DIAG_TCP_STATES; s++)
		if (n[s] && diag_tcp_state_name(s))
			json_object_set_new(o, diag_tcp_state_name(s), json_integer(n[s]));
	return o;
}

static bool at_rest(const struct counts *c)
{
	for (int s = 0; s < DIAG_TCP_STATES; s++)
		if ((c->srv[s] || c->cli[s]) && s != TCP_ESTABLISHED && s != TCP_LISTEN &&
		    s != TCP_TIME_WAIT)
			return false;
	return true;
}

json_t *tcpstates_settled(uint16_t port, char *err, size_t errlen)
{
	int nl = diag_open();
	if (nl < 0) {
		snprintf(err, errlen, "sock_diag: %s", strerror(-nl));
		return NULL;
	}
	struct counts prev, cur;
	int rc = sample(nl, port, &prev), waited = 0;
	while (rc == 0 && !at_rest(&prev) && waited < SAMPLE_MAX_MS && !stopsig_caught()) {
		struct timespec ts = {0, SAMPLE_STEP_MS * 1000000L};
		nanosleep(&ts, NULL);
		waited += SAMPLE_STEP_MS;
		if ((rc = sample(nl, port, &cur)) < 0)
			break;
		bool same = !memcmp(&prev, &cur, sizeof cur);
		prev = cur;
		if (same)
			break;
	}
	close(nl);
	if (rc < 0) {
		snprintf(err, errlen, "sock_diag: %s", strerror(-rc));
		return NULL;
	}
	json_t *o = json_object();
	json_object_set_new(o, "server", side_json(prev.srv));
	json_object_set_new(o, "client", side_json(prev.cli));
	return o;
}

long tcpstates_count(const json_t *sample, const char *side, const char *state)
{
	json_t *v = json_object_get(json_object_get(sample, side), state);
	return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

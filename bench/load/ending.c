/* ending.c - the end of a run, in an order a lesson can teach from:
 *
 *   1. the replies still on their way are read out (drain.c), so that a
 *      close finds an empty receive queue and sends FIN, not RST;
 *   2. --unread: one more request each, its reply left unread;
 *   3. who closes first (--first):
 *        client: the client leaves (--close), then load stops the server;
 *        server: load stops the server (it closes its connections: FIN
 *                from the server, the clients see EOF), then the client
 *                leaves;
 *   4. after each of the leave and the stop, the TCP states of both sides
 *      (tcpstates.c): the side that closed first holds the TIME_WAITs;
 *   5. --restart: at once a new server on the same port.  A TIME_WAIT
 *      left on the server's port makes bind() fail with EADDRINUSE unless
 *      the new listen socket has SO_REUSEADDR (inet_csk_bind_conflict,
 *      net/ipv4/inet_connection_sock.c: a TIME_WAIT socket conflicts
 *      unless both it and the new socket have sk_reuse) - the "Address
 *      already in use" of a server restarted right after Ctrl-C.
 *
 * The kernel counters' second read (kernel.delta) comes after the leave,
 * so that TCPAbortOnClose and TCPAbortOnData count the leave's RSTs.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ending.h"
#include "leave.h"
#include "sockbench/clock.h"
#include "sockbench/serve.h"
#include "sockbench/stopsig.h"
#include "tcpstates.h"

struct ending {
	struct run *r;
	struct engine *e;
	struct spawn *sp; /* the server we started, or NULL */
	int port;	  /* the server's TCP port; 0: none to look at */
	json_t *states;	  /* tcp_states */
	json_t *last;	  /* the last sample taken (borrowed) */
	int rc;
};

static int addr_port(const struct net_addr *a)
{
	if (a->family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

/* The server's TCP port, or 0 with tcp_states.reason saying why not. */
static int tcp_port(struct ending *x)
{
	const struct net_addr *a = &x->e->target;
	const char *why = NULL;
	if (!x->r->ran)
		why = "the load did not run";
	else if (x->r->remote)
		why = "--server-host: the server's sockets are on its own host";
	else if (a->family == AF_UNIX)
		why = "a unix socket target: no TCP states";
	else if (a->family != AF_INET && a->family != AF_INET6)
		why = "no TCP target";
	if (why) {
		json_object_set_new(x->states, "reason", json_string(why));
		return 0;
	}
	return x->sp && x->sp->port > 0 ? x->sp->port : addr_port(a);
}

static void sample(struct ending *x, const char *when)
{
	char err[256];
	if (!x->port)
		return;
	json_t *j = tcpstates_settled((uint16_t)x->port, err, sizeof err);
	if (!j) {
		json_object_set_new(x->states, "reason", json_string(err));
		return;
	}
	json_object_set_new(x->states, when, j);
	x->last = j;
}

/* Stop the server we started: its stats into the run, or the error. */
static void stop_server(struct ending *x)
{
	char err[512];
	struct run *r = x->r;
	if (spawn_stop(x->sp, &r->server, err, sizeof err) == 0)
		return;
	if (!r->error[0])
		snprintf(r->error, sizeof r->error, "%s", err);
	x->rc = 1;
	/* more than the one line the error quotes (a sanitizer's report, a
	 * traceback): shown whole */
	const char *nl = x->sp->err_tail ? strchr(x->sp->err_tail, '\n') : NULL;
	if (nl && nl[1])
		fprintf(stderr, "sockbench load: the server's stderr ended with:\n%s",
			x->sp->err_tail);
	free(x->sp->err_tail);
	x->sp->err_tail = NULL;
}

static json_t *leave_json(const struct load_config *c, const struct leave_counts *lc)
{
	json_t *o = json_object();
	json_object_set_new(o, "first_close", json_string(load_first_names[c->first]));
	json_object_set_new(o, "close", json_string(load_close_names[c->close_how]));
	json_object_set_new(o, "unread", json_boolean(c->unread));
	json_object_set_new(o, "connections", json_integer((json_int_t)lc->conns));
	json_object_set_new(o, "drained", json_integer((json_int_t)lc->drained));
	json_object_set_new(o, "drain_failed", json_integer((json_int_t)lc->drain_failed));
	json_object_set_new(o, "unread_waiting",
			    c->unread ? json_integer((json_int_t)lc->unread_waiting) : json_null());
	json_object_set_new(o, "unread_missing",
			    c->unread ? json_integer((json_int_t)lc->unread_missing) : json_null());
	json_object_set_new(o, "exit_status",
			    lc->exit_status >= 0 ? json_integer(lc->exit_status) : json_null());
	json_object_set_new(o, "error", lc->error[0] ? json_string(lc->error) : json_null());
	return o;
}

/* The client's side: drain, --unread, and (when the server goes first)
 * the server's stop before the leave. */
static void client_end(struct ending *x)
{
	struct run *r = x->r;
	const struct load_config *c = r->cfg;
	struct leave_counts lc = {.exit_status = -1};
	if (r->ran && !stopsig_caught()) {
		leave_drain(x->e, &lc);
		if (c->unread)
			leave_unread(x->e, &lc);
	}
	if (c->first == FIRST_SERVER && x->sp) {
		stop_server(x);
		sample(x, "after_stop");
	}
	leave_close(x->e, &lc);
	if (r->have_k)
		r->have_k = r->remote ? remote_probe_end(r->remote, &r->k1) == 0
				      : kstat_read(&r->k1) == 0;
	sample(x, "after_leave");
	r->leave = leave_json(c, &lc);
}

int ending_run(struct run *r, struct engine *e, struct spawn *sp, int rc)
{
	struct ending x = {.r = r, .e = e, .sp = sp, .rc = rc};
	x.states = json_object();
	json_object_set_new(x.states, "after_leave", json_null());
	json_object_set_new(x.states, "after_stop", json_null());
	json_object_set_new(x.states, "reason", json_null());
	x.port = tcp_port(&x);
	client_end(&x);
	if (r->cfg->first == FIRST_CLIENT && sp) {
		stop_server(&x);
		sample(&x, "after_stop");
	}
	if (!sp && x.port)
		json_object_set_new(x.states, "reason",
				    json_string("after_stop: load did not start the server"));
	if (r->cfg->restart != RESTART_OFF && sp && r->ran && !stopsig_caught())
		r->restart = ending_restart(r, sp, x.last);
	r->tcp_states = x.states;
	engine_free(e);
	return x.rc;
}

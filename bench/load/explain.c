/* explain.c - plain sentences that say what a run's numbers mean, for the
 * viewer (SPEC section 4, "explain lines").  Each one is derived from the
 * numbers it quotes and must never contradict them: a sentence that names
 * a cause says which counter shows it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "report.h"
#include "slots.h"
#include "sockbench/hist.h"

static uint64_t errs(const struct run *r, int kind)
{
	return r->ls.err[kind];
}

static json_int_t jint(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* The error kind counted most often, and how often (0 if none). */
static int top_error(const struct run *r, uint64_t *n)
{
	int top = 0;
	*n = 0;
	for (int k = 1; k < LERR_KINDS; k++)
		if (r->ls.err[k] > *n) {
			*n = r->ls.err[k];
			top = k;
		}
	return top;
}

/* --- the unit of work never succeeded -------------------------------- */

static bool never_succeeded(const struct run *r)
{
	const struct lstats *s = &r->ls;
	switch (r->cfg->mode) {
	case MODE_CONNECT:
		return s->established == 0;
	case MODE_STREAM:
		return s->established == 0 || run_bytes(r) == 0;
	default:
		return s->completed == 0;
	}
}

/* "not one request completed: 55440 connects refused (ECONNREFUSED) -
 * nothing listens on 127.0.0.1:1" */
static void explain_never(struct run *r, char *why, size_t len)
{
	const char *what = r->cfg->mode == MODE_CONNECT	 ? "connection was established"
			   : r->cfg->mode == MODE_STREAM ? "byte was delivered"
							 : "request completed";
	uint64_t n;
	char buf[32];
	int k = top_error(r, &n);
	size_t w = (size_t)snprintf(why, len, "not one %s", what);
	if (n)
		w += (size_t)snprintf(why + w, w < len ? len - w : 0, ": %llu %s",
				      (unsigned long long)n, lerr_name(k, buf, sizeof buf));
	if (k == ECONNREFUSED && n == r->ls.attempted)
		/* a SYN to a port with no LISTEN socket (none bound, or bound
		 * and never listen()ed: serve --model none) is answered with
		 * RST; a unix path nobody listens on refuses the same way */
		snprintf(why + w, w < len ? len - w : 0,
			 " - every connect was refused (ECONNREFUSED): nothing listens on %s (%s)",
			 r->target,
			 strncmp(r->target, "unix:", 5)
			     ? "the kernel answers a SYN to a port without a listener with RST"
			     : "no socket listens on that path");
	else if (k == ECONNREFUSED)
		snprintf(why + w, w < len ? len - w : 0,
			 " of %llu connects (nothing listened on %s when they were made)",
			 (unsigned long long)r->ls.attempted, r->target);
	else if (k == LERR_INTEGRITY && r->cfg->mode == MODE_RR && !r->scfg)
		snprintf(why + w, w < len ? len - w : 0,
			 " (the replies are not rr replies: an echo server - sockbench serve's "
			 "default --proto echo, nc, the tutorial's echo server - sends the request "
			 "back; try --mode echo)");
	else if (!n)
		snprintf(why + w, w < len ? len - w : 0,
			 " (no error either: the run was too short?)");
	run_explainf(r, "%s", why);
}

/* --- connections -------------------------------------------------------- */

/* Connections whose handshake needed a SYN retry (TCP_SYN_RETRY_NS): a SYN
 * was dropped (full accept queue, or SYN queue) and retransmitted. */
static uint64_t syn_retried(const struct hist *h)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		if (h->b[i] && hist_bucket_upper(i) >= TCP_SYN_RETRY_NS)
			n += h->b[i];
	return n;
}

static void explain_queue(struct run *r)
{
	const struct lstats *s = &r->ls;
	uint64_t overflows = r->have_k ? kstat_delta(&r->k0, &r->k1, "ListenOverflows") : 0;
	if (r->have_aq && r->aq_limit >= 0 && r->aq_max > 0)
		run_explainf(r,
			     "backlog %d let %d connection%s wait in the accept queue (it holds "
			     "backlog + 1)",
			     r->aq_limit, r->aq_max, plural((uint64_t)r->aq_max));
	if (overflows)
		run_explainf(r,
			     "%llu SYNs or final ACKs were dropped because the accept queue was "
			     "full (ListenOverflows): the client retries a dropped SYN after 1 s",
			     (unsigned long long)overflows);
	uint64_t slow = syn_retried(&s->conn_lat);
	if (slow)
		/* the retried ones are the slowest: quote their share and the
		 * slowest, not a percentile they may lie above */
		run_explainf(r,
			     "%llu of %llu connections (%.1f%%) waited for a SYN retry: they "
			     "took 1 s or more to connect, the slowest %.2f s",
			     (unsigned long long)slow, (unsigned long long)s->conn_lat.count,
			     100.0 * (double)slow / (double)s->conn_lat.count,
			     (double)s->conn_lat.max / 1e9);
	if (errs(r, LERR_CONNECT_TIMEOUT))
		run_explainf(r, "%llu connection%s never completed within --connect-timeout %.1f s",
			     (unsigned long long)errs(r, LERR_CONNECT_TIMEOUT),
			     plural(errs(r, LERR_CONNECT_TIMEOUT)),
			     (double)r->cfg->connect_timeout_us / 1e6);
}

/* Limits of the generator's own process and host, not of the server. */
static void explain_limits(struct run *r)
{
	uint64_t emfile = errs(r, EMFILE), enfile = errs(r, ENFILE);
	struct rlimit rl;
	if (emfile && getrlimit(RLIMIT_NOFILE, &rl) == 0)
		run_explainf(r,
			     "%llu connects failed with EMFILE: this process may have %llu files "
			     "open (RLIMIT_NOFILE), too few for --conns %d and its own; these "
			     "failures are the generator's limit, not the server's or the "
			     "backlog's (raise it: ulimit -n, and the hard limit)",
			     (unsigned long long)emfile, (unsigned long long)rl.rlim_cur,
			     r->cfg->conns);
	if (enfile)
		run_explainf(r,
			     "%llu connects failed with ENFILE: the whole system ran out of file "
			     "handles (fs.file-max)",
			     (unsigned long long)enfile);
	if (errs(r, EADDRNOTAVAIL))
		run_explainf(r,
			     "%llu connects failed with EADDRNOTAVAIL: the local port range "
			     "(net.ipv4.ip_local_port_range) is used up for this destination; more "
			     "source addresses (--source) or a wider range help",
			     (unsigned long long)errs(r, EADDRNOTAVAIL));
	if (errs(r, EAGAIN) && !strncmp(r->target, "unix:", 5))
		run_explainf(r,
			     "%llu connects failed with EAGAIN: the unix socket's listen queue was "
			     "full (a non-blocking connect() to it does not wait for room; %s)",
			     (unsigned long long)errs(r, EAGAIN),
			     r->cfg->mode == MODE_CONNECT
				 ? "in connect mode each slot connects once"
				 : "the slot tried again on the next tick");
	if (r->generator_bound)
		run_explainf(r, "the load generator itself was saturated (a thread at >= 90%% "
				"CPU): these figures are its limit, not the server's");
}

/* --- what the server did ------------------------------------------------ */

static void explain_server(struct run *r)
{
	const struct lstats *s = &r->ls;
	json_int_t acc = jint(r->server, "accepted");
	if ((uint64_t)acc != s->established && r->cfg->mode == MODE_CONNECT)
		run_explainf(r,
			     "the client saw %llu connections established, the server accepted "
			     "%lld: a handshake completes in the kernel before accept(); the rest "
			     "waited in the accept queue, or their final ACK met a full queue and "
			     "was dropped (the client believes it is connected, the server never "
			     "saw it)",
			     (unsigned long long)s->established, (long long)acc);
	json_int_t ss = jint(r->server, "short_sends"), drop = jint(r->server, "bytes_dropped");
	if (ss)
		run_explainf(r,
			     "the server's send() came up short %lld time%s and dropped %lld "
			     "bytes (--send send does not retry): clients saw short replies or "
			     "timed out",
			     (long long)ss, plural((uint64_t)ss), (long long)drop);
	json_int_t pe = jint(r->server, "protocol_errors");
	if (!pe)
		return;
	uint64_t big = r->cfg->req_size > r->cfg->resp_size ? r->cfg->req_size : r->cfg->resp_size;
	if (r->scfg && r->scfg->proto == PROTO_RR && big > r->scfg->max_msg)
		run_explainf(r,
			     "the server counted %lld protocol errors: --req-size %u / --resp-size "
			     "%u asks for more than its --max-msg %u, so it closed each such "
			     "connection without a reply",
			     (long long)pe, r->cfg->req_size, r->cfg->resp_size, r->scfg->max_msg);
	else
		run_explainf(r,
			     "the server counted %lld protocol error%s (requests it could not "
			     "parse or would not serve) and closed those connections",
			     (long long)pe, plural((uint64_t)pe));
}

/* --- replies ------------------------------------------------------------ */

static void explain_replies(struct run *r)
{
	if (errs(r, LERR_INTEGRITY))
		run_explainf(r, "%llu replies did not match the expected bytes (integrity errors)",
			     (unsigned long long)errs(r, LERR_INTEGRITY));
	if (errs(r, LERR_SHORT_REPLY) || errs(r, LERR_REQUEST_TIMEOUT))
		run_explainf(r,
			     "%llu replies were cut short and %llu never finished within "
			     "--timeout",
			     (unsigned long long)errs(r, LERR_SHORT_REPLY),
			     (unsigned long long)errs(r, LERR_REQUEST_TIMEOUT));
	if (errs(r, LERR_EOF))
		run_explainf(r,
			     "%llu time%s the server closed a connection before a reply began "
			     "(eof): it stopped serving that client (a crash, a limit, a protocol "
			     "it did not like, or it serves one client at a time)",
			     (unsigned long long)errs(r, LERR_EOF), plural(errs(r, LERR_EOF)));
	if (errs(r, ECONNRESET))
		run_explainf(r,
			     "%llu time%s the server reset a connection (ECONNRESET): it closed "
			     "with unread data, or ran out of something (its own file limit, "
			     "memory)",
			     (unsigned long long)errs(r, ECONNRESET), plural(errs(r, ECONNRESET)));
}

/* stream: what was written against what the peer's kernel acknowledged. */
static void explain_stream(struct run *r)
{
	const struct lstats *s = &r->ls;
	uint64_t got = run_bytes(r);
	if (r->cfg->mode != MODE_STREAM || got == s->bytes_out)
		return;
	if (s->bytes_out > got + got / 10)
		run_explainf(r,
			     "of %llu bytes written, the peer acknowledged %llu: the rest was "
			     "still in this host's socket buffers, or was lost when the server "
			     "closed the connection; throughput counts what was acknowledged",
			     (unsigned long long)s->bytes_out, (unsigned long long)got);
	if (r->server) {
		json_int_t in = jint(r->server, "bytes_in");
		if (in >= 0 && (uint64_t)in + (16u << 20) < got)
			run_explainf(r,
				     "the server read %lld bytes, %llu fewer than its kernel "
				     "acknowledged: they waited unread in its receive buffers",
				     (long long)in, (unsigned long long)(got - (uint64_t)in));
	}
}

bool run_explain(struct run *r, char *why, size_t len)
{
	bool never = never_succeeded(r);
	why[0] = '\0';
	if (never)
		explain_never(r, why, len);
	/* then a run where most clients got nothing says so (slots.c) */
	slots_explain(&r->ls, r->cfg, r->duration_s, r->explain);
	explain_limits(r);
	explain_queue(r);
	if (r->server)
		explain_server(r);
	explain_replies(r);
	explain_stream(r);
	return never;
}

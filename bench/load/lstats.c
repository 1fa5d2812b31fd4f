/* lstats.c - the load generator's counts: error names, intervals, merging
 * the threads' stats (exact: counts add, histograms merge bucket-wise). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "sockbench/errname.h"

const char *lerr_name(int kind, char *buf, size_t len)
{
	static const char *const own[] = {
	    "connect_timeout",	 "request_timeout", "integrity_error", "short_reply", "eof",
	    "http_head_too_big", "reply_too_big"};
	if (kind >= LERR_CONNECT_TIMEOUT && kind < LERR_KINDS)
		return own[kind - LERR_CONNECT_TIMEOUT];
	const char *n = errname(kind);
	if (n)
		return n;
	snprintf(buf, len, "errno_%d", kind);
	return buf;
}

const char *const ek_names[] = {"refused",   "reset",    "timedout",  "addrnotavail",
				"conn_timeout", "req_timeout", "integrity", "short",
				"eof",	     "other"};

int ek_of(int kind)
{
	switch (kind) {
	case ECONNREFUSED: return EK_REFUSED;
	case ECONNRESET: return EK_RESET;
	case ETIMEDOUT: return EK_TIMEDOUT;
	case EADDRNOTAVAIL: return EK_ADDRNOTAVAIL;
	case LERR_CONNECT_TIMEOUT: return EK_CONNECT_TIMEOUT;
	case LERR_REQUEST_TIMEOUT: return EK_REQUEST_TIMEOUT;
	case LERR_INTEGRITY: return EK_INTEGRITY;
	case LERR_SHORT_REPLY: return EK_SHORT;
	case LERR_EOF: return EK_EOF;
	default: return EK_OTHER;
	}
}

struct ival *lstats_ival(struct lstats *s, int i, bool create)
{
	if (i < 0 || i >= IV_CHUNK * IV_CHUNKS)
		return NULL;
	struct ival **chunk = &s->ivc[i / IV_CHUNK];
	if (!*chunk) {
		if (!create || !(*chunk = calloc(IV_CHUNK, sizeof **chunk)))
			return NULL;
	}
	if (i >= s->niv)
		s->niv = i + 1;
	return &(*chunk)[i % IV_CHUNK];
}

void ival_add(struct ival *d, const struct ival *x)
{
	d->requests += x->requests;
	d->connects += x->connects;
	d->bytes += x->bytes;
	d->errors += x->errors;
	for (int k = 0; k < EK_KINDS; k++)
		d->errk[k] += x->errk[k];
	d->open += x->open;
	d->served += x->served;
	d->starved += x->starved;
	d->syn_wait += x->syn_wait;
	if (x->h) {
		if (!d->h && (d->h = malloc(sizeof *d->h)))
			hist_init(d->h);
		if (d->h)
			hist_merge(d->h, x->h);
	}
}

/* Slots in order: thread 0's, then thread 1's (how thread_init deals
 * them out).  Out of memory: the counts stay, the per-slot list is lost
 * for good (nslots -1: fairness null, never one of part of the slots). */
static void lstats_merge_slots(struct lstats *o, const struct lstats *s)
{
	if (!s->nslots || o->nslots < 0)
		return;
	uint64_t *v = s->nslots < 0
			  ? NULL
			  : realloc(o->slot_req, (size_t)(o->nslots + s->nslots) * sizeof *v);
	if (!v) {
		free(o->slot_req);
		o->slot_req = NULL;
		o->nslots = -1;
		return;
	}
	memcpy(v + o->nslots, s->slot_req, (size_t)s->nslots * sizeof *v);
	o->slot_req = v;
	o->nslots += s->nslots;
}

uint64_t lstats_req_felt(const struct lstats *s, bool closed, struct hist *out)
{
	hist_init(out);
	hist_merge(out, &s->req_lat);
	hist_merge(out, &s->req_cens);
	/* A closed-loop client sends its next request when the last reply
	 * came: one that waited a second for nothing did not send the ~10^4
	 * requests a served client sent meanwhile, and counted once its wait
	 * would be 1 sample among 10^4 fast ones - the server that starves
	 * all but one client would show the best percentiles.  The interval:
	 * the mean completed latency, what a served client's round took.
	 * (Open loop needs none: its schedule already times every request.) */
	uint64_t every = (uint64_t)hist_mean_ns(&s->req_lat), n = 0;
	if (!closed || !every || !s->req_cens.count)
		return 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		if (!s->req_cens.b[i])
			continue;
		/* the bucket's middle, within what was recorded (min, max exact) */
		uint64_t lo = hist_bucket_lower(i), w = lo + (hist_bucket_upper(i) - lo) / 2;
		w = w < s->req_cens.min	  ? s->req_cens.min
		    : w > s->req_cens.max ? s->req_cens.max
					  : w;
		n += hist_record_omitted(out, w, every, s->req_cens.b[i]);
	}
	return n;
}

#define PORT_WORDS (65536 / 64)

static void lstats_merge_ports(struct lstats *o, const struct lstats *s)
{
	if (!s->lport_bits)
		return;
	if (!o->lport_bits && !(o->lport_bits = calloc(PORT_WORDS, sizeof *o->lport_bits)))
		return;
	if (!o->lport_max || s->lport_min < o->lport_min)
		o->lport_min = s->lport_min;
	if (s->lport_max > o->lport_max)
		o->lport_max = s->lport_max;
	for (int i = 0; i < PORT_WORDS; i++)
		o->lport_bits[i] |= s->lport_bits[i];
}

uint64_t lstats_ports(const struct lstats *s)
{
	uint64_t n = 0;
	for (int i = 0; s->lport_bits && i < PORT_WORDS; i++)
		n += (uint64_t)__builtin_popcountll(s->lport_bits[i]);
	return n;
}

void lstats_hists_init(struct lstats *s)
{
	hist_init(&s->conn_lat);
	hist_init(&s->conn_fail_lat);
	hist_init(&s->req_lat);
	hist_init(&s->req_lat_unc);
	hist_init(&s->req_cens);
}

void lstats_merge(struct lstats *o, const struct lstats *s)
{
	o->attempted += s->attempted;
	o->established += s->established;
	o->conn_failed += s->conn_failed;
	o->reconnects += s->reconnects;
	o->completed += s->completed;
	o->req_failed += s->req_failed;
	o->in_flight_at_end += s->in_flight_at_end;
	o->bytes_out += s->bytes_out;
	o->bytes_in += s->bytes_in;
	o->bytes_acked += s->bytes_acked;
	o->acked_unknown += s->acked_unknown;
	for (int k = 0; k < LERR_KINDS; k++)
		o->err[k] += s->err[k];
	hist_merge(&o->conn_lat, &s->conn_lat);
	hist_merge(&o->conn_fail_lat, &s->conn_fail_lat);
	hist_merge(&o->req_lat, &s->req_lat);
	hist_merge(&o->req_lat_unc, &s->req_lat_unc);
	for (int i = 0; i < s->niv; i++) {
		struct ival *x = lstats_ival((struct lstats *)s, i, false);
		struct ival *d = x ? lstats_ival(o, i, true) : NULL;
		if (d)
			ival_add(d, x);
	}
	for (int k = 0; k < HTTP_STATUS_MAX - 100; k++)
		o->http_status[k] += s->http_status[k];
	o->censored += s->censored;
	hist_merge(&o->req_cens, &s->req_cens);
	o->served += s->served;
	o->starved += s->starved;
	lstats_merge_slots(o, s);
	lstats_merge_ports(o, s);
	o->cpu_total_s += s->cpu_s;
	if (s->cpu_s > o->cpu_s)
		o->cpu_s = s->cpu_s; /* the busiest thread decides generator_bound */
}

void lstats_free(struct lstats *s)
{
	for (int c = 0; c < IV_CHUNKS; c++) {
		if (!s->ivc[c])
			continue;
		for (int i = 0; i < IV_CHUNK; i++)
			free(s->ivc[c][i].h);
		free(s->ivc[c]);
		s->ivc[c] = NULL;
	}
	s->niv = 0;
	free(s->slot_req);
	s->slot_req = NULL;
	s->nslots = 0;
	free(s->lport_bits);
	s->lport_bits = NULL;
}

/* lstats.c - the load generator's counts: error names, intervals, merging
 * the threads' stats (exact: counts add, histograms merge bucket-wise). */
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
	if (x->h) {
		if (!d->h && (d->h = malloc(sizeof *d->h)))
			hist_init(d->h);
		if (d->h)
			hist_merge(d->h, x->h);
	}
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
	for (int k = 0; k < LERR_KINDS; k++)
		o->err[k] += s->err[k];
	hist_merge(&o->conn_lat, &s->conn_lat);
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
}

/* plot_cases.c - figures of categories rather than of a numeric x: one
 * group of bars per case of a lesson (its own results directory each, as
 * `reject` runs them) or per cell of a sweep whose axes are words (`close`:
 * fin, reset, exit).  Each group's value is the median over its runs,
 * with min-max bars; every bar carries its number, so nobody has to read
 * it off an axis. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sockbench/jsonio.h"
#include "sockbench/strbuf.h"
#include "sockbench/summ.h"
#include "plot_int.h"

#define MAX_GROUPS  32
#define MAX_METRICS 8

struct metric {
	const char *title;
	yfn y;
};

struct group {
	int from, to; /* runs [from, to) */
	char label[64];
};

/* Groups: by directory when there are several (a case each), else by
 * cell; runs of one group are adjacent (plot_load_runs sorts by cell and
 * numbers the directories' cells apart). */
static int groups_of(const struct plot *p, struct group *g)
{
	int n = 0;
	for (int i = 0; i < p->n && n < MAX_GROUPS;) {
		int j = i;
		while (j < p->n &&
		       (p->ndirs > 1 ? p->r[j].dir == p->r[i].dir : p->r[j].cell == p->r[i].cell))
			j++;
		g[n].from = i;
		g[n].to = j;
		if (p->ndirs > 1)
			snprintf(g[n].label, sizeof g[n].label, "%s", p->labels[p->r[i].dir]);
		else
			plot_series_of(p, &p->r[i], NULL, g[n].label, sizeof g[n].label);
		for (char *c = g[n].label; *c; c++) /* one quoted column of a data file */
			if (*c == '"')
				*c = '\'';
		n++;
		i = j;
	}
	return n;
}

static void group_summ(const struct plot *p, const struct group *g, yfn y, struct summ *s)
{
	double v[256];
	int m = 0;
	for (int i = g->from; i < g->to && m < 256; i++)
		v[m++] = y(p->r[i].j);
	summ_compute(v, m, s);
}

/* Data files NAME-k.dat, one per metric: "group label median min max", or
 * with stack "group label bottom top" (each metric on top of the last). */
static int write_bars(const struct plot *p, const char *name, const struct metric *m, int nm,
		      const struct group *g, int ng, bool stack)
{
	double base[MAX_GROUPS] = {0};
	for (int k = 0; k < nm; k++) {
		char path[900];
		snprintf(path, sizeof path, "%s/%s-%d.dat", p->ddir, name, k);
		FILE *f = fopen(path, "w");
		if (!f)
			return -1;
		fprintf(f, "# group label %s (%s)\n", stack ? "bottom top" : "median min max",
			m[k].title);
		for (int i = 0; i < ng; i++) {
			struct summ s;
			group_summ(p, &g[i], m[k].y, &s);
			double v = isnan(s.median) ? 0 : s.median;
			if (stack) {
				fprintf(f, "%d \"%s\" %g %g\n", i + 1, g[i].label, base[i],
					base[i] + v);
				base[i] += v;
			} else {
				fprintf(f, "%d \"%s\" %g %g %g\n", i + 1, g[i].label, v,
					isnan(s.min) ? 0 : s.min, isnan(s.max) ? 0 : s.max);
			}
		}
		if (fclose(f) != 0)
			return -1;
	}
	return 0;
}

static int draw(struct plot *p, const char *script, const char *name, const char *title,
		const struct metric *m, int nm, bool stack, const char *caption)
{
	struct group g[MAX_GROUPS];
	char titles[MAX_METRICS][128];
	int ng = groups_of(p, g);
	if (ng < 1 || write_bars(p, name, m, nm, g, ng, stack) < 0)
		return -1;
	for (int k = 0; k < nm; k++)
		snprintf(titles[k], sizeof titles[k], "%s", m[k].title);
	return plot_gnuplot(p, script, name, title, titles, nm, caption);
}

/* --- reject: what a client saw --------------------------------------- */

/* Every outcome of a client's try: a reply, or the error it ended in. */
static double o_served(json_t *r)
{
	return plot_num0(r, "load.requests.completed");
}
static double o_refused(json_t *r)
{
	return plot_num0(r, "load.errors.ECONNREFUSED");
}
static double o_ctimeout(json_t *r)
{
	return plot_num0(r, "load.errors.connect_timeout") + plot_num0(r, "load.errors.ETIMEDOUT");
}
static double o_eof(json_t *r)
{
	return plot_num0(r, "load.errors.eof");
}
static double o_reset(json_t *r)
{
	return plot_num0(r, "load.errors.ECONNRESET") + plot_num0(r, "load.errors.EPIPE");
}
static double o_rtimeout(json_t *r)
{
	return plot_num0(r, "load.errors.request_timeout");
}
static double o_total(json_t *r)
{
	double t = o_served(r);
	const char *k;
	json_t *v;
	json_object_foreach(json_path(r, "load.errors"), k, v) t += json_number_value(v);
	return t;
}
static double o_other(json_t *r)
{
	return o_total(r) - o_served(r) - o_refused(r) - o_ctimeout(r) - o_eof(r) - o_reset(r) -
	       o_rtimeout(r);
}

#define SHARE(fn)                                                                                  \
	static double fn##_pct(json_t *r)                                                          \
	{                                                                                          \
		double t = o_total(r);                                                             \
		return t > 0 ? 100.0 * fn(r) / t : 0;                                              \
	}
SHARE(o_served)
SHARE(o_refused)
SHARE(o_ctimeout)
SHARE(o_eof)
SHARE(o_reset)
SHARE(o_rtimeout)
SHARE(o_other)

static const struct metric outcomes[] = {
    {"reply", o_served_pct},
    {"ECONNREFUSED (an RST to the SYN)", o_refused_pct},
    {"connect timed out (SYNs dropped)", o_ctimeout_pct},
    {"EOF (recv() returned 0)", o_eof_pct},
    {"ECONNRESET (an RST)", o_reset_pct},
    {"no reply in --timeout", o_rtimeout_pct},
    {"other errors", o_other_pct},
};

/* "refused in 0.03 ms": the dominant outcome of a group and how long the
 * client took to learn it (connects that failed: from connect() to the
 * error; replies: their latency; EOF and RST come right after a connect
 * that succeeded, in its time). */
static void outcome_words(const struct plot *p, const struct group *g, char *out, size_t len)
{
	static const char *const word[] = {"replies", "refused",  "connect timed out", "EOF",
					   "reset",   "no reply", "other errors"};
	static const char *const when[] = {"load.requests.latency_us.p50",
					   "load.connections.failed_latency_us.p50",
					   "load.connections.failed_latency_us.p50",
					   "load.connections.latency_us.p50",
					   "load.connections.latency_us.p50",
					   "load.requests.latency_us.p50",
					   NULL};
	int best = 0;
	double share[7];
	for (int k = 0; k < 7; k++) {
		struct summ s;
		group_summ(p, g, outcomes[k].y, &s);
		share[k] = isnan(s.median) ? 0 : s.median;
		if (share[k] > share[best])
			best = k;
	}
	double t = NAN, ts[256];
	int nt = 0;
	for (int i = g->from; when[best] && i < g->to && nt < 256; i++) {
		json_t *v = json_path(p->r[i].j, when[best]);
		if (json_is_number(v))
			ts[nt++] = json_number_value(v) / 1000.0;
	}
	if (nt) { /* the median over the case's repeats, as the shares */
		struct summ s;
		summ_compute(ts, nt, &s);
		t = s.median;
	}
	size_t n = (size_t)snprintf(out, len, "%s: %.0f%% %s", g->label, share[best], word[best]);
	if (!isnan(t) && n < len)
		snprintf(out + n, len - n, t >= 100 ? " %s %.0f ms" : " %s %.2g ms",
			 best == 3 || best == 4 ? "after a connect of" : "in", t);
}

/* The reject lesson: one case a directory, each directory one cell. */
static void fig_outcomes(struct plot *p)
{
	struct group g[MAX_GROUPS];
	char cap[3000];
	size_t cn = 0;
	int ng = groups_of(p, g);
	cn = sb_appendf(cap, sizeof cap, cn,
			"What each client's try ended in, as a share of all tries:");
	for (int i = 0; i < ng; i++) {
		char w[256];
		outcome_words(p, &g[i], w, sizeof w);
		cn = sb_appendf(cap, sizeof cap, cn, "%s %s", i ? ";" : "", w);
	}
	sb_appendf(cap, sizeof cap, cn, ".");
	draw(p, "stack", "outcomes", "What the client sees when a server turns it away", outcomes,
	     7, true, cap);
}

/* --- close and restart: how connections ended, on each side ---------- */

static double per_conn(json_t *r, double v)
{
	double c = plot_num0(r, "config.load.conns");
	return c > 0 ? v / c : 0;
}

static bool server_first(json_t *r)
{
	const char *f = json_string_value(json_path(r, "leave.first_close"));
	return f && !strcmp(f, "server");
}

/* TIME_WAIT on one side once both have closed: the last sample load took
 * (after the client left when the server was stopped first, else after
 * the server's stop, when load stopped one). */
static double tw(json_t *r, const char *side)
{
	char path[96];
	bool stop = json_is_object(json_path(r, "tcp_states.after_stop")) && !server_first(r);
	snprintf(path, sizeof path, "tcp_states.%s.%s.TIME_WAIT",
		 stop ? "after_stop" : "after_leave", side);
	return per_conn(r, plot_num0(r, path));
}
static double c_fin(json_t *r)
{
	return per_conn(r, plot_num0(r, "server.peer_fin"));
}
static double c_rst(json_t *r)
{
	return per_conn(r, plot_num0(r, "server.peer_reset"));
}
static double c_tw_client(json_t *r)
{
	return tw(r, "client");
}
static double c_tw_server(json_t *r)
{
	return tw(r, "server");
}
static double c_restart_ok(json_t *r)
{
	return json_is_true(json_path(r, "restart.ok"));
}

static const struct metric closing[] = {
    {"server's recv() saw EOF (a FIN)", c_fin},
    {"server's recv() saw ECONNRESET (an RST)", c_rst},
    {"TIME_WAIT on the client's side", c_tw_client},
    {"TIME_WAIT on the server's side", c_tw_server},
    {"restarted server could bind (1 = yes)", c_restart_ok},
};

/* "fin: FIN 1.00, RST 0.00, TIME_WAIT client 1.00 / server 0.00" */
static void close_words(const struct plot *p, const struct group *g, bool restart, char *out,
			size_t len)
{
	double v[5];
	for (int k = 0; k < 5; k++) {
		struct summ s;
		group_summ(p, g, closing[k].y, &s);
		v[k] = isnan(s.median) ? 0 : s.median;
	}
	json_t *r = p->r[g->from].j;
	const char *saw = server_first(r) ? "the server closed first"
			  : v[1] > v[0]	  ? "the server saw RST"
			  : v[0] > 0	  ? "the server saw FIN"
					  : "the server saw neither";
	size_t n =
	    (size_t)snprintf(out, len, "%s: %s; TIME_WAIT per connection: client %.2g, server %.2g",
			     g->label, saw, v[2], v[3]);
	if (restart && n < len) {
		/* the new server's own words, from "bind ...: " on */
		const char *e = json_string_value(json_path(r, "restart.error")), *b;
		if (e && (b = strstr(e, "): ")) && strchr(b + 3, ':'))
			e = strchr(b + 3, ':') + 2;
		int el = (int)strcspn(e ? e : "?", "-(");
		while (el > 0 && e && e[el - 1] == ' ')
			el--;
		snprintf(out + n, len - n, "; restart %s%.*s",
			 v[4] > 0 ? "bound the port" : "failed: ", v[4] > 0 ? 0 : el, e ? e : "?");
	}
}

static void fig_close(struct plot *p, bool restart)
{
	struct group g[MAX_GROUPS];
	char cap[3000];
	size_t cn = 0;
	int ng = groups_of(p, g);
	cn = sb_appendf(cap, sizeof cap, cn, "%s",
			restart ? "Who closed first and whether the new server could bind:"
				: "How each connection ended, per connection:");
	for (int i = 0; i < ng; i++) {
		char w[400];
		close_words(p, &g[i], restart, w, sizeof w);
		cn = sb_appendf(cap, sizeof cap, cn, "%s %s", i ? ";" : "", w);
	}
	cn = sb_appendf(cap, sizeof cap, cn, ".");
	json_t *r0 = p->r[0].j;
	const char *range = json_string_value(
	    json_object_get(json_path(r0, "environment.sysctl"), "net.ipv4.ip_local_port_range"));
	int lo = 0, hi = 0;
	if (restart && range && sscanf(range, "%d %d", &lo, &hi) == 2 &&
	    json_is_number(json_path(r0, "load.connections.local_ports.min")))
		sb_appendf(
		    cap, sizeof cap, cn,
		    " The clients' own ports were %.0f to %.0f, picked from the ephemeral range "
		    "%d-%d (IANA's is 49152-65535); the tutorial's 65432 lies %s it%s.",
		    json_path_num(r0, "load.connections.local_ports.min"),
		    json_path_num(r0, "load.connections.local_ports.max"), lo, hi,
		    65432 >= lo && 65432 <= hi ? "inside" : "outside",
		    65432 >= lo && 65432 <= hi ? ", so a client may hold it when the server "
						 "starts"
					       : ", so no client of this machine is given it");
	if (restart)
		draw(p, "bars", "restart", "Restarting a server: TIME_WAIT and SO_REUSEADDR",
		     closing + 2, 3, false, cap);
	else
		draw(p, "bars", "close", "How a client leaves, and what each side keeps", closing,
		     4, false, cap);
}

/* Every directory one cell: a lesson's cases. */
bool plot_cases_only(const struct plot *p)
{
	for (int i = 1; i < p->n; i++)
		if (p->r[i].dir == p->r[i - 1].dir && p->r[i].cell != p->r[i - 1].cell)
			return false;
	return p->ndirs > 1;
}

void plot_cases_figures(struct plot *p, bool (*want)(const struct plot *, const char *))
{
	/* restart: some run restarted its server; close: the runs differ in
	 * how the client left (--close, --unread, --first) */
	bool restart = false, leaving = false;
	static const char *const how[] = {"config.load.close", "config.load.unread",
					  "config.load.first"};
	for (int i = 0; i < p->n; i++) {
		const char *m = json_string_value(json_path(p->r[i].j, "config.load.restart"));
		restart |= m && strcmp(m, "off");
		for (int k = 0; k < 3 && i > 0; k++)
			leaving |=
			    !json_equal(json_path(p->r[i].j, how[k]), json_path(p->r[0].j, how[k]));
	}
	if (restart && want(p, "restart"))
		fig_close(p, true);
	else if (leaving && want(p, "close"))
		fig_close(p, false);
	else if (want(p, "outcomes") && plot_cases_only(p))
		fig_outcomes(p);
}

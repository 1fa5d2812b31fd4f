/* live_draw.c - the frame: listen queue, connections, counters, the rate's
 * sparkline, the interval's p50/p99, the sweep's runs (live_draw.h).
 *
 * Laid out for 100x30 and up (LIVE_MIN_COLS x LIVE_MIN_ROWS): a 1280x720
 * stream capture of such a terminal keeps every figure legible.  At most
 * five colours, each only on top of a word or a mark that says the same
 * (FULL, ERR, the bar's own length), so monochrome loses nothing. */
#include <stdio.h>
#include <string.h>

#include <curses.h>

#include "sockbench/live.h"

#include "live_draw.h"

enum { C_OK = 1, C_WARN, C_BAD, C_HEAD };

static const struct live_self *self;

void live_draw_colors(void)
{
	init_pair(C_OK, COLOR_GREEN, -1);
	init_pair(C_WARN, COLOR_YELLOW, -1);
	init_pair(C_BAD, COLOR_RED, -1);
	init_pair(C_HEAD, COLOR_CYAN, -1);
}

static attr_t color(int pair)
{
	return self->colors ? COLOR_PAIR(pair) : 0;
}

/* 1234567 -> "1,234,567"; unknown (< 0) -> "-" */
static const char *count(char *buf, size_t size, long long v)
{
	char digits[32];
	size_t n, at = 0;
	if (v < 0)
		return "-";
	n = (size_t)snprintf(digits, sizeof digits, "%lld", v);
	for (size_t i = 0; i < n && at + 2 < size; i++) {
		if (i && (n - i) % 3 == 0)
			buf[at++] = ',';
		buf[at++] = digits[i];
	}
	buf[at] = '\0';
	return buf;
}

static const char *micros(char *buf, size_t size, double us)
{
	if (us < 0)
		snprintf(buf, size, "-");
	else if (us < 1000)
		snprintf(buf, size, "%.0f us", us);
	else if (us < 1e6)
		snprintf(buf, size, "%.2f ms", us / 1e3);
	else
		snprintf(buf, size, "%.2f s", us / 1e6);
	return buf;
}

static const char *rate(char *buf, size_t size, double r)
{
	snprintf(buf, size, r >= 100 ? "%.0f" : r >= 10 ? "%.1f" : "%.2f", r);
	return buf;
}

static void heading(int y, const char *text)
{
	attron(A_BOLD | color(C_HEAD));
	mvaddstr(y, 1, text);
	attroff(A_BOLD | color(C_HEAD));
}

static void title_bar(const struct live_model *m, int cols)
{
	char left[200], right[80], b[24];
	const char *state = m->ended	 ? (m->end_error[0] ? "ENDED: ERROR" : "ENDED")
			    : self->eof	 ? "STREAM CLOSED"
			    : m->started ? "RUNNING"
					 : "WAITING FOR THE RUN";
	if (m->backlog >= 0)
		snprintf(b, sizeof b, "backlog %lld", m->backlog);
	else
		snprintf(b, sizeof b, "backlog default");
	snprintf(left, sizeof left, " sockbench %s | %s | %lld conns -> %s | %s", self->title,
		 m->mode[0] ? m->mode : "-", m->conns, m->target[0] ? m->target : "-", b);
	if (m->duration_s > 0)
		snprintf(right, sizeof right, "t %.1f s of %.1f s  %s ", m->t_s, m->duration_s,
			 state);
	else
		snprintf(right, sizeof right, "t %.1f s  %s ", m->t_s, state);
	attron(A_REVERSE);
	mvhline(0, 0, ' ', cols);
	mvaddnstr(0, 0, left, cols);
	if ((int)(strlen(left) + strlen(right)) < cols)
		mvaddstr(0, cols - (int)strlen(right), right);
	attroff(A_REVERSE);
}

/* The accept queue holds backlog + 1 (sk_acceptq_is_full() tests
 * len > max_ack_backlog, include/net/sock.h): the bar's end is limit + 1,
 * and "FULL" says the next completed handshake is dropped. */
static void queue_panel(const struct live_model *m, int y, int cols)
{
	char a[32], b[32], c[32], line[160];
	int w = cols - 56 > 60 ? 60 : cols - 56, fill = 0;
	long long cap = m->aq_limit >= 0 ? m->aq_limit + 1 : -1;
	int full = cap > 0 && m->aq_len >= cap;
	heading(y, "LISTEN QUEUE (accept queue: handshakes done, not yet accepted)");
	if (w < 10)
		w = 10;
	if (cap > 0 && m->aq_len > 0)
		fill = (int)((m->aq_len > cap ? cap : m->aq_len) * w / cap);
	mvaddstr(y + 1, 3, "[");
	attron(full ? color(C_BAD) | A_BOLD : color(C_OK));
	for (int i = 0; i < fill; i++)
		addstr(self->utf8 ? "\u2588" : "#");
	attroff(full ? color(C_BAD) | A_BOLD : color(C_OK));
	for (int i = fill; i < w; i++)
		addstr(self->utf8 ? "\u00b7" : ".");
	addstr("]");
	if (cap < 0)
		snprintf(line, sizeof line, "  - waiting (no sample: not our server)");
	else
		snprintf(line, sizeof line, "  %s waiting of %s (backlog %s + 1)",
			 count(a, sizeof a, m->aq_len), count(b, sizeof b, cap),
			 count(c, sizeof c, m->aq_limit));
	addstr(line);
	if (full) {
		attron(A_BOLD | A_REVERSE | color(C_BAD));
		addstr(" FULL ");
		attroff(A_BOLD | A_REVERSE | color(C_BAD));
	}
	mvprintw(y + 2, 3, "dropped SYNs/ACKs (ListenOverflows): ");
	attron(A_BOLD | (m->listen_overflows > 0 ? color(C_WARN) : 0));
	addstr(count(a, sizeof a, m->listen_overflows));
	attroff(A_BOLD | (m->listen_overflows > 0 ? color(C_WARN) : 0));
	mvprintw(y + 2, 60, "most waiting this run: %s", count(b, sizeof b, m->aq_max));
}

static void cell(int y, int x, const char *label, long long v, int warn)
{
	char b[32];
	mvaddstr(y, x, label);
	attron(A_BOLD | (warn && v > 0 ? color(C_WARN) : 0));
	mvprintw(y, x + 18, "%10s", count(b, sizeof b, v));
	attroff(A_BOLD | (warn && v > 0 ? color(C_WARN) : 0));
}

static void conn_panel(const struct live_model *m, int y)
{
	char b[48];
	heading(y, "CONNECTIONS (client slots)");
	cell(y + 1, 3, "connecting", m->connecting, 0);
	cell(y + 2, 3, "established", m->open, 0);
	cell(y + 3, 3, "SYN-retry wait", m->syn_retry_waiting, 1);
	cell(y + 1, 36, "served", m->served, 0);
	cell(y + 2, 36, "starved", m->starved, 1);
	cell(y + 3, 36, "server accepted", m->server_accepted, 0);
	if (m->next_retry_s >= 0)
		snprintf(b, sizeof b, "next SYN retry at %.1f s", m->next_retry_s);
	else
		snprintf(b, sizeof b, "next SYN retry at -");
	mvaddstr(y + 3, 68, b);
}

static void counters(const struct live_model *m, int y)
{
	char a[32], b[32], c[32], d[32];
	heading(y, "COUNTERS");
	mvprintw(y + 1, 3, "requests %s   connects %s   bytes %s   ",
		 count(a, sizeof a, m->requests), count(b, sizeof b, m->connects),
		 count(c, sizeof c, m->bytes));
	attron(m->errors > 0 ? A_BOLD | color(C_BAD) : 0);
	printw("errors %s", count(d, sizeof d, m->errors));
	attroff(m->errors > 0 ? A_BOLD | color(C_BAD) : 0);
}

/* Eighths of a cell: U+2581..U+2588 (lower one eighth .. full block), or
 * ASCII marks that still rise with the level. */
static const char *level_char(int eighths)
{
	static const char *const blocks[] = {" ",      "\u2581", "\u2582", "\u2583", "\u2584",
					     "\u2585", "\u2586", "\u2587", "\u2588"};
	static const char *const ascii[] = {" ", ".", ".", "_", "o", "o", "O", "#", "#"};
	return self->utf8 ? blocks[eighths] : ascii[eighths];
}

/* A sparkline `h` rows high: the newest sample on the right, scaled to the
 * largest one shown (its value at the top left). */
static void sparkline(const struct live_model *m, int y, int h, int cols)
{
	char a[32], b[32], line[160];
	int w = cols - 14, n = m->hist_n < w ? m->hist_n : w;
	double top = 0;
	for (int k = 0; k < n; k++)
		if (live_model_hist(m, k) > top)
			top = live_model_hist(m, k);
	snprintf(line, sizeof line, "%s, a column per tick (0.1 s): now %s, peak %s",
		 live_model_unit(m), rate(a, sizeof a, m->rate_now),
		 rate(b, sizeof b, m->rate_peak));
	heading(y, line);
	mvprintw(y + 1, 1, "%10s", rate(a, sizeof a, top));
	mvprintw(y + h, 1, "%10s", "0");
	for (int r = 0; r < h; r++)
		mvaddstr(y + 1 + r, 12, self->utf8 ? "\u2502" : "|");
	if (top <= 0)
		return;
	attron(color(C_OK));
	for (int k = 0; k < n; k++) {
		int x = 13 + w - 1 - k;
		int e = (int)(live_model_hist(m, k) / top * h * 8 + 0.5);
		for (int r = 0; r < h; r++) {
			int lv = e - r * 8;
			if (lv > 0)
				mvaddstr(y + h - r, x, level_char(lv > 8 ? 8 : lv));
		}
	}
	attroff(color(C_OK));
}

static void interval_line(const struct live_model *m, int y)
{
	char a[32], b[32];
	heading(y, "LAST INTERVAL");
	if (m->intervals == 0) {
		mvaddstr(y, 16, "  none yet");
		return;
	}
	mvprintw(y, 16, "  at %.1f s:  p50 ", m->iv_t_s);
	attron(A_BOLD);
	addstr(micros(a, sizeof a, m->p50_us));
	attroff(A_BOLD);
	addstr("   p99 ");
	attron(A_BOLD);
	addstr(micros(b, sizeof b, m->p99_us));
	attroff(A_BOLD);
}

static void run_bar(const struct live_run_bar *r, double top, int y, int cols)
{
	char v[32];
	int w = cols - 48, fill = top > 0 && r->value > 0 ? (int)(r->value / top * w + 0.5) : 0;
	mvprintw(y, 3, "%3d %-20.20s", r->i, r->cell);
	attron(r->failed ? color(C_BAD) : color(C_OK));
	for (int i = 0; i < fill; i++)
		addstr(self->utf8 ? "\u2588" : "=");
	attroff(r->failed ? color(C_BAD) : color(C_OK));
	if (r->value >= 0)
		mvprintw(y, 28 + w + 1, "%12s%s", rate(v, sizeof v, r->value),
			 r->failed ? " ERR" : "");
	else
		mvprintw(y, 28 + w + 1, "%12s%s", "-", r->failed ? " ERR" : "");
}

/* Which run of how many, its values, the ETA; the previous runs' headline
 * as bars, as many of the newest as the rows allow. */
static void sweep_panel(const struct live_model *m, int y, int rows, int cols)
{
	char eta[32];
	double top = 0;
	if (m->eta_s >= 0)
		snprintf(eta, sizeof eta, "ETA %dm%02ds", (int)(m->eta_s / 60), (int)m->eta_s % 60);
	else
		snprintf(eta, sizeof eta, "ETA -");
	heading(y, "SWEEP");
	mvprintw(y, 8, " run %d of %d   %s   %s", m->run_i + 1, m->run_n, eta, m->cell);
	mvaddnstr(y + 1, 3, m->values, cols - 4);
	int fit = rows - (y + 2), first = m->runs_n > fit ? m->runs_n - fit : 0;
	for (int i = first; i < m->runs_n; i++)
		if (m->runs[i].value > top)
			top = m->runs[i].value;
	for (int i = first; i < m->runs_n; i++)
		run_bar(&m->runs[i], top, y + 2 + i - first, cols);
}

static void footer(const struct live_model *m, int rows, int cols)
{
	char line[200];
	int n =
	    snprintf(line, sizeof line,
		     " lines %lld  malformed %lld  | view: %lld redraws, CPU %.2f%% of a core | "
		     "Ctrl-C stops",
		     m->lines, m->malformed, self->redraws,
		     self->cpu_share >= 0 ? self->cpu_share * 100 : 0.0);
	if (rows < LIVE_MIN_ROWS || cols < LIVE_MIN_COLS)
		snprintf(line + n, sizeof line - (size_t)n, " | needs %dx%d", LIVE_MIN_COLS,
			 LIVE_MIN_ROWS);
	attron(A_DIM);
	mvaddnstr(rows - 1, 0, line, cols);
	attroff(A_DIM);
}

void live_draw(const struct live_model *m, const struct live_self *s)
{
	int rows = LINES, cols = COLS;
	self = s;
	erase();
	title_bar(m, cols);
	queue_panel(m, 2, cols);
	conn_panel(m, 6);
	counters(m, 11);
	if (m->ended && m->headline_name[0])
		mvprintw(12, 80, "result: %.0f %s", m->headline_value, m->headline_name);
	int sweep = m->run_n > 0, spark_h = sweep ? 5 : rows - 22;
	if (spark_h > 12)
		spark_h = 12;
	sparkline(m, 14, spark_h, cols);
	interval_line(m, 15 + spark_h + 1);
	if (sweep)
		sweep_panel(m, 15 + spark_h + 3, rows - 1, cols);
	if (m->ended && m->end_error[0])
		mvprintw(rows - 2, 1, "error: %.*s", cols - 10, m->end_error);
	footer(m, rows, cols);
}

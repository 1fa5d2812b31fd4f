/* live_term.c - the terminal the view draws on: /dev/tty under ncurses,
 * and putting it back however the process ends.
 *
 * Three ways back to a usable terminal:
 *  - live_term_close(): endwin() (ncurses' own: leaves the alternate
 *    screen, shows the cursor, restores the modes it saved);
 *  - exit() without live_stop() (a path that forgot it): an atexit hook
 *    writes the saved termios back and leaves the alternate screen;
 *  - SIGSEGV, SIGABRT, SIGBUS: a handler that does the same with
 *    async-signal-safe calls only (tcsetattr and write are, see
 *    signal-safety(7); endwin() is not), puts the old handler back and
 *    raises the signal again, so the process still dies of it (and a core
 *    dump or a sanitizer's report still happens).
 */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <curses.h>
#include <term.h>

#include "live_term.h"

/* rmcup of xterm and its kin (tmux, screen, VTE): leave the alternate
 * screen; then show the cursor and reset the colours.  Written raw in a
 * crash, where no terminfo lookup is safe. */
static const char restore_seq[] = "\033[?1049l\033[?25h\033[0m\r\n";

static volatile sig_atomic_t term_fd = -1; /* the open /dev/tty while the view is up */
static struct termios saved;
static const int crash_sigs[] = {SIGSEGV, SIGABRT, SIGBUS};
static struct sigaction old_crash[3];
static int atexit_done;

static void raw_restore(void)
{
	int fd = term_fd;
	if (fd < 0)
		return;
	tcsetattr(fd, TCSANOW, &saved);
	ssize_t w = write(fd, restore_seq, sizeof restore_seq - 1);
	(void)w; /* nothing else to try in a crash */
}

static void on_crash(int sig)
{
	raw_restore();
	term_fd = -1;
	for (size_t i = 0; i < sizeof crash_sigs / sizeof crash_sigs[0]; i++)
		if (crash_sigs[i] == sig)
			sigaction(sig, &old_crash[i], NULL);
	raise(sig);
}

static void at_exit(void)
{
	raw_restore();
	term_fd = -1;
}

static void crash_handlers(int install)
{
	for (size_t i = 0; i < sizeof crash_sigs / sizeof crash_sigs[0]; i++) {
		if (install) {
			struct sigaction sa;
			memset(&sa, 0, sizeof sa);
			sa.sa_handler = on_crash;
			sigemptyset(&sa.sa_mask);
			sa.sa_flags = SA_NODEFER;
			sigaction(crash_sigs[i], &sa, &old_crash[i]);
		} else {
			sigaction(crash_sigs[i], &old_crash[i], NULL);
		}
	}
}

/* ncurses puts handlers on SIGINT, SIGTERM, SIGTSTP and SIGWINCH that it
 * finds at SIG_DFL (lib_tstp.c, _nc_signal_handler); its SIGINT handler
 * calls exit() and its SIGTSTP one draws, from whatever thread the signal
 * lands on.  The command's own handling (stopsig) stays; the view polls
 * the window size instead of SIGWINCH. */
static const int kept_sigs[] = {SIGINT, SIGTERM, SIGTSTP, SIGWINCH, SIGQUIT};

/* Block characters when the locale speaks UTF-8.  LC_CTYPE only, taken
 * from the environment as every terminal program does; LC_NUMERIC stays
 * "C", so the JSON's numbers keep their decimal point. */
static int utf8_locale(void)
{
	const char *cs;
	if (!setlocale(LC_CTYPE, ""))
		return 0;
	cs = nl_langinfo(CODESET);
	return cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
}

static int open_screen(struct live_term *t, char *err, size_t errlen)
{
	struct sigaction keep[5];
	const char *term = getenv("TERM");
	int e = 0;
	if (!term || !*term) {
		snprintf(err, errlen, "TERM is not set");
		return -ENOTTY;
	}
	/* asked first, with an error code: newterm() would print to stderr */
	if (setupterm(term, fileno(t->f), &e) != OK) {
		snprintf(err, errlen, "TERM=%s: %s", term,
			 e == 0 ? "no terminfo entry for it"
				: "a terminal that cannot position the cursor");
		return -ENOTTY;
	}
	del_curterm(cur_term);
	for (size_t i = 0; i < 5; i++)
		sigaction(kept_sigs[i], NULL, &keep[i]);
	t->scr = newterm(term, t->f, t->f);
	for (size_t i = 0; i < 5; i++)
		sigaction(kept_sigs[i], &keep[i], NULL);
	if (!t->scr) {
		snprintf(err, errlen, "/dev/tty: ncurses could not start (TERM=%s)", term);
		return -ENOTTY;
	}
	set_term(t->scr);
	cbreak(); /* keys not echoed nor buffered; Ctrl-C still signals (ISIG) */
	noecho();
	curs_set(0);
	nonl();
	leaveok(stdscr, TRUE);
	return 0;
}

int live_term_open(struct live_term *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	t->utf8 = utf8_locale(); /* before newterm(): ncurses decides there */
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "/dev/tty: %s (no terminal)", strerror(e));
		return -e;
	}
	if (tcgetattr(fd, &saved) < 0) {
		int e = errno;
		snprintf(err, errlen, "/dev/tty: tcgetattr: %s", strerror(e));
		close(fd);
		return -e;
	}
	t->f = fdopen(fd, "r+");
	if (!t->f) {
		int e = errno;
		close(fd);
		snprintf(err, errlen, "/dev/tty: %s", strerror(e));
		return -e;
	}
	int rc = open_screen(t, err, errlen);
	if (rc < 0) {
		fclose(t->f);
		t->f = NULL;
		return rc;
	}
	term_fd = fd;
	crash_handlers(1);
	if (!atexit_done && atexit(at_exit) == 0)
		atexit_done = 1;
	if (has_colors() && start_color() == OK) {
		use_default_colors();
		t->colors = 1;
	}
	return 0;
}

void live_term_close(struct live_term *t)
{
	if (!t->f)
		return;
	endwin();
	fflush(t->f);
	crash_handlers(0);
	tcsetattr(fileno(t->f), TCSANOW, &saved);
	term_fd = -1;
	delscreen(t->scr);
	fclose(t->f);
	t->f = NULL;
	t->scr = NULL;
}

void live_term_forget(struct live_term *t)
{
	if (!t->f)
		return;
	crash_handlers(0);
	term_fd = -1; /* the atexit hook does nothing here now */
	fclose(t->f); /* this process's copy of /dev/tty; ncurses' memory stays */
	t->f = NULL;
	t->scr = NULL;
}

/* The terminal's size now, for resizeterm(): SIGWINCH is not ours. */
void live_term_size(const struct live_term *t, int *rows, int *cols)
{
	struct winsize ws;
	if (t->f && ioctl(fileno(t->f), TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	} else {
		*rows = LINES;
		*cols = COLS;
	}
}

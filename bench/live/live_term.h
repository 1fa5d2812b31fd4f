/* live_term.h - /dev/tty under ncurses, and its restoring (live_term.c). */
#ifndef SOCKBENCH_LIVE_TERM_H
#define SOCKBENCH_LIVE_TERM_H

#include <stddef.h>
#include <stdio.h>

#include <curses.h>

struct live_term {
	FILE *f; /* /dev/tty, read and written */
	SCREEN *scr;
	int utf8;   /* the locale is UTF-8: block characters */
	int colors; /* the terminal has colours (used as extra, never alone) */
};

/* 0, or -errno with err filled (no /dev/tty, no terminfo for $TERM). */
int live_term_open(struct live_term *t, char *err, size_t errlen);
/* endwin() and the saved modes back; idempotent. */
void live_term_close(struct live_term *t);
void live_term_size(const struct live_term *t, int *rows, int *cols);
/* The view's process has the terminal now (live.c forks it): this one
 * lets go of its copy - no ncurses call, no restoring at exit or crash. */
void live_term_forget(struct live_term *t);

#endif

/* live_draw.h - one frame of the view from the model (live_draw.c). */
#ifndef SOCKBENCH_LIVE_DRAW_H
#define SOCKBENCH_LIVE_DRAW_H

#include "live_model.h"

/* What the view says about itself in its last line. */
struct live_self {
	long long redraws;
	double cpu_share; /* of one core, since the view started; < 0 unknown */
	int eof;	  /* the stream's writers all closed it */
	int utf8, colors;
	const char *title; /* "live" or "replay x4" */
};

/* Colour pairs, set up once by live_draw_colors() when the terminal has
 * colours; every figure that has a colour also has a word or a mark. */
void live_draw_colors(void);
/* erase() and draw everything into stdscr; the caller refreshes. */
void live_draw(const struct live_model *m, const struct live_self *s);

#endif

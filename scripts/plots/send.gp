# send.gp -- replies that arrived whole (left axis, filled points with min-max
# bars) and replies lost (right axis, integer tics, open points) vs reply size;
# a connection that got nothing because the server serves one client at a
# time (column 6 > 0) gets a large open circle: that is waiting, not data lost.
# Points only, at the sizes measured: a line between two sizes would claim a
# value where nothing was measured.  Series are nudged apart along x (a few
# percent of a doubling) so that equal values stay visible.
#
# data (one file per series):
#   reply_size whole_pct_median whole_pct_min whole_pct_max lost_median waited_median conns
# call: gnuplot -c /abs/scripts/plots/send.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

scol = 5; @SCAN     # lost replies: the right axis' extent, for integer tics
LMAX = (DMAX == DMAX && DMAX >= 1) ? DMAX : 1
# integer tics only: a step of 1, 2, 5, 10, ... giving at most 6 labels
step = 1; do for [m in "1 2 5 10 20 50 100 200 500 1000 2000 5000 10000"] { if (LMAX / (m + 0) <= 6) { step = m + 0; break } }
if (LMAX / step > 6) { step = ceil(LMAX / 6.0) }
set y2range [0 : ceil(LMAX * 1.05 / step) * step]
scol = 6; @SCAN    # connections that waited: their key entry only when there are some
WAITED = (DMAX == DMAX && DMAX > 0)
set y2tics 0, step nomirror out
set format y2 "%.0f"

# a nudge per series along x: series i of N at x * 2**(dx(i))
dx(i) = (i - (N + 1) / 2.0) * 0.14
set logscale x 2
eval tics_pow2('x', 2, 'bytes')
set yrange [0:105]
set format y "%.0f"
set border 11 lw 1.5
set xlabel "reply size (bytes)"
set ylabel "replies that arrived whole (%)  (filled points)"
set y2label "replies lost  (open points, where > 0)"

# many series (the C servers and Python's): the key goes under the plot,
# which keeps the whole width
if (N > 4) { set key at screen 0.5, screen 0.15 center top horizontal maxrows 3 Left reverse noenhanced font ",13" width 1 samplen 2; set bmargin 10 }
WAIT_KEY = WAITED ? ", keyentry with points pt 6 ps 4 lw 2.5 lc rgb '#404040' title \"got nothing: served one at a time\"" : ""
@BEGIN_PNG
plot for [i=1:N] f(i) using ($1 * 2**dx(i)):2:3:4 axes x1y1 with yerrorbars lw LW pt pt(i) ps 1.4*PS lc rgb col(i) title ttl(i), \
     for [i=1:N] f(i) using ($1 * 2**dx(i)):($5 > 0 ? $5 : NaN) axes x1y2 with points lw LW pt pto(i) ps 1.4*PS lc rgb col(i) notitle, \
     for [i=1:N] f(i) using ($1 * 2**dx(i)):(column(6) > 0 ? $2 : NaN) axes x1y1 with points pt 6 ps 4 lw 2.5 lc rgb col(i) notitle \
     @WAIT_KEY
@END_SVG

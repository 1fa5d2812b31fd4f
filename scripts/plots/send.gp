# send.gp -- complete replies (left axis, solid with min-max bars) and replies
# cut short / timed out (right axis, dashed, open points) vs reply size;
# one colour per send strategy (send, sendall, send(blocking), ...).
#
# data (one file per series):
#   reply_size complete_pct_median complete_pct_min complete_pct_max errors_median
# call: gnuplot -c /abs/scripts/plots/send.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

set logscale x 2
eval tics_pow2('x', 2, 'bytes')
set yrange [0:105]
set y2range [0:*]
set format y "%.0f"
set format y2 "%.0f"
set y2tics nomirror out
set border 11 lw 1.5
set xlabel "reply size (bytes)"
set ylabel "replies that arrived whole (%)  (solid)"
set y2label "replies cut short / timed out  (dashed)"

@BEGIN_PNG
plot for [i=1:N] f(i) using 1:2:3:4 axes x1y1 with yerrorlines lw LW pt pt(i) ps PS lc rgb col(i) title ttl(i), \
     for [i=1:N] f(i) using 1:5 axes x1y2 with linespoints dt (10, 6) lw LW2 pt pto(i) ps PS lc rgb col(i) notitle
@END_SVG

# ports.gp -- connections established (left axis, solid, min-max bars) and
# connect() failures with EADDRNOTAVAIL (right axis, dashed) as the number of
# connections grows past the local port range.
#
# data (one file per series):
#   conns established_median established_min established_max eaddrnotavail_median
# call: gnuplot -c /abs/scripts/plots/ports.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

set yrange [0:*]
set link y2            # same scale: each connection either got a port or did not
set format y "%.0f"
set format y2 "%.0f"
set y2tics nomirror out
set border 11 lw 1.5
set xlabel "connections opened (held open)"
set ylabel "established  (solid, bars: min–max)"
set y2label "failed: EADDRNOTAVAIL, no local port  (dashed)"

@BEGIN_PNG
plot for [i=1:N] f(i) using 1:2:3:4 axes x1y1 with yerrorlines lw LW pt pt(i) ps PS lc rgb col(i) title ttl(i), \
     for [i=1:N] f(i) using 1:5 axes x1y2 with linespoints dt (10, 6) lw LW2 pt pto(i) ps PS lc rgb col(i) notitle
@END_SVG

# recv_size.gp -- throughput (MB/s, left axis, solid with min-max bars) and
# recv() calls per second (right axis, log, dashed, open points) vs the size
# asked of each recv(); one colour per server model.
#
# data (one file per series):
#   recv_size mbps_median mbps_min mbps_max recv_calls_per_s
# call: gnuplot -c /abs/scripts/plots/recv_size.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

scol = 5; @SCAN     # calls/s extents: pad the log y2 axis by hand

set logscale x 2
eval tics_pow2('x', 2, 'bytes')
set yrange [0:*]
set format y "%.0f"
set logscale y2 10
if (DMIN == DMIN && DMIN > 0) { set y2range [DMIN / 1.3 : DMAX * 1.3] } else { set y2range [1:10] }  # no calls/s column: an empty axis, not an error
eval tics_log10('y2', '1 2 5')
set y2tics nomirror out
set my2tics 10
set border 11 lw 1.5
set xlabel "recv() size (bytes)"
set ylabel "MB/s  (solid, bars: min–max)"
set y2label "recv() calls/s  (dashed, open points)"

@BEGIN_PNG
plot for [i=1:N] f(i) using 1:2:3:4 axes x1y1 with yerrorlines lw LW pt pt(i) ps PS lc rgb col(i) title ttl(i), \
     for [i=1:N] f(i) using 1:5 axes x1y2 with linespoints dt (10, 6) lw LW2 pt pto(i) ps PS lc rgb col(i) notitle
@END_SVG

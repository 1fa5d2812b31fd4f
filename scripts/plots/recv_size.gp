# recv_size.gp -- two stacked panels over the size asked of each recv(), one
# scale each (two y axes on one panel, one linear and one log, crossed and
# were read as one): top, throughput in MB/s (linear from 0, min-max bars);
# bottom, recv() calls per second (log).  One colour per server model.
#
# data (one file per series):
#   recv_size mbps_median mbps_min mbps_max recv_calls_per_s
# call: gnuplot -c /abs/scripts/plots/recv_size.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

scol = 5; @SCAN     # calls/s extents: pad the log axis by hand
CMIN = (DMIN == DMIN && DMIN > 0) ? DMIN / 1.5 : 1
CMAX = (DMAX == DMAX && DMAX > 0) ? DMAX * 1.5 : 10

set logscale x 2
eval tics_pow2('x', 2, 'bytes')
set key inside top left

DRAW = "set multiplot title title font ',22' layout 2,1 margins 0.1, 0.8, 0.12, 0.88 spacing 0, 0.06; unset title; " . \
  "unset logscale y; set yrange [0:*]; set format y '%.0f'; set ylabel 'MB/s (bars: min–max)'; " . \
  "set xlabel ''; set format x ''; set key outside right top; " . \
  "plot for [i=1:N] f(i) using 1:2:3:4 with yerrorlines lw LW pt pt(i) ps PS lc rgb col(i) title ttl(i); " . \
  "set logscale y 10; set yrange [CMIN:CMAX]; set ylabel 'recv() calls/s (log)'; " . \
  "set xlabel 'recv() size (bytes)'; set format x '% h'; " . \
  "plot for [i=1:N] f(i) using 1:5 with linespoints lw LW pt pto(i) ps PS lc rgb col(i) notitle; " . \
  "unset multiplot"
# the y tics of the log panel: 1, 2, 5 x 10^k
DRAW = DRAW[1:strstrt(DRAW, "set logscale y 10;") - 1] . tics_log10('y', '1 2 5') . "; " . DRAW[strstrt(DRAW, "set logscale y 10;"):*]

@BEGIN_PNG
@DRAW
@BEGIN_SVG
@DRAW
@CLOSE_SVG

# fairness.gp -- clients served (% of the connections) vs concurrent
# connections, one series per server model; a point below 100% is labelled
# "S of C served" above it, to its right (to its left at the largest x).
#
# data (one file per series): conns served_pct_median min max jain_median
# call: gnuplot -c /abs/scripts/plots/fairness.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

scol = 1; @SCAN; XMAX = DMAX   # the last x: its labels go left, not off the plot
served(i) = sprintf('%.0f of %.0f served', $2 * $1 / 100, $1)

set logscale x 10
eval tics_log10('x', '1 2 5')
set yrange [0:112]
set ytics 0, 20, 100
set format y "%.0f%%"
set offsets graph 0.03, graph 0.03, 0, 0
set xlabel "concurrent connections"
set ylabel "clients served: got at least one reply"
# Series drawn last to first, each wider than the one drawn after it: where
# they coincide (every client served: 100%) all their colours show as a
# ribbon, the first series thinnest on top; the key keeps their order.
lwi(i) = LW + 1.2 * (i - 1)

@BEGIN_PNG
plot for [i=1:N] keyentry with yerrorlines lw LW pt pt(i) ps PS lc rgb col(i) title ttl(i), \
     for [i=N:1:-1] f(i) using 1:2:3:4 with yerrorlines lw lwi(i) pt pt(i) ps PS lc rgb col(i) notitle, \
     for [i=1:N] f(i) using 1:($2 < 99.5 && $1 < XMAX ? $2 : NaN):(served(i)) \
         with labels left offset char 1.2,1.2 font ',15' tc rgb col(i) notitle, \
     for [i=1:N] f(i) using 1:($2 < 99.5 && $1 >= XMAX ? $2 : NaN):(served(i)) \
         with labels right offset char -1.2,2.2 font ',15' tc rgb col(i) notitle
@END_SVG

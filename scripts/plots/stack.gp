# stack.gp -- one stacked bar per group (a lesson's case, or a cell): the
# share of each outcome, in %, each segment labelled with its share when it
# is wide enough to hold the number.
#
# data (one file per outcome, the same groups in the same order):
#   group "label" bottom top      (top - bottom: this outcome's share, %)
# call: gnuplot -c /abs/scripts/plots/stack.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

stats f(1) using 1 nooutput
NG = STATS_max
set xrange [0.4:NG + 0.6]
set yrange [0:100]
set ytics 0, 20, 100
set format y "%.0f%%"
set xtics scale 0 noenhanced
if (NG > 5) { set xtics font ',13' }
set ylabel "share of the client's tries"
set key at screen 0.5, screen 0.17 center top horizontal maxrows 3 Left reverse noenhanced font ",13" width 1 samplen 2
set bmargin 9
set style fill solid 0.8 border rgb '#ffffff'
W = 0.35
seg(b, t) = (t - b >= 6) ? sprintf("%.0f%%", t - b) : ''

@BEGIN_PNG
plot for [i=1:N] f(i) using 1:(($3 + $4) / 2):($1 - W):($1 + W):3:4:xtic(2) \
         with boxxyerror lc rgb col(i) title ttl(i), \
     for [i=1:N] f(i) using 1:(($3 + $4) / 2):(seg($3, $4)) with labels tc rgb '#ffffff' font ',15' notitle
@END_SVG

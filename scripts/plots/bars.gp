# bars.gp -- groups of bars (a lesson's case, or a cell of word axes), one
# bar per measure, each with its min-max over repeats and its number on top.
#
# data (one file per measure, the same groups in the same order):
#   group "label" median min max
# call: gnuplot -c /abs/scripts/plots/bars.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp), ylabel
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

stats f(1) using 1 nooutput
NG = STATS_max
YMAX = 0
do for [i=1:N] { stats f(i) using 5 nooutput; if (STATS_max > YMAX) { YMAX = STATS_max } }
set xrange [0.4:NG + 0.6]
set yrange [0:(YMAX > 0 ? YMAX * 1.2 : 1)]
set xtics scale 0 noenhanced
if (NG > 4) { set xtics rotate by -20 }
set ylabel "per connection"
set key at screen 0.5, screen 0.17 center top horizontal maxrows 2 Left reverse noenhanced font ",13" width 1 samplen 2
set bmargin 10
set style fill solid 0.8 border rgb '#ffffff'
W = 0.8 / N
xc(g, i) = g - 0.4 + W * (i - 0.5)
lab(v) = (v == int(v)) ? sprintf("%d", v) : sprintf("%.2f", v)

@BEGIN_PNG
plot for [i=1:N] f(i) using (xc($1, i)):3:(xc($1, i) - W * 0.45):(xc($1, i) + W * 0.45):(0):3 \
         with boxxyerror lc rgb col(i) title ttl(i), \
     f(1) using 1:(NaN):xtic(2) notitle, \
     for [i=1:N] f(i) using (xc($1, i)):3:4:5 with yerrorbars lc rgb '#333333' pt -1 notitle, \
     for [i=1:N] f(i) using (xc($1, i)):5:(lab($3)) with labels offset 0, 0.8 font ',13' notitle
@END_SVG

# herd.gp -- the thundering herd: for each prefork accept mode, the wake-ups
# that found nothing to accept (bars, min-max over repeats) and the spread of
# accepts over the workers (right axis: busiest and idlest worker).
#
# data (one file, one line per accept mode):
#   index "mode" empty_median empty_min empty_max accepts_busiest accepts_idlest
# call: gnuplot -c /abs/scripts/plots/herd.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

set style fill solid 0.6 border -1
set boxwidth 0.5
set xrange [0.4:3.6]
set yrange [0:*]
set y2range [0:*]
set format y "%.0f"
set format y2 "%.0f"
set y2tics nomirror out
set border 11 lw 1.5
set xlabel "accept mode (prefork workers)"
set ylabel "empty wake-ups (accept() said EAGAIN)"
set y2label "accepts per worker: busiest / idlest"

@BEGIN_PNG
plot f(1) using 1:3:xtic(2) with boxes lc rgb col(1) title "empty wake-ups", \
     f(1) using 1:3:4:5 with yerrorbars lc rgb '#333333' lw LW notitle, \
     f(1) using 1:6 axes x1y2 with points pt 7 ps 2*PS lc rgb '#d62728' title "busiest worker's accepts", \
     f(1) using 1:7 axes x1y2 with points pt 6 ps 2*PS lc rgb '#d62728' title "idlest worker's accepts"
@END_SVG

# herd.gp -- the thundering herd, two panels.  Left: for each prefork accept
# mode, the wake-ups that found nothing to accept per connection accepted
# (bars, min-max over repeats).  Right: every worker's accepts, busiest
# first, one thin bar per worker grouped by mode: an uneven share (one
# worker taking most connections) is visible at a glance, each mode labelled
# "idlest to busiest".
#
# data: FILES[1] = .../herd-0.dat, one line per accept mode:
#   index "mode" empty_per_accept_median min max accepts_busiest accepts_idlest
# and, beside it, herd-1.dat: one block per mode of "x rank accepts".
# call: gnuplot -c /abs/scripts/plots/herd.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

F0 = f(1)
F1 = F0[1:strlen(F0) - 5].'1.dat'    # herd-0.dat -> herd-1.dat
stats F0 using 1 nooutput
NM = STATS_records

set style fill solid 0.7 border -1
set xrange [0.4 : NM + 0.6]
set yrange [0:*]
set border 3 lw 1.5
set key inside top right
set xtics scale 0

DRAW = "set multiplot title title font ',22' layout 1,2 margins 0.09, 0.98, 0.14, 0.84 spacing 0.12, 0; unset title; set boxwidth 0.5 relative; " . \
  "set xlabel 'accept mode (8 prefork workers)'; set ylabel 'empty wake-ups per accept'; set format y '%.2f'; " . \
  "plot F0 using 1:3:xtic(2) with boxes lc rgb '#e377c2' fs solid 0.6 notitle, " . \
  "     F0 using 1:3:4:5 with yerrorbars lc rgb '#333333' lw LW pt 0 notitle, " . \
  "     F0 using 1:3:(sprintf('%.2f', $3)) with labels offset 0,1 font ',16' notitle; " . \
  "set ylabel 'accepts per worker (bars: workers, busiest first)'; set yrange [0:*] writeback; set offsets 0, 0, graph 0.1, 0; set format y '%.0f'; " . \
  "plot F0 using 1:(NaN):xtic(2) notitle, " . \
  "     F1 using 1:3:(0.8 / 8 * 0.85) with boxes lc rgb '#1f77b4' fs solid 0.7 notitle, " . \
  "     F0 using 1:6:(sprintf('%.0f to %.0f', $7, $6)) with labels offset 0,0.9 font ',15' notitle; " . \
  "unset multiplot"

@BEGIN_PNG
@DRAW
@BEGIN_SVG
@DRAW
@CLOSE_SVG

# animate.gp -- `sockbench plot --animate`: the accept queue (left) and the
# connections completed (right) growing over a connect-mode run, one frame
# per DT seconds of run time, as an animated GIF (out.gif, 1280x720, loops).
#
# data (one file per series, gnuplot `index` blocks two blank lines apart):
#   block 0        t_s queue_len limit      the accept-queue samples
#   block k=1..NF  connect_time_s fraction  the connect CDF at frame k: the
#                  connections whose connect time is <= t_k (= completed by
#                  t_k, as every connect starts at t = 0), a share of those
#                  attempted, from (0, 0) to (t_k, its value)
# call: gnuplot -c /abs/scripts/plots/animate.gp PARAMS
#   PARAMS: FILES, TITLES, out, title, term, linear (common.gp,
#   connect_cdf.gp) and NF (frames), DT (s a frame), TMAX (s, the x axes'
#   end), YMAX (the queue axis' top), delay (1/100 s a frame), hold (times
#   the last frame is shown again before the loop restarts).
# One frame as a PNG (to look at it; same look, out-frameK.png):
#   gnuplot -e 'frame = K' -c /abs/scripts/plots/animate.gp PARAMS
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'
if (!exists("NF") || !exists("DT") || !exists("TMAX")) {
    print 'no NF, DT or TMAX in '.PARAMS.' (scripts/plots/animate.gp)'
    exit status 2
}
if (!exists("YMAX"))   YMAX = 1
if (!exists("delay"))  delay = 10
if (!exists("hold"))   hold = 0
if (!exists("linear")) linear = 0
if (!exists("frame"))  frame = 0
NF = int(NF); frame = int(frame); delay = int(delay); hold = int(hold)

if (frame > 0) {
    eval "set terminal ".term." ".PNG_OPTS
    set output out.sprintf('-frame%d.png', frame)
} else {
    # libgd's gif: 256 colours, which the palette and greys fit; no
    # dashes (so the limit is dotted with points, below); no `optimize`:
    # it drops a frame that repeats the last (the hold)
    eval sprintf("set terminal gif animate delay %d loop 0 size 1280,720 font 'Sans,15' linewidth 1.4 noenhanced", delay)
    set output out.'.gif'
}

# The SYN retries (as connect_cdf.gp): 1 s, then 1 s apart for `linear`
# retries (tcp_syn_linear_timeouts), then doubling.
array RETRY[3]
t = 1.0; d = 1.0; NR = 0
do for [r=1:3] {
    if (t < TMAX) { NR = r; RETRY[r] = t }
    if (r > linear) { d = d * 2 }
    t = t + d
}

# both panels: run time on x, fixed ranges (nothing jumps between frames)
set xrange [0:TMAX]
set offsets 0, 0, 0, 0
set key noautotitle
set title font ",18"
# the limit as a dotted line: a point every ~1/60 of the run (the samples
# come every --queue-sample, 10 ms by default; gd cannot dash)
if (!exists("NSAMP")) NSAMP = 250
LIMIT_EVERY = (NSAMP / 60 > 1) ? int(NSAMP / 60) : 1
LEFT_L = 0.075; LEFT_R = 0.475; RIGHT_L = 0.575; RIGHT_R = 0.975
set tmargin at screen 0.76
set bmargin at screen 0.12

# frame k: time T; the legend, across the top (a plot of key entries
# only, as wide as the figure); the queue up to T (column filter on block
# 0); the CDF of frame k (block k); a line at T on both panels
DRAW_FRAME = "T = (k * DT < TMAX) ? k * DT : TMAX; " . \
  "set multiplot title title.sprintf('   t = %.1f s', T) font ',22'; " . \
  "unset arrow; unset label; " . \
  "set lmargin at screen 0.02; set rmargin at screen 0.98; unset title; unset xlabel; unset ylabel; " . \
  "set border 0; unset xtics; unset ytics; set yrange [0:1]; " . \
  "set key at screen 0.5, screen 0.875 center center horizontal font ',16' samplen 2.5 spacing 1.2 width 2; " . \
  "plot NaN notitle, for [i=1:N] keyentry with lines lw LW lc rgb col(i) title ttl(i), " . \
  "     keyentry with lines lw LW lc rgb 'black' title 'queue length', " . \
  "     keyentry with points pt 7 ps 0.9 lc rgb 'black' title 'limit'; " . \
  "unset key; set border 3 lw 1.5; set xtics autofreq; set tics nomirror out scale 1.2, 0.6 font ',16'; " . \
  "do for [r=1:NR] { set arrow from RETRY[r], graph 0 to RETRY[r], graph 1 nohead back dt (6, 6) lw 1.5 lc rgb '#909090' }; " . \
  "set arrow from T, graph 0 to T, graph 1 nohead front lw 2 lc rgb '#303030'; " . \
  "set lmargin at screen LEFT_L; set rmargin at screen LEFT_R; " . \
  "set title 'accept queue: connections waiting for accept()' font ',18'; set xlabel 'time since the connects started (s)' font ',18'; " . \
  "set ylabel 'connections in the queue' font ',18'; set yrange [0:YMAX]; set format y '%.0f'; set ytics nomirror autofreq; " . \
  "plot for [i=1:N] f(i) index 0 using 1:3 every LIMIT_EVERY with points pt 7 ps 0.9 lc rgb col(i) notitle, " . \
  "     for [i=1:N] f(i) index 0 using 1:($1 <= T ? $2 : NaN) with lines lw LW lc rgb col(i) notitle; " . \
  "set lmargin at screen RIGHT_L; set rmargin at screen RIGHT_R; " . \
  "set title 'connections completed by t' font ',18'; set xlabel 'connect time (s): all connects start at 0' font ',18'; " . \
  "set ylabel 'fraction of connections' font ',18'; set yrange [0:1.04]; set ytics 0, 0.2, 1 nomirror; set format y '%.1f'; " . \
  "do for [r=1:NR] { set label sprintf('SYN retry %d', r) at RETRY[r], graph 0.5 rotate by 90 center offset -1, 0 tc rgb '#555555' font ',13' front }; " . \
  "plot for [i=1:N] f(i) index k using 1:2 with steps lw LW lc rgb col(i) notitle; " . \
  "unset multiplot"

if (frame > 0) {
    k = (frame > NF) ? NF : frame
    eval DRAW_FRAME
} else {
    do for [k=1:NF] { eval DRAW_FRAME }
    k = NF
    do for [h=1:hold] { eval DRAW_FRAME }
}
unset output

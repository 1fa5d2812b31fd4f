# established.gp -- connections completed without a SYN retry vs the listen()
# backlog requested, one series per somaxconn: the kernel clamps the backlog
# to somaxconn, and accepts one more than the backlog (SPEC 8).
#
# data (one file per series): backlog median min max
#   median/min/max over repeats. backlog 0 is drawn at the "0" tic left of 1.
# call: gnuplot -c /abs/scripts/plots/established.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

bx(b) = (b <= 0) ? 0.5 : b          # log axis: backlog 0 sits at 0.5, labelled "0"
set logscale x 2
eval tics_pow2('x', 1, 'int')
set xtics add ("0" 0.5)
set logscale y 2
eval tics_pow2('y', 1, 'int')
set xlabel "listen() backlog requested"
set ylabel "connections completed without SYN retry"

@BEGIN_PNG
plot for [i=1:N] f(i) using (bx($1)):2:3:4 with yerrorlines lw LW pt pt(i) ps PS lc rgb col(i) title ttl(i)
@END_SVG

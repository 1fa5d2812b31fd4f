# overflows.gp -- ListenOverflows (SYNs / ACKs the kernel dropped because the
# accept queue was full) vs the listen() backlog, one series per somaxconn.
#
# data (one file per series): backlog median min max
#   median/min/max over repeats of the ListenOverflows delta (nstat
#   TcpExtListenOverflows). backlog 0 is drawn at the "0" tic left of 1.
# call: gnuplot -c /abs/scripts/plots/overflows.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

bx(b) = (b <= 0) ? 0.5 : b
set logscale x 2
eval tics_pow2('x', 1, 'int')
set xtics add ("0" 0.5)
set yrange [0:*]
set format y "%.0f"
set xlabel "listen() backlog requested"
set ylabel "ListenOverflows (SYNs / ACKs dropped)"

@BEGIN_PNG
plot for [i=1:N] f(i) using (bx($1)):2:3:4 with yerrorlines lw LW pt pt(i) ps PS lc rgb col(i) title ttl(i)
@END_SVG

# tail.gp -- p99 latency vs concurrent connections (log-log), one series per model.
#
# A run where clients starved (column 5 > 0) gets an open circle and
# "S of C starved" (the p99 counts their waiting: load.requests.latency_us).
#
# data (one file per series): conns median min max [starved]
#   (p99 in microseconds; starved: median clients with no reply)
# call: gnuplot -c /abs/scripts/plots/tail.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

STARVED_DY = 1.3; @STARVED_SCAN

set logscale x 10
eval tics_log10('x', '1 2 5')
set logscale y 10
eval tics_log10('y', '1 2 5')
set offsets graph 0.03, graph 0.03, graph 0.1, graph 0.05   # room for a "starved" label
set xlabel "concurrent connections"
set ylabel "p99 latency (µs)"

@BEGIN_PNG
plot for [i=1:N] f(i) using 1:2:3:4 with yerrorlines lw LW pt pt(i) ps PS lc rgb col(i) title ttl(i) @STARVED
@END_SVG

# models.gp -- requests/s vs concurrent connections, one series per server model;
# a run where clients starved (column 5 > 0) gets an open circle and
# "S of C starved": its requests/s went to the clients that were served.
#
# data (one file per series): conns median min max [starved]
#   (requests/s over repeats; starved: median clients with no reply)
# call: gnuplot -c /abs/scripts/plots/models.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

STARVED_DY = 1.3; @STARVED_SCAN

set logscale x 10
eval tics_log10('x', '1 2 5')
set yrange [0:*]
set format y "%.0f"
set xlabel "concurrent connections"
set ylabel "requests/s"

@BEGIN_PNG
plot for [i=1:N] f(i) using 1:2:3:4 with yerrorlines lw LW pt pt(i) ps PS lc rgb col(i) title ttl(i) @STARVED
@END_SVG

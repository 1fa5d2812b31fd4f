# accept_queue.gp -- accept-queue length over time (solid) and its limit
# (dashed, same colour), one series per backlog.
#
# data (one file per series): t_s queue_len limit
#   queue_len = connections waiting for accept() (ss Recv-Q of the listener),
#   limit = the queue's limit (min(backlog, somaxconn); ss Send-Q).
# call: gnuplot -c /abs/scripts/plots/accept_queue.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'

set offsets 0, 0, graph 0.08, 0
set yrange [0:*]
set format y "%.0f"
set xlabel "time (s)"
set ylabel "connections waiting in the accept queue"

@BEGIN_PNG
plot for [i=1:N] f(i) using 1:3 with lines dt (10, 6) lw LW2 lc rgb col(i) notitle, \
     for [i=1:N] f(i) using 1:2 with lines lw LW lc rgb col(i) title ttl(i), \
     keyentry with lines lw LW lc rgb 'black' title 'queue length', \
     keyentry with lines dt (10, 6) lw LW2 lc rgb 'black' title 'limit'
@END_SVG

# tail.gp -- p99 latency vs concurrent connections (log-log), one series per model.
#
# data (one file per series): conns median min max   (p99 in microseconds)
# call: gnuplot -e "files='...'; titles='epoll poll'; out='...'; title='...'; \
#                   term='pngcairo'; dir='...'" tail.gp
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
load dir.'/common.gp'

set logscale x 10
eval tics_log10('x', '1 2 5')
set logscale y 10
eval tics_log10('y', '1 2 5')
set xlabel "concurrent connections"
set ylabel "p99 latency (µs)"

@BEGIN_PNG
plot for [i=1:N] f(i) using 1:2:3:4 with yerrorlines lw LW pt pt(i) ps PS lc rgb col(i) title ttl(i)
@END_SVG

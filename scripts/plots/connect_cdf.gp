# connect_cdf.gp -- CDF of connect() time, one series per backlog (SPEC 8).
#
# data (one file per series): connect_time_ms fraction
#   one row per completed connection, sorted by time; fraction = share of
#   ALL attempted connections done by then (so a run where some never
#   connected ends below 1). '#' lines are comments.
# call: gnuplot -c /abs/scripts/plots/connect_cdf.gp PARAMS
#   PARAMS: a file of FILES, TITLES, out, title, term (common.gp), and
#   optionally marks=0, which hides the SYN-retransmit guide lines, and linear=N,
#   the kernel's tcp_syn_linear_timeouts (0: 1, 3, 7 s ...; 4: 1, 2, 3, 4, 5, 7 s ...)
if (!exists("dir")) { dir = '.'; if (exists("ARG0")) { do for [k=strlen(ARG0):1:-1] { if (ARG0[k:k] eq '/') { dir = (k > 1) ? ARG0[1:k-1] : '/'; break } } } }
PARAMS = ARG1    # `load` hides ARG1 from common.gp
load dir.'/common.gp'
if (!exists("marks")) marks = 1

# First and last point of every series: the CDF is drawn from 0 at the
# first connection and carried on to the right edge after the last one.
array X1[N > 0 ? N : 1]; array Y1[N > 0 ? N : 1]; array XN[N > 0 ? N : 1]; array YN[N > 0 ? N : 1]
do for [i=1:N] { X1[i] = NaN; XN[i] = NaN }
DXMAX = 0
# one table over all files (series number, x, y): a missing or empty file is
# then only a warning
set table $cdf
plot for [i=1:N] f(i) using (i):1:2 with table
unset table
do for [k=1:|$cdf|] {
    if (words($cdf[k]) >= 3) {
        i = int(word($cdf[k], 1)); x = word($cdf[k], 2) + 0.0; y = word($cdf[k], 3) + 0.0
        if (x > 0) {
            if (X1[i] != X1[i]) { X1[i] = x; Y1[i] = y }
            XN[i] = x; YN[i] = y
            if (x > DXMAX) { DXMAX = x }
        }
    }
}

XMIN = 0.01
XMAX = (DXMAX > 10000) ? 10**ceil(log10(DXMAX)) : 10000
set logscale x 10
set xrange [XMIN:XMAX]
set format x "%g"
set mxtics 10
set yrange [0:1.04]
set ytics 0, 0.1, 1
set format y "%.1f"
set xlabel "connect time (ms)"
set ylabel "fraction of connections"

do for [i=1:N] {
    if (X1[i] == X1[i]) {
        y1 = (Y1[i] < 0) ? 0 : (Y1[i] > 1.04) ? 1.04 : Y1[i]     # arrows are not clipped
        yn = (YN[i] < 0) ? 0 : (YN[i] > 1.04) ? 1.04 : YN[i]
        set arrow from X1[i], 0 to X1[i], y1 nohead back lw LW lc rgb col(i)
        if (XN[i] < XMAX) { set arrow from XN[i], yn to graph 1, first yn nohead back lw LW lc rgb col(i) }
    }
}

# Linux retransmits an unanswered SYN after 1 s; the next waits are 1 s
# each for the first `linear` retries (net.ipv4.tcp_syn_linear_timeouts,
# kernels >= 6.5: 1, 2, 3, 4, 5 s ...), then double (older kernels, linear=0:
# 1, 3, 7, 15 s).  sockbench plot passes `linear` from the run's sysctls.
if (!exists("linear")) linear = 0
if (marks) {
    t = 1000; d = 1000; r = 1
    while (t < XMAX && r <= 3) {
        set arrow from t, graph 0 to t, graph 1 nohead back dt (6, 6) lw 1.5 lc rgb '#909090'
        set label sprintf("SYN retry %d (%g s)", r, t / 1000.0) at t, graph 0.5 rotate by 90 center offset -1, 0 tc rgb '#555555' font ",14" front
        if (r > linear) { d = d * 2 }
        t = t + d; r = r + 1
    }
}

@BEGIN_PNG
plot for [i=1:N] f(i) using 1:2 with steps lw LW lc rgb col(i) title ttl(i)
@END_SVG

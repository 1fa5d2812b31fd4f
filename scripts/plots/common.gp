# common.gp -- shared settings for every sockbench figure (SPEC section 8).
#
# Loaded by each figure script right after it has worked out `dir`:
#     PARAMS = ARG1    # `load` hides ARG1 from common.gp
#     load dir.'/common.gp'
#
# A figure script is called with one argument, a file of parameters:
#     gnuplot -c /abs/scripts/plots/models.gp /abs/DIR/plots/data/models-params.gp
# (`sockbench plot` writes that file and starts gnuplot with that argv, no
# shell).  The file is gnuplot assignments, one a line, every string in
# single quotes (nothing is special inside them but '' for a quote; in
# double quotes backquotes run commands):
#   FILES    array of data files, one per series; absolute paths
#   TITLES   array of series titles, same order (default: the file names)
#   out      output path without extension; writes out.png and out.svg
#   title    figure title                                        (default '')
#   term     'pngcairo' (default) or 'png' (libgd, if cairo is missing)
# and, for connect_cdf.gp, `linear` and `marks`.  `dir`, the directory of
# these scripts, is worked out from the script's path (ARG0).
#
# gnuplot reads a file named '<cmd' from a command and `set output '|cmd'`
# writes to one: every path taken from the parameters that does not start
# with '/' gets './' in front here, so none can start with '<' or '|'.
#
# What it gives the figure scripts:
#   N            number of series (|FILES|)
#   f(i)         i-th data file;  ttl(i)  its title (file name if TITLES is short)
#   col(i)       colour of series i, a "#rrggbb" string:
#                  a title that is exactly a server model name gets the same
#                  colour in every figure; any other title (backlog=8,
#                  somaxconn=128, send, epoll,backlog=8, ...) gets PALETTE
#                  by its position i, so series in one figure stay distinct
#   pt(i)        filled point type of series i; pto(i) the open variant
#   LW, PS       line width and point size of data lines; LW2 the width of
#                dashed lines (thin on term=png, which cannot dash)
#   num(v)       tic label: 950, 5000, 20k, 1.5M
#   bytes(v)     tic label for sizes in bytes: 64, 256, 1k, 64k, 1M
#   tics_log10(ax, marks)   command string (eval it): labelled tics at
#                m*10^k for every m in marks ('1' or '1 2 5'), minor tics at
#                the other m*10^k; ax is 'x', 'y', 'x2' or 'y2'
#   tics_pow2(ax, step, fn) command string (eval it): labelled tics at 2^e
#                for e % step == 0 (label fn(v): 'bytes' or 'int'), minor
#                tics at the other powers of two
#   @SCAN        macro: with `scol` set to a column number, DMIN and DMAX
#                become the smallest and largest value of that column over
#                all files (NaN if there is none); for ranges that `set
#                offsets` does not pad (x2, y2). Use it before any
#                `set logscale`.
#   @STARVED_SCAN  macro: with STARVED_DY set, STARVED becomes the plot
#                clauses (a string, starting ", ") that mark the points
#                whose column 5 - clients that starved, of the connections
#                in column 1 - is above 0: an open circle round the point,
#                "S of C starved" ending just left of it, STARVED_DY
#                characters above (below when negative), and a key entry;
#                "" when no file has such a point (also when it has no
#                column 5).  Use before any `set logscale`, then
#                `plot ... @STARVED`.  (Macros and eval strings hold no
#                parameter's text: files and titles are reached by index.)
#   @BEGIN_PNG   macro: open out.png on `term` (1280x720)
#   @END_SVG     macro: close the PNG, replot the same figure to out.svg
#                (1280x720), close it
#   @BEGIN_SVG, @CLOSE_SVG  the same for a figure of several panels
#                (multiplot, which cannot be replotted): draw it again between them
#
# A figure script is therefore: set labels/scales; @BEGIN_PNG; plot ...; @END_SVG

reset
if (!exists("PARAMS") || PARAMS eq '') {
    print 'usage: gnuplot -c SCRIPT.gp PARAMS (scripts/plots/README.md)'
    exit status 2
}
path(s) = (s[1:1] eq '/') ? s : './'.s
load path(PARAMS)
if (!exists("out"))   out   = 'plot'
if (!exists("title")) title = ''
out  = path(out)
# term goes into a command (@BEGIN_PNG): one of two words, nothing else
term = (exists("term") && term eq 'png') ? 'png' : 'pngcairo'

if (!exists("FILES")) {
    print 'no FILES in '.PARAMS.' (scripts/plots/README.md)'
    exit status 2
}
if (!exists("TITLES")) { array TITLES[1]; TITLES[1] = FILES[1] }
N = |FILES|
f(i)   = path(FILES[i])
ttl(i) = (|TITLES| >= i) ? TITLES[i] : FILES[i]

# ---- colours -----------------------------------------------------------
# Fixed colour per server model (the same in every figure), then a palette
# for everything else, taken by position.
MODELS        = "blocking fork thread prefork poll select epoll libevent uring py-blocking py-threading py-selectors py-asyncio"
MODEL_COLOURS = "#8c564b #d62728 #ff7f0e #e377c2 #17becf #7f7f00 #1f77b4 #9467bd #2ca02c #c49c94 #b8860b #6baed6 #000000"
#                brown   red     orange  pink    cyan    olive   blue    purple  green   tan     gold    sky     black
PALETTE       = "#0072b2 #d55e00 #009e73 #cc79a7 #e69f00 #56b4e9 #000000 #a6761d #7570b3 #999999"
#                blue    vermil. green   purple  orange  sky     black   ochre   violet  grey
PTS           = "7 5 9 11 13 15 7 5 9 11"

# index of word t in list (0 if absent)
widx(t, list, k) = (k > words(list)) ? 0 : ((word(list, k) eq t) ? k : widx(t, list, k + 1))
model_of(i) = widx(ttl(i), MODELS, 1)
col(i) = (model_of(i) > 0) ? word(MODEL_COLOURS, model_of(i)) \
                           : word(PALETTE, (i - 1) % words(PALETTE) + 1)
pt(i)  = int(word(PTS, ((model_of(i) > 0 ? model_of(i) : i) - 1) % words(PTS) + 1))
pto(i) = pt(i) - 1

LW = 3
PS = 1.5
# width of the dashed (secondary) lines: libgd's png terminal cannot dash,
# so there they are drawn thin instead
LW2 = (term eq 'png') ? 1 : LW

# ---- tic labels --------------------------------------------------------
num(v)   = (v >= 1e6) ? sprintf("%gM", v / 1e6) : \
           (v >= 1e4) ? sprintf("%gk", v / 1e3) : sprintf("%g", v)
bytes(v) = (v >= 2**30) ? sprintf("%gG", v / 2.0**30) : \
           (v >= 2**20) ? sprintf("%gM", v / 2.0**20) : \
           (v >= 2**10) ? sprintf("%gk", v / 2.0**10) : sprintf("%g", v)
tics_log10(ax, marks) = "set ".ax."tics (); do for [e=-3:9] { do for [m=1:9] { " . \
    "lab = strstrt(' ".marks." ', ' '.m.' ') ? num(m*10.0**e) : ''; lev = (lab eq '') ? 1 : 0; " . \
    "set ".ax."tics add (lab m*10.0**e lev) } }"
tics_pow2(ax, step, fn) = "set ".ax."tics (); do for [e=0:40] { v = 2.0**e; " . \
    "lev = (e % ".step." == 0) ? 0 : 1; lab = lev ? '' : ".(fn eq 'bytes' ? "bytes(v)" : "sprintf('%.0f', v)")."; " . \
    "set ".ax."tics add (lab v lev) }"

# ---- data extents -----------------------------------------------------
SCAN = "set table $scan; plot for [i=1:N] f(i) using 1:scol with table; unset table; " . \
       "DMIN = NaN; DMAX = NaN; do for [k=1:|$scan|] { if (words($scan[k]) >= 2) { v = word($scan[k], 2) + 0.0; " . \
       "if (DMIN != DMIN || v < DMIN) { DMIN = v }; if (DMAX != DMAX || v > DMAX) { DMAX = v } } }"

# ---- clients that starved (models.gp, tail.gp) ------------------------
# Only the series that have such a point get the clauses: a clause without
# a valid point would make gnuplot warn for every healthy series.
STARVED_DY = 1.3
starved_clause(i) = \
    sprintf(", f(%d) using 1:(column(5) > 0 ? $2 : NaN) with points pt 6 ps 4.5 lw 2.5 lc rgb col(%d) notitle", i, i) . \
    sprintf(", f(%d) using 1:(column(5) > 0 ? $2 : NaN):(sprintf('%%g of %%g starved', $5, $1)) with labels right offset char -1.8,%g font ',15' tc rgb col(%d) notitle", i, STARVED_DY, i)
STARVED_KEY = ", keyentry with points pt 6 ps 3 lw 2.5 lc rgb '#404040' title 'clients starved'"
STARVED_SCAN = "STARVED = ''; do for [i=1:N] { set table $st; plot f(i) using 1:(valid(5) ? column(5) : 0) with table; unset table; " . \
    "m = 0; do for [k=1:|$st|] { if (words($st[k]) >= 2) { v = word($st[k], 2) + 0.0; if (v > m) { m = v } } }; " . \
    "if (m > 0) { STARVED = STARVED . starved_clause(i) } }; if (STARVED ne '') { STARVED = STARVED . STARVED_KEY }"

# ---- look --------------------------------------------------------------
set encoding utf8
set title title font ",22" noenhanced
set xlabel font ",18"
set ylabel font ",18"
set y2label font ",18"
set tics font ",16"
set border 3 lw 1.5
set tics nomirror out scale 1.2, 0.6
set grid xtics ytics mxtics mytics lt 1 lw 1 lc rgb '#d0d0d0', lt 1 lw 0.5 lc rgb '#ececec'
set key outside right top vertical Left reverse noenhanced font ",16" spacing 1.3 samplen 3 width 1
set key noautotitle
set datafile commentschars "#"
# autoscaled ranges end at the data (no stretching to the next tic);
# scripts add a little room with `set offsets graph ...`
set autoscale fix
set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05
set style data lines
set bars 1.5
set lmargin 12
set bmargin 4.5

# ---- output: same figure to PNG then SVG ---------------------------------
if (term eq 'png') {
    PNG_OPTS = "size 1280,720 font 'Sans,15' linewidth 1 truecolor noenhanced"
} else {
    PNG_OPTS = "size 1280,720 font 'Sans,15' linewidth 1.4 rounded noenhanced"
}
BEGIN_PNG = "set terminal ".term." ".PNG_OPTS."; set output out.'.png'"
# The svg terminal draws points about twice as large as cairo: the plot
# commands use `ps PS`, so shrink PS for the replot and restore it after.
SVG_PS = 0.55
# A figure of several panels (multiplot) cannot be replotted: its script
# keeps its plot commands in a string DRAW and runs
#     @BEGIN_PNG; @DRAW; @BEGIN_SVG; @DRAW; @CLOSE_SVG
BEGIN_SVG = "unset output; set terminal svg size 1280,720 fixed font 'sans-serif,15' linewidth 1 rounded noenhanced background rgb 'white'; set output out.'.svg'; PS0 = PS; PS = PS0 * SVG_PS; LW20 = LW2; LW2 = LW"
CLOSE_SVG = "PS = PS0; LW2 = LW20; unset output"
END_SVG   = "unset output; set terminal svg size 1280,720 fixed font 'sans-serif,15' linewidth 1 rounded noenhanced background rgb 'white'; set output out.'.svg'; PS0 = PS; PS = PS0 * SVG_PS; LW20 = LW2; LW2 = LW; replot; PS = PS0; LW2 = LW20; unset output"

#!/bin/sh
# render-samples.sh OUTDIR [TERM] -- render every figure from sample/ into
# OUTDIR (NAME.png and NAME.svg), calling the scripts the way `sockbench plot`
# does: a parameter file (OUTDIR/NAME-params.gp), then
# `gnuplot -c SCRIPT PARAMS`. TERM is pngcairo (default) or png. Exit status:
# 0 if every figure was written, 1 otherwise.
set -u
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUTDIR [pngcairo|png]" >&2
	exit 2
fi
DIR=$(cd "$(dirname "$0")" && pwd)
S="$DIR/sample"
mkdir -p "$1" || exit 1
OUT=$(cd "$1" && pwd)
TERM_=${2:-pngcairo}
fail=0

# gq TEXT: TEXT as a gnuplot string, single-quoted pieces with each quote
# joined on as "'" (gnuplot's '' trips its scanner when two come in a row)
gq() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'.\"'\".'/g")"
}

# fig SCRIPT NAME TITLE "TITLES" FILE...   (titles: one word each here)
fig() {
	script=$1 name=$2 title=$3 titles=$4
	shift 4
	par="$OUT/$name-params.gp"
	{
		echo "out = $(gq "$OUT/$name")"
		echo "title = $(gq "$title")"
		echo "term = $(gq "$TERM_")"
		echo "array FILES[$#]"
		echo "array TITLES[$#]"
		i=1
		for f in "$@"; do
			echo "FILES[$i] = $(gq "$S/$f")"
			i=$((i + 1))
		done
		i=1
		for t in $titles; do
			echo "TITLES[$i] = $(gq "$t")"
			i=$((i + 1))
		done
	} >"$par" || exit 1
	rm -f "$OUT/$name.png" "$OUT/$name.svg"
	if ! gnuplot -c "$DIR/$script.gp" "$par"; then
		echo "render-samples: $script.gp failed for $name" >&2
		fail=1
	elif [ ! -s "$OUT/$name.png" ] || [ ! -s "$OUT/$name.svg" ]; then
		echo "render-samples: $name.png or $name.svg missing" >&2
		fail=1
	else
		echo "$OUT/$name.png $OUT/$name.svg"
	fi
}

fig connect_cdf connect_cdf "Connect time with a paused acceptor, 40 connections" \
	"backlog=8 backlog=32 backlog=128" \
	connect_backlog8.dat connect_backlog32.dat connect_backlog128.dat
fig established established "Connections completed without SYN retry, 200 attempts" \
	"somaxconn=4 somaxconn=128 somaxconn=4096" \
	established_somaxconn4.dat established_somaxconn128.dat established_somaxconn4096.dat
fig overflows overflows "ListenOverflows vs listen() backlog, 200 attempts" \
	"somaxconn=4 somaxconn=128 somaxconn=4096" \
	overflows_somaxconn4.dat overflows_somaxconn128.dat overflows_somaxconn4096.dat
fig models models "Requests per second by model" \
	"blocking fork thread poll epoll" \
	models_blocking.dat models_fork.dat models_thread.dat models_poll.dat models_epoll.dat
fig models models_palette "Colour check: all nine models (synthetic data)" \
	"blocking fork thread prefork poll select epoll libevent uring" \
	palette_blocking.dat palette_fork.dat palette_thread.dat palette_prefork.dat palette_poll.dat \
	palette_select.dat palette_epoll.dat palette_libevent.dat palette_uring.dat
fig tail tail "p99 latency by model" \
	"blocking fork thread poll epoll" \
	tail_blocking.dat tail_fork.dat tail_thread.dat tail_poll.dat tail_epoll.dat
fig fairness fairness "Clients served by model" \
	"blocking fork thread poll epoll" \
	fairness_blocking.dat fairness_fork.dat fairness_thread.dat fairness_poll.dat fairness_epoll.dat
fig recv_size recv_size "Stream throughput and recv() calls by recv() size" \
	"epoll poll blocking" \
	recv_epoll.dat recv_poll.dat recv_blocking.dat
fig send send "send() vs sendall(): 1000 replies per run" \
	"send sendall send(blocking)" \
	send_send.dat send_sendall.dat send_send_blocking.dat
fig accept_queue accept_queue "Accept queue with a slow acceptor (10/s), 20 connections/s" \
	"backlog=4 backlog=16 backlog=64" \
	queue_backlog4.dat queue_backlog16.dat queue_backlog64.dat
exit $fail

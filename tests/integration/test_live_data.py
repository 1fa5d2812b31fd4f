#!/usr/bin/env python3
"""The data behind the live view (issue 18, items 1 and 3; docs/live.md):
the live stream of `load --live-fd N` and `sweep --live-fd N`, the new
keys of load.intervals[] (schema sockbench.run/2), and the per-interval
lines `load` prints on a terminal.

    python3 tests/integration/test_live_data.py [--bin PATH] [-k NAME]

Needs root: re-executes itself under `unshare -n` (the backlog case reads
the namespace's ListenOverflows and fills an accept queue).
"""

import json
import os
import pty
import re
import select
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402

TICK_KEYS = ["kind", "t_s", "requests", "bytes", "connects", "errors", "open",
             "connecting", "syn_retry_waiting", "next_retry_s", "served",
             "starved", "accept_queue", "listen_overflows", "server_accepted"]
START_KEYS = ["kind", "t_s", "mode", "conns", "target", "backlog",
              "interval_s", "duration_s"]
TMP = []


def tmpdir():
    d = tempfile.mkdtemp(prefix="sb-live-")
    TMP.append(d)
    return d


def run_with_pipe(args, timeout, close_reader=False):
    """Run args with a pipe's write end as fd w (`{fd}` in args is
    replaced); returns (proc result, stdout, stderr, the stream's lines)."""
    r, w = os.pipe()
    args = [a.replace("{fd}", str(w)) for a in args]
    if close_reader:
        os.close(r)
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         pass_fds=(w,), text=True)
    sbtest.track(p)
    os.close(w)
    data = b""
    end = time.monotonic() + timeout
    if not close_reader:
        while time.monotonic() < end:
            ready, _, _ = select.select([r], [], [], 0.1)
            if ready:
                chunk = os.read(r, 65536)
                if not chunk:
                    break
                data += chunk
        os.close(r)
    out, err = p.communicate(timeout=max(1, end - time.monotonic()))
    sbtest.untrack(p)
    lines = []
    for ln in data.decode().splitlines():
        lines.append(json.loads(ln))
    return p.returncode, out, err, lines


def load_json(path):
    with open(path) as f:
        return json.load(f)


def same_interval(a, b):
    """An interval record of the stream against load.intervals[i]."""
    if sorted(a) != sorted(b):
        return False
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, float) or isinstance(y, float):
            if not lt.close_enough(x, y):
                return False
        elif x != y:
            return False
    return True


def check_stream_intervals(t, lines, j):
    ivs = [{k: v for k, v in ln.items() if k != "kind"}
           for ln in lines if ln.get("kind") == "interval"]
    want = lt.dig(j, "load.intervals", [])
    t.eq("interval records in the stream", len(want), len(ivs))
    for i, (a, b) in enumerate(zip(ivs, want)):
        t.check(same_interval(a, b), f"stream interval {i} == load.intervals[{i}]",
                b, a)
    t.eq("every interval has the new keys", sorted(lt.INTERVAL_KEYS),
         sorted(want[0]) if want else None)


def test_backlog_stream(t):
    d = tmpdir()
    js = os.path.join(d, "run.json")
    rc, out, err, lines = run_with_pipe(
        [sbtest.BIN, "load", "--serve", "--model epoll --pause-accept --backlog 4",
         "--mode", "connect", "--conns", "20", "--threads", "1",
         "--duration", "2500ms", "--interval", "500ms",
         "--connect-timeout", "2200", "--live-fd", "{fd}", "--json", js,
         "--quiet"], timeout=20)
    t.eq("load exit status", 0, rc)
    t.require(lines, f"no stream lines; stderr: {err[-400:]}")
    t.eq("first record", "start", lines[0].get("kind"))
    t.eq("start keys", START_KEYS, list(lines[0]))
    t.eq("start backlog (effective)", 4, lines[0].get("backlog"))
    t.eq("start mode", "connect", lines[0].get("mode"))
    t.eq("start duration_s", 2.5, lines[0].get("duration_s"))
    t.eq("last record", "end", lines[-1].get("kind"))
    ticks = [x for x in lines if x.get("kind") == "tick"]
    t.check(17 <= len(ticks) <= 33, "ticks in 2.5 s (every 100 ms, +-30%)",
            "17..33", len(ticks))
    t.eq("tick keys", TICK_KEYS, list(ticks[0]) if ticks else None)
    gaps = sorted(b["t_s"] - a["t_s"] for a, b in zip(ticks, ticks[1:]))
    if gaps:
        med = gaps[len(gaps) // 2]
        t.check(0.08 <= med <= 0.13, "median gap between ticks", "~0.1 s", med)
    t.check(any(x["accept_queue"] and x["accept_queue"]["len"] == 5
                for x in ticks), "accept_queue.len reaches backlog + 1",
            5, [x["accept_queue"] for x in ticks[:5]])
    t.check(all(x["accept_queue"] is None or x["accept_queue"]["limit"] == 4
                for x in ticks), "accept_queue.limit", 4,
            {str(x["accept_queue"]) for x in ticks})
    late = [x for x in ticks if 1.0 <= x["t_s"] < 2.1 and x["accept_queue"]
            and x["accept_queue"]["len"] == 5]
    t.check(late and all(x["syn_retry_waiting"] > 0 for x in late),
            "syn_retry_waiting > 0 after 1 s while the queue is full", "> 0",
            [x["syn_retry_waiting"] for x in late])
    t.check(late and all(x["next_retry_s"] is not None and
                         0 <= x["next_retry_s"] <= 2 for x in late),
            "next_retry_s while SYNs wait", "0..2 s",
            [x["next_retry_s"] for x in late])
    lo = [x["listen_overflows"] for x in ticks]
    t.check(all(isinstance(v, int) for v in lo) and lo == sorted(lo) and
            lo[-1] > lo[0] > 0, "listen_overflows grows (cumulative)",
            "non-decreasing, rising", lo)
    t.check(all(x["connecting"] + x["open"] <= 20 for x in ticks),
            "open + connecting <= conns", "<= 20",
            [(x["open"], x["connecting"]) for x in ticks])
    t.check(all(x["server_accepted"] == 0 for x in ticks),
            "server_accepted (paused server)", 0,
            {x["server_accepted"] for x in ticks})
    t.check(all(x["served"] is None and x["starved"] is None for x in ticks),
            "served/starved in connect mode", "null", ticks[0])
    j = load_json(js)
    t.eq("schema", "sockbench.run/2", j.get("schema"))
    end = lines[-1]
    t.eq("end error", None, end.get("error"))
    t.eq("end headline", {"name": "connects",
                          "value": float(lt.dig(j, "load.connections.established"))},
         end.get("headline"))
    check_stream_intervals(t, lines, j)
    ivs = lt.dig(j, "load.intervals", [])
    t.eq("last interval established == load.connections.established",
         lt.dig(j, "load.connections.established"),
         ivs[-1]["established"] if ivs else None)
    t.eq("ticks' last open == established", ivs[-1]["established"] if ivs else None,
         ticks[-1]["open"] if ticks else None)
    t.check(any(iv["syn_retry_waiting"] > 0 for iv in ivs),
            "an interval with syn_retry_waiting", "> 0",
            [iv["syn_retry_waiting"] for iv in ivs])
    total = sum(iv["listen_overflows"] for iv in ivs)
    delta = lt.dig(j, "kernel.delta.ListenOverflows")
    t.check(0 < total <= delta, "sum of intervals' listen_overflows",
            f"in 1..{delta} (kernel.delta)", total)
    t.check(all(iv["accept_queue"] == {"len": 5, "limit": 4} for iv in ivs),
            "intervals' accept_queue", {"len": 5, "limit": 4},
            [iv["accept_queue"] for iv in ivs])
    t.eq("intervals' server_accepted", [0] * len(ivs),
         [iv["server_accepted"] for iv in ivs])


def test_rr_stream(t):
    d = tmpdir()
    js = os.path.join(d, "run.json")
    rc, out, err, lines = run_with_pipe(
        [sbtest.BIN, "load", "--serve", "--model epoll", "--mode", "rr",
         "--conns", "4", "--duration", "1", "--interval", "250ms",
         "--live-fd", "{fd}", "--json", js, "--quiet"], timeout=15)
    t.eq("load exit status", 0, rc)
    j = load_json(js)
    check_stream_intervals(t, lines, j)
    ivs = lt.dig(j, "load.intervals", [])
    t.require(ivs, "no intervals")
    last = ivs[-1]
    t.eq("last interval served == load.connections.served",
         lt.dig(j, "load.connections.served"), last["served"])
    t.eq("last interval starved == load.connections.starved",
         lt.dig(j, "load.connections.starved"), last["starved"])
    t.eq("last interval server_accepted == server.accepted",
         lt.dig(j, "server.accepted"), last["server_accepted"])
    t.eq("sum of intervals' requests == completed",
         lt.dig(j, "load.requests.completed"),
         sum(iv["requests"] for iv in ivs))
    t.check(all(iv["p50_us"] is not None and iv["p50_us"] <= iv["p99_us"]
                for iv in ivs), "p50_us <= p99_us", "numbers",
            [(iv["p50_us"], iv["p99_us"]) for iv in ivs])
    ticks = [x for x in lines if x.get("kind") == "tick"]
    t.check(ticks and ticks[-1]["served"] == 4 and ticks[-1]["open"] == 4,
            "last tick: served 4, open 4", "4, 4", ticks[-1] if ticks else None)
    req = [x["requests"] for x in ticks]
    t.check(req == sorted(req) and req and req[-1] > 0,
            "ticks' requests cumulative", "non-decreasing", req)
    t.eq("end headline name", "req/s", lines[-1].get("headline", {}).get("name"))


def test_reader_gone(t):
    d = tmpdir()
    js = os.path.join(d, "run.json")
    rc, out, err, _ = run_with_pipe(
        [sbtest.BIN, "load", "--serve", "--model epoll", "--mode", "rr",
         "--conns", "2", "--duration", "500ms", "--live-fd", "{fd}",
         "--json", js, "--quiet"], timeout=15, close_reader=True)
    t.eq("load exit status (EPIPE on the stream)", 0, rc)
    j = load_json(js)
    t.eq("run error", None, j.get("error"))
    t.check(j.get("load", {}).get("requests", {}).get("completed", 0) > 0,
            "requests completed", "> 0", lt.dig(j, "load.requests"))
    w = [x for x in j.get("warnings", []) if "--live-fd" in x]
    t.check(w and "EPIPE" in w[0], "a warning names the stopped stream",
            "--live-fd ... EPIPE", j.get("warnings"))
    # a descriptor that is not open: the same
    r = subprocess.run([sbtest.BIN, "load", "--serve", "--model epoll",
                        "--mode", "rr", "--conns", "1", "--duration", "300ms",
                        "--live-fd", "77", "--json", js, "--quiet"],
                       capture_output=True, text=True, timeout=15)
    t.eq("load exit status (EBADF)", 0, r.returncode)
    t.check(any("EBADF" in x for x in load_json(js).get("warnings", [])),
            "warning for EBADF", "--live-fd 77 ... EBADF",
            load_json(js).get("warnings"))


def test_sweep_stream(t):
    d = tmpdir()
    rc, out, err, lines = run_with_pipe(
        [sbtest.BIN, "sweep", "--backlog", "2,4", "--pause-accept",
         "--mode", "connect", "--conns", "8", "--threads", "1", "--duration", "1200ms",
         "--interval", "400ms", "--connect-timeout", "1100",
         "--out", os.path.join(d, "sw"), "--quiet", "--live-fd", "{fd}"],
        timeout=40)
    t.eq("sweep exit status", 0, rc)
    kinds = [x["kind"] for x in lines]
    # run, start, (ticks and intervals), end, run_end - twice; one
    # connecting thread: exactly backlog + 1 complete (KERNEL-NOTES)
    shape = re.sub(r"(tick,|interval,)+", "T,", ",".join(kinds) + ",")
    t.eq("record order", "run,start,T,end,run_end,run,start,T,end,run_end,",
         shape)
    runs = [x for x in lines if x["kind"] == "run"]
    t.eq("run records' i and n", [(0, 2), (1, 2)],
         [(x["i"], x["n"]) for x in runs])
    t.eq("run values' backlog", ["2", "4"],
         [x["values"].get("backlog") for x in runs])
    t.eq("first eta_s", None, runs[0]["eta_s"] if runs else "missing")
    ends = [x for x in lines if x["kind"] == "run_end"]
    t.eq("run_end headlines", [{"name": "connects", "value": 3.0},
                              {"name": "connects", "value": 5.0}],
         [x["headline"] for x in ends])
    t.eq("run_end errors", [None, None], [x["error"] for x in ends])
    starts = [x for x in lines if x["kind"] == "start"]
    t.eq("each run's backlog in its start", [2, 4],
         [x["backlog"] for x in starts])


def pty_run(args, timeout):
    """args with stdout and stderr on a pseudo-terminal: what it printed."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(args[0], args)
    data = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), data.decode(errors="replace")


IV_LINE = re.compile(r"^\s+(\d+\.\d) s\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$")


def interval_lines(text):
    # what stays on screen: each \r starts the line over
    rows = [ln.split("\r")[-1] for ln in text.replace("\r\n", "\n").split("\n")]
    return [m.groups() for m in map(IV_LINE.match, rows) if m]


def test_tty_lines(t):
    d = tmpdir()
    js = os.path.join(d, "run.json")
    rc, text = pty_run([sbtest.BIN, "load", "--serve", "--model epoll",
                        "--mode", "rr", "--conns", "4", "--duration", "2",
                        "--interval", "500ms", "--json", js], timeout=20)
    t.eq("load exit status", 0, rc)
    rows = interval_lines(text)
    t.eq("interval lines that stay", ["0.5", "1.0", "1.5", "2.0"],
         [r[0] for r in rows])
    t.check("req/s" in text and "estab" in text and "accepted" in text,
            "header line", "time req/s estab accepted p99 errors", text[:300])
    ivs = lt.dig(load_json(js), "load.intervals", [])
    t.eq("established column", [str(iv["established"]) for iv in ivs],
         [r[2] for r in rows])
    t.eq("accepted column", [str(iv["server_accepted"]) for iv in ivs],
         [r[3] for r in rows])
    t.eq("req/s column", [str(round(iv["requests"] / 0.5)) for iv in ivs],
         [r[1] for r in rows])
    rc, text = pty_run([sbtest.BIN, "load", "--serve", "--model epoll",
                        "--mode", "rr", "--conns", "2", "--duration", "1",
                        "--interval", "500ms", "--quiet"], timeout=20)
    t.eq("--quiet: interval lines", [], interval_lines(text))
    r = subprocess.run([sbtest.BIN, "load", "--serve", "--model epoll",
                        "--mode", "rr", "--conns", "2", "--duration", "1",
                        "--interval", "500ms"], capture_output=True, text=True,
                       timeout=20)
    t.eq("not a terminal: interval lines", [],
         interval_lines(r.stdout + r.stderr))


def inner(args):
    runner = sbtest.Runner("test_live_data (private network namespace)")
    sbtest.netns_inner_setup(runner, args.host_netns_ino)
    try:
        runner.run("backlog-stream", test_backlog_stream, timeout=30)
        runner.run("rr-stream", test_rr_stream, timeout=20)
        runner.run("reader-gone", test_reader_gone, timeout=20)
        runner.run("sweep-stream", test_sweep_stream, timeout=45)
        runner.run("tty-interval-lines", test_tty_lines, timeout=40)
    finally:
        for d in TMP:
            subprocess.run(["rm", "-rf", d], check=False)
    runner.finish()


def main():
    args = sbtest.parse_args(__doc__, extra=sbtest.add_netns_args)
    if args.in_netns:
        inner(args)
    else:
        sbtest.require_root(__file__, "unshare -n")
        sbtest.netns_outer(__file__, 120)


if __name__ == "__main__":
    main()

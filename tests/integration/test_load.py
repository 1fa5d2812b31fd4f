#!/usr/bin/env python3
"""`sockbench load`: counts, kernel view, latency, errors and the run JSON
(SPEC sections 4-6), checked against the server's own stats.

    python3 tests/integration/test_load.py --bin build/sockbench [-k NAME] [--models a,b]

Needs root: the file re-executes itself under `unshare -n` (a private
network namespace with `lo` up), so that the kernel counters it reads
(ListenOverflows, ...) move only because of its own runs and no host sysctl
is touched (none is written at all).

Kernel facts relied on (KERNEL-NOTES): the accept queue holds backlog + 1
connections, a SYN that meets a full queue is dropped and retried after 1 s;
connects from one thread (--threads 1) make the counts exact. On loopback a
reply through a 4 KiB SO_SNDBUF moves at only ~2 MB/s whoever sends it (a
plain Python sendall server measures the same), so the `sendall` half of the
send test asks for 1 MiB replies with --timeout 5s: a 4 MiB reply cannot
arrive within 500 ms even when every byte is sent.
"""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402
from loadtest import dig, run_load, require_run  # noqa: E402

REQ_TIMEOUT = 3.0     # a --requests 2000 run takes well under 0.5 s
HOST_INO = 0


def maybe_skip_uring(model, r):
    if model == "uring" and os.environ.get("SOCKBENCH_NO_URING") == "1" \
            and (r.rc != 0 or (r.json or {}).get("error")):
        raise sbtest.Skip(f"uring run failed and SOCKBENCH_NO_URING=1: "
                          f"{r.describe()}")


def errors_of(j):
    return dig(j, "load.errors", {}) or {}


# ------------------------------------------------------- rr, every model

def test_rr_requests(t, model):
    args = ["--serve", f"--model {model} --proto rr", "--requests", "2000",
            "--conns", "10"]
    r = run_load(args, REQ_TIMEOUT)
    maybe_skip_uring(model, r)
    j = require_run(t, r)
    lt.check_run_shape(t, j, started_server=True)
    load, srv = j["load"], j.get("server") or {}
    t.eq("load.requests.completed", 2000, dig(load, "requests.completed"))
    t.eq("server.requests", 2000, srv.get("requests"))
    t.eq("load.requests.failed", 0, dig(load, "requests.failed"))
    t.eq("load.requests.in_flight_at_end (--requests: none)", 0,
         dig(load, "requests.in_flight_at_end"))
    t.eq("load.errors", {}, load.get("errors"))
    t.eq("server.bytes_in == load.bytes_out", load.get("bytes_out"),
         srv.get("bytes_in"))
    t.eq("server.bytes_out == load.bytes_in", load.get("bytes_in"),
         srv.get("bytes_out"))
    t.eq("load.bytes_out (2000 x (8 + 64))", 2000 * 72, load.get("bytes_out"))
    t.eq("load.bytes_in (2000 x 64)", 2000 * 64, load.get("bytes_in"))
    t.eq("load.connections.established", 10,
         dig(load, "connections.established"))
    t.eq("server.accepted", 10, srv.get("accepted"))
    t.eq("server.model", model, srv.get("model"))
    t.eq("server.protocol_errors", 0, srv.get("protocol_errors"))


def test_rr_duration(t, model):
    args = ["--serve", f"--model {model} --proto rr", "--duration", "1s",
            "--conns", "10"]
    r = cached_duration_run(model, args)
    maybe_skip_uring(model, r)
    j = require_run(t, r)
    lt.check_run_shape(t, j, started_server=True)
    req, srv = dig(j, "load.requests", {}), j.get("server") or {}
    done, infl = req.get("completed"), req.get("in_flight_at_end")
    t.check(lt.is_int(done) and done > 0, "load.requests.completed",
            "> 0", done)
    if lt.is_int(done) and lt.is_int(infl):
        t.eq("completed + in_flight_at_end (== server.requests)",
             srv.get("requests"), done + infl)
    t.eq("load.errors", {}, dig(j, "load.errors"))
    t.eq("config.load.duration (seconds)", 1, dig(j, "config.load.duration"))
    t.check(lt.close_enough(j.get("duration_s"), 1.0, rel=0.05),
            "duration_s", "1.0 (within 5%)", j.get("duration_s"))
    t.eq("load.requests.latency_uncorrected_us (closed loop)", None,
         req.get("latency_uncorrected_us"))
    # the time series adds up to the totals
    ivs = dig(j, "load.intervals", [])
    t.eq("sum of intervals[].requests == completed", done,
         sum(iv.get("requests", 0) for iv in ivs))
    t.eq("sum of intervals[].connects == established",
         dig(j, "load.connections.established"),
         sum(iv.get("connects", 0) for iv in ivs))


_DURATION = {}


def cached_duration_run(model, args):
    if model not in _DURATION:
        _DURATION[model] = run_load(args, 10)
    return _DURATION[model]


# ------------------------------------------------- accept queue (netns)

def test_backlog(t):
    args = ["--serve", "--pause-accept --backlog 8", "--mode", "connect",
            "--conns", "40", "--threads", "1", "--connect-timeout", "2500",
            "--duration", "3s"]
    j = require_run(t, run_load(args, 15))
    lt.check_run_shape(t, j, started_server=True)
    c = dig(j, "load.connections", {})
    t.eq("load.connections.attempted", 40, c.get("attempted"))
    t.eq("load.connections.established (backlog 8 + 1)", 9,
         c.get("established"))
    t.eq("load.connections.failed", 31, c.get("failed"))
    t.eq("load.errors.connect_timeout", 31, errors_of(j).get(
        "connect_timeout"))
    lt.check_kernel_counters(t, j)
    lo = dig(j, "kernel.delta.ListenOverflows")
    t.check(lt.is_int(lo) and lo >= 31, "kernel.delta.ListenOverflows",
            ">= 31", lo)
    t.eq("accept_queue.max_seen", 9, dig(j, "accept_queue.max_seen"))
    t.eq("accept_queue.limit", 8, dig(j, "accept_queue.limit"))
    t.eq("server.accepted (--pause-accept)", 0, dig(j, "server.accepted"))
    t.eq("config.load.connect_timeout (ms)", 2500,
         dig(j, "config.load.connect_timeout"))
    t.eq("config.server.backlog", 8, dig(j, "config.server.backlog"))
    t.eq("config.server.pause_accept", True,
         dig(j, "config.server.pause_accept"))
    t.eq("environment.netns", "private", dig(j, "environment.netns"))
    ex = j.get("explain") or []
    t.check(any("backlog 8" in x for x in ex), "explain",
            "a line containing 'backlog 8'", ex)
    check_est_vs_accepted(t, j)


def check_est_vs_accepted(t, j):
    est, acc = dig(j, "load.connections.established"), dig(
        j, "server.accepted")
    t.check(lt.is_int(est) and lt.is_int(acc), "established and "
            "server.accepted", "both integers", (est, acc))
    if est != acc:
        ex = j.get("explain") or []
        t.check(any("final ACK" in x for x in ex), "explain (established "
                f"{est} != accepted {acc})", "a line about the final ACK", ex)


def test_slow_acceptor(t):
    args = ["--serve", "--backlog 24 --accept-delay-ms 50", "--mode",
            "connect", "--conns", "40", "--threads", "1", "--duration", "4s"]
    j = require_run(t, run_load(args, 15))
    lt.check_run_shape(t, j, started_server=True)
    lat = dig(j, "load.connections.latency_us", {})
    b = dig(lat, "histogram.buckets", [])
    fast = lt.count_below(b, 100_000_000)
    slow = lt.count_at_least(b, 900_000_000)
    t.eq("connections under 100 ms (backlog 24 + 1 fit at once)", 25, fast)
    t.eq("connections >= 0.9 s (waited for a SYN retry)", 15, slow)
    t.eq("load.connections.attempted", 40,
         dig(j, "load.connections.attempted"))
    t.eq("load.connections.established", 40,
         dig(j, "load.connections.established"))
    t.check(lt.is_int(dig(j, "server.accepted")), "server.accepted",
            "an integer", dig(j, "server.accepted"))
    p50 = lat.get("p50")
    t.check(lt.is_num(p50) and p50 < 100_000, "connect p50 (us)",
            "< 100000", p50)
    lo = dig(j, "kernel.delta.ListenOverflows")
    t.check(lt.is_int(lo) and lo >= 15, "kernel.delta.ListenOverflows",
            ">= 15", lo)
    check_est_vs_accepted(t, j)


# ------------------------------------------------------------ open loop

def test_open_loop(t):
    args = ["--serve", "--model epoll --proto rr --work-us 20000",
            "--rate", "100", "--conns", "4", "--duration", "3s"]
    j = require_run(t, run_load(args, 15))
    lt.check_run_shape(t, j, started_server=True)
    req = dig(j, "load.requests", {})
    cor, unc = req.get("latency_us"), req.get("latency_uncorrected_us")
    t.check(isinstance(cor, dict) and lt.is_num(cor.get("p99")),
            "load.requests.latency_us.p99", "a number", cor and
            cor.get("p99"))
    t.check(isinstance(unc, dict) and lt.is_num(unc.get("p99")),
            "load.requests.latency_uncorrected_us.p99 (open loop)",
            "a number", unc)
    if isinstance(cor, dict) and isinstance(unc, dict) and \
            lt.is_num(cor.get("p99")) and lt.is_num(unc.get("p99")):
        t.check(cor["p99"] > unc["p99"], "p99 from the schedule vs p99 from"
                " the send (server at ~50 req/s, asked for 100)",
                "latency_us.p99 > latency_uncorrected_us.p99",
                (cor["p99"], unc["p99"]))
    t.eq("config.load.rate", 100, dig(j, "config.load.rate"))
    done = req.get("completed")
    # one server thread doing 20 ms per request: ~50/s, not 100/s
    t.check(lt.is_int(done) and 60 <= done <= 200, "completed in 3 s "
            "at ~50 req/s capacity", "60..200", done)


def test_closed_loop_uncorrected_null(t):
    model = "epoll"
    args = ["--serve", f"--model {model} --proto rr", "--duration", "1s",
            "--conns", "10"]
    j = require_run(t, cached_duration_run(model, args))
    t.check("latency_uncorrected_us" in (dig(j, "load.requests") or {}),
            "load.requests has latency_uncorrected_us", "present", None)
    t.eq("load.requests.latency_uncorrected_us (closed loop)", None,
         dig(j, "load.requests.latency_uncorrected_us", "missing"))
    t.eq("config.load.rate (closed loop)", None, dig(j, "config.load.rate",
                                                      "missing"))


# ----------------------------------------------------------- send / sendall

def test_send_short(t):
    args = ["--serve", "--model epoll --proto rr --send send --sndbuf 4096",
            "--resp-size", "4M", "--conns", "2", "--duration", "2s",
            "--timeout", "500ms"]
    # every reply is cut short: not one request completes, exit 1 (SPEC
    # 10), error null; the errors are the result
    j = require_run(t, run_load(args, 15), rc=1)
    lt.check_run_shape(t, j, started_server=True)
    e = errors_of(j)
    n = e.get("short_reply", 0) + e.get("request_timeout", 0)
    t.check(n > 0, "load.errors short_reply + request_timeout", "> 0", e)
    srv = j.get("server") or {}
    t.check(lt.is_int(srv.get("short_sends")) and srv["short_sends"] > 0,
            "server.short_sends", "> 0", srv.get("short_sends"))
    t.check(lt.is_int(srv.get("bytes_dropped")) and srv["bytes_dropped"] > 0,
            "server.bytes_dropped", "> 0", srv.get("bytes_dropped"))
    ex = j.get("explain") or []
    t.check(any("short" in x for x in ex), "explain", "a line mentioning "
            "'short'", ex)
    t.eq("config.load.timeout (ms)", 500, dig(j, "config.load.timeout"))
    t.eq("config.server.send", "send", dig(j, "config.server.send"))


def test_sendall_complete(t):
    args = ["--serve", "--model epoll --proto rr --send sendall "
            "--sndbuf 4096", "--resp-size", "1M", "--conns", "2",
            "--duration", "2s", "--timeout", "5s"]
    j = require_run(t, run_load(args, 15))
    lt.check_run_shape(t, j, started_server=True)
    e = errors_of(j)
    bad = {k: v for k, v in e.items() if k in (
        "short_reply", "request_timeout", "integrity_error")}
    t.eq("load.errors short_reply / request_timeout / integrity_error", {},
         bad)
    srv = j.get("server") or {}
    t.eq("server.short_sends", 0, srv.get("short_sends"))
    t.eq("server.bytes_dropped", 0, srv.get("bytes_dropped"))
    done = dig(j, "load.requests.completed")
    t.check(lt.is_int(done) and done >= 2, "1 MiB replies completed in 2 s",
            ">= 2", done)
    ex = j.get("explain") or []
    t.check(not any("short" in x for x in ex), "explain", "no line about "
            "short sends", ex)


# ---------------------------------------------------------- --server-cmd

def write_script(name, text):
    d = lt.tmpdir()
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_server_cmd(t):
    # faultsrv.py "quiet": an rr server that prints no READY line, so
    # `load` learns it is ready from its LISTEN socket (sock_diag).
    cmd, path, _ = sbtest.faultsrv_cmd(lt.tmpdir(), {"128": "quiet"})
    args = ["--server-cmd", cmd, "--mode", "rr", "--requests", "500",
            "--conns", "5"]
    r = run_load(args, REQ_TIMEOUT + 3)
    left = lt.processes_matching(path)
    t.eq("server command processes still running after `load` exited", [],
         left)
    j = require_run(t, r)
    lt.check_run_shape(t, j, started_server=False)
    t.eq("load.requests.completed", 500, dig(j, "load.requests.completed"))
    t.eq("load.requests.failed", 0, dig(j, "load.requests.failed"))
    t.eq("load.errors", {}, dig(j, "load.errors"))
    t.eq("load.connections.established", 5,
         dig(j, "load.connections.established"))
    t.eq("config.load.server_cmd", cmd, dig(j, "config.load.server_cmd"))


def test_server_cmd_exits(t):
    path = write_script("exits.py", "import sys\nsys.exit(3)\n")
    args = ["--server-cmd", f"{sys.executable} {path} {{port}}",
            "--requests", "100"]
    r = run_load(args, 10)
    t.check(not r.timed_out and r.rc == 1, "exit status of `load` when the "
            "server command exits at once", "1", r.describe())
    t.check(r.json is not None, "run JSON of a failed run", "written",
            r.json_error)
    if r.json is not None:
        lt.check_run_shape(t, r.json, started_server=False, failed=True)
    t.eq("processes left behind", [], r.leftovers)


def test_server_cmd_never_listens(t):
    path = write_script("sleeper.py", "import time\ntime.sleep(60)\n")
    args = ["--server-cmd", f"{sys.executable} {path} {{port}}",
            "--requests", "100"]
    r = run_load(args, 15)
    t.check(not r.timed_out and r.rc == 1, "exit status of `load` when the "
            "server never listens", "1", r.describe())
    t.check(r.elapsed <= 6.5, "time to give up on a server that never "
            "listens", "<= 6.5 s (5 s readiness limit)", round(r.elapsed, 2))
    err = (r.json or {}).get("error")
    t.check(isinstance(err, str) and "ready" in err.lower(), "JSON error",
            "a message mentioning 'ready'", err)
    t.eq("server command still running after `load` exited", [],
         lt.processes_matching(path))
    t.eq("processes left behind", [], r.leftovers)


# -------------------------------------------------------------- --target

def test_target(t, kind):
    d = lt.tmpdir()
    if kind == "ipv4":
        sargs = ["--model", "epoll", "--proto", "rr"]
    elif kind == "ipv6":
        sargs = ["--model", "epoll", "--proto", "rr", "--bind", "::1"]
    else:
        sargs = ["--model", "epoll", "--proto", "rr", "--bind",
                 f"unix:{d}/sb.sock"]
    srv = sbtest.start_server(t, sargs)
    with srv:
        if kind == "ipv4":
            target = f"127.0.0.1:{srv.port}"
        elif kind == "ipv6":
            target = f"[::1]:{srv.port}"
        else:
            target = f"unix:{d}/sb.sock"
        r = run_load(["--target", target, "--mode", "rr", "--requests",
                      "200"], REQ_TIMEOUT)
        t.check(srv.alive(), "our server after the run", "still running "
                "(load must not stop a --target server)", srv.alive())
        stats = sbtest.stop_server(t, srv) if srv.alive() else {}
    j = require_run(t, r)
    lt.check_run_shape(t, j, started_server=False)
    t.eq("load.requests.completed", 200, dig(j, "load.requests.completed"))
    t.eq("load.errors", {}, dig(j, "load.errors"))
    t.eq("JSON server (not started by sockbench)", None, j.get("server"))
    t.eq("config.server (not started by sockbench)", None,
         dig(j, "config.server", "missing"))
    t.eq("server's own stats: requests", 200, stats.get("requests"))
    t.eq("server's own stats: bytes_in == load.bytes_out",
         dig(j, "load.bytes_out"), stats.get("bytes_in"))
    t.eq("server's own stats: bytes_out == load.bytes_in",
         dig(j, "load.bytes_in"), stats.get("bytes_out"))
    if kind != "unix":
        t.eq("accept_queue.limit (listener in this namespace)", 128,
             dig(j, "accept_queue.limit"))


# ------------------------------------------------------------ JSON shape

def test_json_shape(t):
    args = ["--serve", "--model epoll --proto rr --backlog 64", "--conns",
            "50", "--duration", "1500ms", "--connect-timeout", "3s",
            "--timeout", "750ms", "--req-size", "100", "--resp-size", "200",
            "--interval", "500ms"]
    j = require_run(t, run_load(args, 12))
    lt.check_run_shape(t, j, started_server=True)
    lt.check_kernel_counters(t, j)
    sc = dig(j, "environment.sysctl", {})
    with open("/proc/sys/net/core/somaxconn") as f:
        t.eq("environment.sysctl['net.core.somaxconn'] (this namespace)",
             int(f.read()), sc.get("net.core.somaxconn"))
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        want = " ".join(f.read().split())
    got = sc.get("net.ipv4.ip_local_port_range")
    t.eq("environment.sysctl['net.ipv4.ip_local_port_range']", want,
         " ".join(got.split()) if isinstance(got, str) else got)
    t.eq("environment.netns", "private", dig(j, "environment.netns"))
    cpus = dig(j, "environment.cpus")
    t.check(cpus in (os.cpu_count(), sbtest.nproc()), "environment.cpus",
            f"{os.cpu_count()} (os.cpu_count) or {sbtest.nproc()} (affinity)",
            cpus)
    cl, cs = dig(j, "config.load", {}), dig(j, "config.server", {})
    for key, want in (("mode", "rr"), ("conns", 50), ("duration", 1.5),
                      ("connect_timeout", 3000), ("timeout", 750),
                      ("req_size", 100), ("resp_size", 200),
                      ("interval", 0.5), ("requests", None),
                      ("rate", None), ("target", None),
                      ("serve", "--model epoll --proto rr --backlog 64")):
        got = cl.get(key, "missing")
        if lt.is_num(want):
            t.check(lt.close_enough(got, want), f"config.load.{key}", want,
                    got)
        else:
            t.eq(f"config.load.{key}", want, got)
    for key, want in (("model", "epoll"), ("proto", "rr"), ("backlog", 64),
                      ("recv_size", 1024), ("send", "sendall")):
        t.eq(f"config.server.{key}", want, cs.get(key, "missing"))
    load = j.get("load") or {}
    t.eq("load.connections.attempted", 50,
         dig(load, "connections.attempted"))
    t.eq("load.connections.established", 50,
         dig(load, "connections.established"))
    done = dig(load, "requests.completed")
    dur = j.get("duration_s")
    rps = dig(load, "throughput.requests_per_s")
    if lt.is_int(done) and lt.is_num(dur) and dur > 0:
        t.check(lt.close_enough(rps, done / dur, rel=0.01),
                "load.throughput.requests_per_s", f"completed / duration_s"
                f" = {done / dur:.1f} (1%)", rps)
    t.check(lt.close_enough(dur, 1.5, rel=0.05), "duration_s",
            "1.5 (5%)", dur)
    ivs = dig(load, "intervals", [])
    t.check(3 <= len(ivs) <= 4, "number of 500 ms intervals in 1.5 s",
            "3 (4 if a last partial one is kept)", len(ivs))
    hist = dig(load, "requests.latency_us.histogram", {})
    t.eq("histogram scheme", "log-linear ns sub_bits=7", hist.get("scheme"))
    # the reported percentiles are those of the written buckets
    if hist.get("buckets") and hist.get("min_ns") is not None:
        want = lt.expected_latency_us(hist)
        lat = dig(load, "requests.latency_us", {})
        for k in ("min", "p50", "p90", "p99", "p999", "max", "mean"):
            t.check(lt.close_enough(lat.get(k), want[k]),
                    f"load.requests.latency_us.{k}", f"{want[k]} (from the "
                    f"buckets)", lat.get(k))
    t.eq("generator_bound type", bool, type(j.get("generator_bound")))
    t.eq("server.requests == completed + in_flight_at_end",
         dig(j, "server.requests"),
         (done or 0) + (dig(load, "requests.in_flight_at_end") or 0))


_JSONL = {}


def jsonl_run():
    if not _JSONL:
        d = lt.tmpdir()
        jl = os.path.join(d, "run.jsonl")
        args = ["--serve", "--model epoll --proto rr", "--interval", "500ms",
                "--duration", "2s", "--jsonl", jl]
        _JSONL["r"], _JSONL["path"] = run_load(args, 12), jl
    return _JSONL["r"], _JSONL["path"]


def test_jsonl(t):
    r, jl = jsonl_run()
    j = require_run(t, r)
    try:
        with open(jl) as f:
            text = f.read()
    except OSError as e:
        t.fail(f"--jsonl {jl}: expected a file, actual {e}")
    lines = text.splitlines()
    t.check(3 <= len(lines) <= 4, "--jsonl lines (2 s / 500 ms)", "3..4",
            len(lines))
    t.check(text.endswith("\n"), "--jsonl file", "ends with a newline",
            text[-40:])
    rows = []
    for i, line in enumerate(lines):
        try:
            row = json.loads(line)
        except ValueError as e:
            t._record(f"--jsonl line {i + 1}: expected JSON, actual {line!r}"
                      f" ({e})")
            continue
        t.eq(f"--jsonl line {i + 1} keys", sorted(lt.INTERVAL_KEYS),
             sorted(row) if isinstance(row, dict) else row)
        rows.append(row)
    ts = [r.get("t_s") for r in rows if isinstance(r, dict)]
    t.check(all(lt.close_enough(a, 0.5 * (i + 1)) for i, a in
                enumerate(ts)), "--jsonl t_s", "0.5, 1.0, 1.5, ...", ts)
    ivs = dig(j, "load.intervals", [])
    for i, row in enumerate(rows):
        if i >= len(ivs) or not isinstance(row, dict):
            break
        same = all(row.get(k) == ivs[i].get(k) for k in (
            "requests", "connects", "bytes", "errors")) and \
            lt.close_enough(row.get("t_s"), ivs[i].get("t_s")) and (
            row.get("p99_us") == ivs[i].get("p99_us") or
            lt.close_enough(row.get("p99_us"), ivs[i].get("p99_us")))
        t.check(same, f"--jsonl line {i + 1} vs load.intervals[{i}]",
                ivs[i], row)


def test_intervals_within_run(t):
    """The JSON's time series is the one --jsonl streamed, and no interval
    ends after the run (a 2 s run has 4 intervals of 500 ms)."""
    r, jl = jsonl_run()
    j = require_run(t, r)
    with open(jl) as f:
        n = len(f.read().splitlines())
    ivs = dig(j, "load.intervals", [])
    t.eq("load.intervals entries (== --jsonl lines)", n, len(ivs))
    dur = j.get("duration_s")
    late = [iv for iv in ivs if lt.is_num(dur) and
            iv.get("t_s", 0) > dur + 1e-9]
    t.eq(f"load.intervals ending after duration_s={dur}", [], late)


# ----------------------------------------------------- bad command lines

BAD = [
    ("--mode", ["--serve", "--model epoll", "--mode", "nope",
                "--duration", "1s"]),
    ("--conns", ["--serve", "--model epoll", "--conns", "0",
                 "--duration", "1s"]),
    ("--duration", ["--serve", "--model epoll", "--duration", "5x"]),
    ("--rate", ["--serve", "--model epoll", "--rate", "-1",
                "--duration", "1s"]),
    ("--resp-size", ["--serve", "--model epoll", "--resp-size", "0",
                     "--duration", "1s"]),
    ("--target", ["--target", "127.0.0.1:1", "--serve", "--model epoll",
                  "--duration", "1s"]),
    ("--target", ["--duration", "1s"]),
    ("--model", ["--serve", "--model nope", "--duration", "1s"]),
    ("--requests", ["--serve", "--model epoll", "--mode", "connect",
                    "--requests", "10"]),
]


def test_bad_cmdline(t):
    for opt, args in BAD:
        d = lt.tmpdir()
        jp = os.path.join(d, "never.json")
        r = run_load(args, 10, json_path=jp)
        what = f"`load {' '.join(args)}`"
        t.eq(f"{what}: exit status", 2, r.rc)
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        t.check(len(lines) == 1 and opt in lines[0], f"{what}: stderr",
                f"one line naming {opt}", r.stderr)
        t.eq(f"{what}: stdout", "", r.stdout)
        t.eq(f"{what}: --json file written", False, os.path.exists(jp))
        t.eq(f"{what}: processes left behind", [], r.leftovers)


# ------------------------------------------------------------------ main

def cases(runner, args):
    global HOST_INO
    HOST_INO = args.host_netns_ino
    socket.setdefaulttimeout(10)
    for m in args.models:
        runner.run(f"rr-requests-{m}", test_rr_requests, m, timeout=20)
    for m in args.models:
        runner.run(f"rr-duration-{m}", test_rr_duration, m, timeout=20)
    runner.run("backlog-8-pause-accept", test_backlog, timeout=25)
    runner.run("slow-acceptor", test_slow_acceptor, timeout=25)
    runner.run("open-loop-corrected-p99", test_open_loop, timeout=25)
    runner.run("closed-loop-uncorrected-null",
               test_closed_loop_uncorrected_null, timeout=20)
    runner.run("send-short-replies", test_send_short, timeout=25)
    runner.run("sendall-complete-replies", test_sendall_complete,
               timeout=25)
    runner.run("server-cmd-python-rr", test_server_cmd, timeout=20)
    runner.run("server-cmd-exits", test_server_cmd_exits, timeout=20)
    runner.run("server-cmd-never-listens", test_server_cmd_never_listens,
               timeout=25)
    for kind in ("ipv4", "ipv6", "unix"):
        runner.run(f"target-{kind}", test_target, kind, timeout=20)
    runner.run("json-shape", test_json_shape, timeout=25)
    runner.run("jsonl-intervals", test_jsonl, timeout=25)
    runner.run("intervals-within-run", test_intervals_within_run,
               timeout=25)
    runner.run("bad-command-lines", test_bad_cmdline, timeout=30)


def main():
    lt.netns_main(__doc__, __file__, cases, total_timeout=300)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Every server model x every protocol: 50 concurrent clients x 20
exchanges, replies verified byte by byte, then exact stats.

    python3 tests/integration/test_models.py --bin build/sockbench \
        [--models epoll,poll] [--protos rr] [-k NAME] [--seed N]

uring: a server that will not start fails the test, unless
SOCKBENCH_NO_URING=1 is set (then it is skipped).
"""

import os
import random
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
from sbtest import finish, pattern, rr_request, transfer  # noqa: E402

CLIENTS = 50
EXCHANGES = 20
MAX_SIZE = 64 * 1024
XFER_TIMEOUT = 90.0   # a blocking-model client may wait for 49 others

POOL = None


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def make_plan(rng, proto):
    plan = []
    for _ in range(EXCHANGES):
        if proto == "rr":
            plan.append((rng.randint(0, MAX_SIZE), rng.randint(0, MAX_SIZE),
                         rng.randint(0, MAX_SIZE)))
        else:
            plan.append((rng.randint(1, MAX_SIZE), rng.randint(0, MAX_SIZE)))
    return plan


def client(idx, srv, proto, plan, barrier, results):
    res = {"sent": 0, "received": 0, "error": None, "connected": False}
    results[idx] = res
    try:
        s = srv.connect(timeout=XFER_TIMEOUT)
    except OSError as e:
        res["error"] = f"client {idx}: connect: {e!r}"
        try:
            barrier.abort()
        except Exception:
            pass
        return
    res["connected"] = True
    try:
        barrier.wait(timeout=15)
        for n, item in enumerate(plan):
            if proto == "rr":
                req, resp, off = item
                out = rr_request(req, resp, POOL[off:off + req])
                data = transfer(s, out, resp, XFER_TIMEOUT)
                want = pattern(resp)
            else:
                size, off = item
                out = POOL[off:off + size]
                want = out if proto == "echo" else b""
                data = transfer(s, out, len(want), XFER_TIMEOUT)
            res["sent"] += len(out)
            res["received"] += len(data)
            if data != want:
                i = first_diff(data, want)
                res["error"] = (
                    f"client {idx} exchange {n}: reply mismatch at byte {i}"
                    f" of {len(want)}: expected "
                    f"{want[i:i + 8].hex() or 'end'}, actual "
                    f"{data[i:i + 8].hex() or 'end'} (len {len(data)})")
                s.close()
                return
        extra = finish(s, XFER_TIMEOUT)
        if extra:
            res["error"] = (f"client {idx}: {len(extra)} unexpected bytes "
                            f"after the last reply: {extra[:16].hex()}")
    except Exception as e:  # noqa: BLE001
        res["error"] = f"client {idx}: {type(e).__name__}: {e}"
        s.close()


def run_clients(srv, proto, rng):
    plans = [make_plan(rng, proto) for _ in range(CLIENTS)]
    results = [None] * CLIENTS
    barrier = threading.Barrier(CLIENTS)
    threads = [threading.Thread(target=client, daemon=True,
                                args=(i, srv, proto, plans[i], barrier,
                                      results))
               for i in range(CLIENTS)]
    for th in threads:
        th.start()
    deadline = time.monotonic() + 150
    for th in threads:
        th.join(timeout=max(0.1, deadline - time.monotonic()))
    hung = sum(th.is_alive() for th in threads)
    return results, hung


def check_ready(t, srv, model, proto):
    r = srv.ready
    t.eq("READY model", model, r["model"])
    t.eq("READY proto", proto, r["proto"])
    t.eq("READY addr", "127.0.0.1", r["addr"])
    t.eq("READY backlog", 128, r["backlog"])
    t.eq("READY pid", srv.proc.pid, r["pid"])
    t.check(r["port"] > 0, "READY port", "> 0", r["port"])


def test_model_proto(t, model, proto):
    rng = random.Random(f"{sbtest.ARGS.seed}-{model}-{proto}")
    srv = sbtest.start_server(t, ["--model", model, "--proto", proto],
                              model)
    with srv:
        check_ready(t, srv, model, proto)
        t0 = time.monotonic()
        results, hung = run_clients(srv, proto, rng)
        took = time.monotonic() - t0
        if took > 10:
            t.note(f"the clients took {took:.1f}s (a few seconds expected). "
                   f"A server that writes small pieces without TCP_NODELAY "
                   f"meets Nagle + delayed ACK: 40 ms stalls per exchange.")
        errors = [r["error"] for r in results if r and r["error"]]
        t.eq("client threads still running after 150 s", 0, hung)
        t.eq("clients with an error", 0, len(errors))
        for e in errors[:5]:
            t.note(e)
        sent = sum(r["sent"] for r in results if r)
        received = sum(r["received"] for r in results if r)
        # finish() saw the server close each connection; give its counter
        # update (which may follow close()) a moment.
        time.sleep(0.2)
        t.require(srv.alive(), f"server died during the run: exit "
                  f"{srv.proc.poll()} stderr={srv.stderr()[-1000:]!r}")
        stats = sbtest.stop_server(t, srv)
        sbtest.check_stats_shape(t, stats, model, proto)
        t.eq("stats accepted", CLIENTS, stats.get("accepted"))
        t.eq("stats closed", CLIENTS, stats.get("closed"))
        t.eq("stats bytes_in (= bytes the clients sent)", sent,
             stats.get("bytes_in"))
        want_out = 0 if proto == "sink" else received
        t.eq("stats bytes_out (= bytes the clients received)", want_out,
             stats.get("bytes_out"))
        if proto == "rr":
            t.eq("stats requests", CLIENTS * EXCHANGES, stats.get("requests"))
        if proto == "sink":
            t.eq("stats send_calls (sink sends nothing)", 0,
                 stats.get("send_calls"))
        else:
            t.check((stats.get("send_calls") or 0) > 0, "stats send_calls",
                    "> 0", stats.get("send_calls"))
        t.check((stats.get("recv_calls") or 0) > 0, "stats recv_calls",
                "> 0", stats.get("recv_calls"))
        for key in ("protocol_errors", "rejected_max_conns", "short_sends",
                    "bytes_dropped"):
            t.eq(f"stats {key}", 0, stats.get(key))
        t.eq("stats errors", {}, stats.get("errors"))
        peak = stats.get("peak_connections")
        if model == "blocking":
            t.eq("stats peak_connections (blocking: one at a time)", 1, peak)
        else:
            t.check(isinstance(peak, int) and 1 <= peak <= CLIENTS,
                    "stats peak_connections", f"1..{CLIENTS}", peak)
        t.eq("stats send", "sendall", stats.get("send"))
        t.eq("stats recv_size", 1024, stats.get("recv_size"))
        t.eq("stats backlog_requested", 128, stats.get("backlog_requested"))
        t.eq("stats backlog_effective", min(128, sbtest.somaxconn()),
             stats.get("backlog_effective"))
        t.check((stats.get("max_rss_kib") or 0) > 0, "stats max_rss_kib",
                "> 0", stats.get("max_rss_kib"))
        if model == "prefork":
            w = stats.get("workers") or []
            t.eq("prefork workers (default nproc)", sbtest.nproc(), len(w))
            t.eq("sum of prefork workers[].accepts", CLIENTS,
                 sum(x.get("accepts", 0) for x in w
                     if isinstance(x, dict)))
        if model == "select":
            t.eq("stats rejected_fd_setsize", 0,
                 stats.get("rejected_fd_setsize"))
        t.eq("stdout after the READY line", "", srv.stdout_after_ready())


def test_rr_pipeline(t, model):
    """10 pipelined requests in one write, then one request dribbled out a
    few bytes at a time: replies in order, nothing lost."""
    rng = random.Random(f"{sbtest.ARGS.seed}-{model}-pipe")
    srv = sbtest.start_server(t, ["--model", model, "--proto", "rr"], model)
    with srv:
        s = srv.connect()
        sizes = [(rng.randint(0, 5000), rng.randint(0, 5000))
                 for _ in range(10)]
        out = b"".join(rr_request(q, r) for q, r in sizes)
        want = b"".join(pattern(r) for _, r in sizes)
        data = transfer(s, out, len(want), 10)
        t.eq("pipelined replies (length, equal)", (len(want), True),
             (len(data), data == want))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        req = rr_request(300, 777)
        # header split across segments: the parser must keep partial state
        pieces = [req[0:3], req[3:6], req[6:8], req[8:9], req[9:200],
                  req[200:]]
        for p in pieces[:-1]:
            s.sendall(p)
            time.sleep(0.02)
        data = transfer(s, pieces[-1], 777, 10)
        t.eq("reply to a dribbled request (length, equal)",
             (777, True), (len(data), data == pattern(777)))
        t.eq("bytes after the replies", b"", finish(s, 10))
        time.sleep(0.2)
        stats = sbtest.stop_server(t, srv)
        t.eq("stats requests", 11, stats.get("requests"))
        t.eq("stats protocol_errors", 0, stats.get("protocol_errors"))
        t.eq("stats bytes_in", len(out) + len(req), stats.get("bytes_in"))
        t.eq("stats bytes_out", len(want) + 777, stats.get("bytes_out"))


def test_prefork_accept_mode(t, mode):
    """3 workers, 20 concurrent clients x 5 rr exchanges: every worker is
    listed, their accepts add up."""
    srv = sbtest.start_server(t, ["--model", "prefork", "--proto", "rr",
                                  "--workers", "3", "--accept-mode", mode],
                              "prefork")
    with srv:
        errors = []

        def one(i):
            try:
                s = srv.connect(timeout=10)
                for k in range(5):
                    resp = 100 + 997 * k + i
                    data = transfer(s, rr_request(10, resp), resp, 10)
                    if data != pattern(resp):
                        errors.append(f"client {i} exchange {k}: bad reply")
                finish(s, 10)
            except Exception as e:  # noqa: BLE001
                errors.append(f"client {i}: {e!r}")
        threads = [threading.Thread(target=one, args=(i,), daemon=True)
                   for i in range(20)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=30)
        t.eq("client errors", [], errors[:5])
        time.sleep(0.2)
        stats = sbtest.stop_server(t, srv)
        sbtest.check_stats_shape(t, stats, "prefork", "rr")
        w = [x for x in stats.get("workers") or [] if isinstance(x, dict)]
        t.eq("number of workers in stats", 3, len(w))
        t.eq("distinct worker pids", 3, len({x.get("pid") for x in w}))
        t.check(srv.proc.pid not in {x.get("pid") for x in w},
                "worker pids", "child processes, not the parent",
                [x.get("pid") for x in w])
        t.eq("sum of workers[].accepts", 20,
             sum(x.get("accepts", 0) for x in w))
        t.eq("stats accepted", 20, stats.get("accepted"))
        t.eq("stats closed", 20, stats.get("closed"))
        t.eq("stats requests", 100, stats.get("requests"))


def test_work_us(t):
    srv = sbtest.start_server(t, ["--model", "epoll", "--proto", "rr",
                                  "--work-us", "5000"])
    with srv:
        s = srv.connect(timeout=5)
        t0 = time.monotonic()
        for _ in range(10):
            transfer(s, rr_request(0, 1), 1, 5)
        took = time.monotonic() - t0
        finish(s, 5)
        t.check(took >= 0.045, "10 sequential requests with --work-us 5000",
                ">= 0.05 s", f"{took:.3f}s")
        stats = sbtest.stop_server(t, srv)
        cpu = (stats.get("cpu_user_s") or 0) + (stats.get("cpu_sys_s") or 0)
        t.check(cpu >= 0.04, "stats cpu_user_s + cpu_sys_s (busy work)",
                ">= 0.04", cpu)


def test_accept_delay(t):
    srv = sbtest.start_server(t, ["--model", "epoll", "--proto", "echo",
                                  "--accept-delay-ms", "200"])
    with srv:
        t0 = time.monotonic()
        socks = [srv.connect(timeout=5) for _ in range(3)]
        try:
            for s in socks:
                s.sendall(b"x")
            done = []
            for s in socks:
                s.settimeout(5)
                t.eq("echo", b"x", s.recv(1))
                done.append(time.monotonic() - t0)
            t.check(done[-1] >= 0.5,
                    "time until the 3rd of 3 queued clients is served with "
                    "--accept-delay-ms 200", ">= 0.5 s (3 x 200 ms)",
                    f"{done[-1]:.3f}s")
            for s in socks:
                finish(s, 5)
        finally:
            for s in socks:
                s.close()
        stats = sbtest.stop_server(t, srv)
        t.eq("stats accepted", 3, stats.get("accepted"))


def test_recv_size_bufs(t):
    srv = sbtest.start_server(t, ["--model", "epoll", "--proto", "sink",
                                  "--recv-size", "64", "--rcvbuf", "65536",
                                  "--sndbuf", "65536"])
    with srv:
        s = srv.connect(timeout=5)
        data = (POOL * 3)[:256 * 1024]
        s.sendall(data)
        finish(s, 10)
        time.sleep(0.2)
        stats = sbtest.stop_server(t, srv)
        t.eq("stats recv_size", 64, stats.get("recv_size"))
        t.eq("stats bytes_in", len(data), stats.get("bytes_in"))
        t.check((stats.get("recv_calls") or 0) >= 256 * 1024 // 64,
                "stats recv_calls with --recv-size 64 for 256 KiB",
                f">= {256 * 1024 // 64}", stats.get("recv_calls"))
        t.eq("stats rcvbuf (getsockopt after SO_RCVBUF 65536)",
             sbtest.expected_sockbuf(socket.SO_RCVBUF, 65536),
             stats.get("rcvbuf"))
        t.eq("stats sndbuf (getsockopt after SO_SNDBUF 65536)",
             sbtest.expected_sockbuf(socket.SO_SNDBUF, 65536),
             stats.get("sndbuf"))


def main():
    global POOL
    args = sbtest.parse_args(__doc__)
    POOL = random.Random(args.seed).randbytes(2 * MAX_SIZE + 1)
    runner = sbtest.Runner("test_models")
    for model in args.models:
        for proto in args.protos:
            runner.run(f"{model}/{proto}", test_model_proto, model, proto,
                       timeout=200)
        if "rr" in args.protos:
            runner.run(f"{model}/rr-pipeline", test_rr_pipeline, model,
                       timeout=30)
    if "prefork" in args.models:
        for mode in ("shared", "exclusive", "reuseport"):
            runner.run(f"prefork/accept-mode-{mode}", test_prefork_accept_mode,
                       mode, timeout=60)
    if "epoll" in args.models:
        runner.run("epoll/options/work-us", test_work_us, timeout=30)
        runner.run("epoll/options/accept-delay-ms", test_accept_delay,
                   timeout=30)
        runner.run("epoll/options/recv-size-rcvbuf-sndbuf",
                   test_recv_size_bufs, timeout=30)
    runner.finish()


if __name__ == "__main__":
    main()

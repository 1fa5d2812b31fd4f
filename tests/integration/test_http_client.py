#!/usr/bin/env python3
"""`load --mode http` against real HTTP/1.x servers (issue 13): replies
framed as RFC 9112 section 6.3 says, and hostile peers that cannot hold the
generator.

    python3 tests/integration/test_http_client.py --bin build/sockbench
            [-k NAME]

  pyhttp            `python3 -m http.server` (HTTP/1.0: it closes after each
                    reply) serving a small file, --requests 200 --conns 4:
                    no error, 200 completed, 200 lines in its access log,
                    every request on a new connection (established 200 to
                    203, load.connections.reconnects = established - 4).
  chunked           faultsrv "http:chunked" (chunk extension, trailer):
                    --http-body 13 passes on the decoded body, kept
                    connections; --http-body 12 is an integrity_error each.
  close-body        a body without Content-Length ended by the close: done,
                    not an error; the slot reconnects.
  continue          100 Continue and 103 Early Hints before the 200: only
                    the 200 counts.
  204               204 without Content-Length: no body, connection kept.
  endless-head      a header value that never ends: http_head_too_big per
                    request; the run ends within --duration + 1 s, JSON
                    written.
  endless-body      Content-Length 10^12: reply_too_big at once (default
                    --max-msg 16M); with --max-msg 1024G the body streams and
                    --timeout still fires (request_timeout); endless chunks:
                    reply_too_big after 16 MiB.  Each within --duration + 1 s.
  signal            an endless head, SIGTERM (and SIGINT) after 1 s of a 30 s
                    run: the generator exits within 0.5 s with its JSON
                    written and the error naming the signal.
  max-head, max-msg  the limits against sockbench's own server: a 64-byte
                    --max-head and an 8-byte --max-msg fail every request,
                    each counted by its own kind.

Every process is bounded by a timeout and killed on every exit path.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402
from loadtest import dig, run_load, require_run  # noqa: E402

BODY = b"Hello, World!"


def errors_of(j):
    return dig(j, "load.errors", {}) or {}


def fault_load(t, fault, args, timeout=30, what=None, rc=0):
    """`load --mode http --server-cmd faultsrv.py` with the fault `fault`
    (faultsrv.py's list), the run JSON (exit rc required: 1 when not one
    request can complete, SPEC 10)."""
    cmd, path, _ = sbtest.faultsrv_cmd(lt.tmpdir(), {"128": fault})
    r = run_load(["--mode", "http", "--server-cmd", cmd, "--threads", "1"]
                 + args, timeout)
    j = require_run(t, r, rc=rc,
                    what=what or f"load against faultsrv {fault}")
    t.eq(f"{fault}: faultsrv processes left", [],
         lt.processes_matching(path))
    return j, r


def check_reconnects(t, j, requests, conns, what):
    """Every request on a connection of its own: each slot opened one, then
    reconnected after each reply.  A reopened slot holds the request it
    reopens for while it connects (as crr does), so --requests N opens
    exactly N connections: the slots' first ones plus the reconnects."""
    est = dig(j, "load.connections.established")
    rec = dig(j, "load.connections.reconnects")
    t.eq(f"{what}: load.connections.established", requests, est)
    t.eq(f"{what}: load.connections.reconnects (established - {conns} "
         f"first connections)", (est or 0) - conns, rec)
    t.eq(f"{what}: load.connections.failed", 0,
         dig(j, "load.connections.failed"))


# ------------------------------------------------------- python http.server

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_pyhttp(t):
    d = lt.tmpdir()
    with open(os.path.join(d, "small.txt"), "wb") as f:
        f.write(BODY)
    log = open(os.path.join(d, "access.log"), "w+b")
    port = free_port()
    srv = subprocess.Popen([sys.executable, "-m", "http.server", "--bind",
                            "127.0.0.1", "--directory", d, str(port)],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=log, start_new_session=True)
    sbtest.track(srv)
    try:
        deadline = time.monotonic() + 5
        while sbtest.listen_queue(port) is None:
            t.require(time.monotonic() < deadline and srv.poll() is None,
                      "python3 -m http.server did not listen within 5 s")
            time.sleep(0.02)
        r = run_load(["--mode", "http", "--target", f"127.0.0.1:{port}",
                      "--http-path", "/small.txt", "--requests", "200",
                      "--conns", "4", "--threads", "1", "--http-body", "13"],
                     30)
        j = require_run(t, r, what="load against python3 -m http.server")
        t.eq("load.errors", {}, errors_of(j))
        t.eq("load.requests.completed", 200, dig(j, "load.requests.completed"))
        t.eq("load.requests.failed", 0, dig(j, "load.requests.failed"))
        t.eq("load.http", {"status": {"200": 200}, "not_2xx_3xx": 0},
             dig(j, "load.http"))
        # HTTP/1.0 without keep-alive: one request per connection, the
        # slot reconnecting after each reply
        check_reconnects(t, j, 200, 4, "http.server")
    finally:
        sbtest.killpg(srv)
        log.seek(0)
        lines = [ln for ln in log.read().decode(errors="replace").splitlines()
                 if '"GET /small.txt HTTP/1.1" 200' in ln]
        log.close()
    t.eq("GETs in http.server's access log (== completed)", 200, len(lines))


# ------------------------------------------------------------ framings

def test_chunked(t):
    j, _ = fault_load(t, "http:chunked", ["--requests", "100", "--conns",
                                          "2", "--http-body", "13"])
    t.eq("chunked: load.errors", {}, errors_of(j))
    t.eq("chunked: load.http", {"status": {"200": 100}, "not_2xx_3xx": 0},
         dig(j, "load.http"))
    t.eq("chunked: load.connections.established (kept)", 2,
         dig(j, "load.connections.established"))
    t.eq("chunked: load.connections.reconnects", 0,
         dig(j, "load.connections.reconnects"))
    j, _ = fault_load(t, "http:chunked", ["--requests", "20", "--conns", "2",
                                          "--http-body", "12"], rc=1)
    t.eq("chunked, --http-body 12: load.errors (the decoded body is 13)",
         {"integrity_error": 20}, errors_of(j))
    t.eq("chunked, --http-body 12: load.requests.completed", 0,
         dig(j, "load.requests.completed"))


def test_close_body(t):
    j, _ = fault_load(t, "http:close-body", ["--requests", "60", "--conns",
                                             "2", "--http-body", "13"])
    t.eq("close-delimited: load.errors", {}, errors_of(j))
    t.eq("close-delimited: load.requests.completed", 60,
         dig(j, "load.requests.completed"))
    t.eq("close-delimited: load.http.status", {"200": 60},
         dig(j, "load.http.status"))
    check_reconnects(t, j, 60, 2, "close-delimited")


def test_continue(t):
    j, _ = fault_load(t, "http:continue", ["--requests", "100", "--conns",
                                           "2", "--http-body", "13"])
    t.eq("100 + 103 + 200: load.errors", {}, errors_of(j))
    t.eq("100 + 103 + 200: load.http (interim replies not counted)",
         {"status": {"200": 100}, "not_2xx_3xx": 0}, dig(j, "load.http"))
    t.eq("100 + 103 + 200: load.connections.established", 2,
         dig(j, "load.connections.established"))


def test_204(t):
    j, _ = fault_load(t, "http:204", ["--requests", "100", "--conns", "2",
                                      "--http-body", "0"])
    t.eq("204: load.errors", {}, errors_of(j))
    t.eq("204: load.http.status", {"204": 100}, dig(j, "load.http.status"))
    t.eq("204: load.connections.established (kept)", 2,
         dig(j, "load.connections.established"))


# ------------------------------------------------------------- hostile

def bounded(t, r, duration, what):
    t.check(r.elapsed <= duration + 1.0, f"{what}: run time",
            f"<= --duration {duration:g} s + 1 s", f"{r.elapsed:.2f} s")


def test_endless_head(t):
    j, r = fault_load(t, "http:endless-head", ["--duration", "1s",
                                               "--conns", "2"], timeout=10,
                      rc=1)
    bounded(t, r, 1, "endless head")
    e = errors_of(j)
    t.check(e.get("http_head_too_big", 0) >= 2 and
            set(e) == {"http_head_too_big"}, "endless head: load.errors",
            "only http_head_too_big, >= 2", e)
    t.eq("endless head: load.requests.completed", 0,
         dig(j, "load.requests.completed"))


def test_endless_body(t):
    j, r = fault_load(t, "http:endless-body", ["--duration", "1s", "--conns",
                                               "2"], timeout=10, rc=1)
    bounded(t, r, 1, "Content-Length 10^12")
    e = errors_of(j)
    t.check(e.get("reply_too_big", 0) >= 2 and set(e) == {"reply_too_big"},
            "Content-Length 10^12: load.errors", "only reply_too_big, >= 2", e)
    # refused at the head: one recv() per request, not 16 MiB of body
    per = (dig(j, "load.bytes_in") or 0) / max(1, e.get("reply_too_big", 0))
    t.check(per <= 256 << 10, "Content-Length 10^12: bytes_in per request",
            "<= 256 KiB (one recv)", per)
    # allowed through: it streams, and the request timeout still fires
    j, r = fault_load(t, "http:endless-body", ["--duration", "1500ms",
                                               "--conns", "2", "--max-msg",
                                               "1024G", "--timeout", "400ms"],
                      timeout=10, rc=1)
    bounded(t, r, 1.5, "endless body, --max-msg 1024G")
    e = errors_of(j)
    t.check(e.get("request_timeout", 0) >= 2 and
            set(e) == {"request_timeout"},
            "endless body, --max-msg 1024G --timeout 400ms: load.errors",
            "only request_timeout, >= 2", e)
    t.check((dig(j, "load.bytes_in") or 0) > 1 << 20,
            "endless body, --max-msg 1024G: load.bytes_in", "> 1 MiB (it "
            "streamed)", dig(j, "load.bytes_in"))
    j, r = fault_load(t, "http:endless-chunks", ["--duration", "1s",
                                                 "--conns", "1"], timeout=10,
                      rc=1)
    bounded(t, r, 1, "endless chunks")
    e = errors_of(j)
    t.check(e.get("reply_too_big", 0) >= 1 and set(e) == {"reply_too_big"},
            "endless chunks: load.errors", "only reply_too_big, >= 1", e)


def test_signal(t, sig):
    # The head, not the body: read byte by byte, it is what a Python
    # sender outpaces, so recv() never runs dry (a body is skipped faster
    # than Python can send it).  --max-head 1G: still streaming at the
    # signal.
    cmd, path, _ = sbtest.faultsrv_cmd(lt.tmpdir(),
                                       {"128": "http:endless-head"})
    jpath = os.path.join(lt.tmpdir(), "run.json")
    proc = sbtest.start_proc([sbtest.BIN, "load", "--mode", "http",
                              "--server-cmd", cmd, "--threads", "1",
                              "--conns", "2", "--duration", "30s",
                              "--timeout", "30s", "--max-head", "1G",
                              "--json", jpath])
    time.sleep(1.0)
    t.require(proc.poll() is None, f"load exited before the signal: "
              f"rc {proc.returncode}")
    t0 = time.monotonic()
    proc.send_signal(sig)
    res = sbtest.finish_proc(proc, timeout=12, term_wait=None)
    took = time.monotonic() - t0
    name = signal.Signals(sig).name
    t.check(took <= 0.5, f"{name} to exit", "<= 0.5 s", f"{took:.2f} s "
            f"({res.show()})")
    t.eq(f"{name}: faultsrv processes left", [], lt.processes_matching(path))
    try:
        with open(jpath) as f:
            j = json.load(f)
    except (OSError, ValueError) as e:
        t.fail(f"{name}: no run JSON ({e}); {res.show()}")
    err = j.get("error")
    t.eq(f"{name}: JSON error", f"interrupted by {name}", err)
    t.eq(f"{name}: exit status (128 + the signal)", 128 + sig, res.rc)
    t.check((dig(j, "load.bytes_in") or 0) > 1 << 20, f"{name}: bytes_in",
            "> 1 MiB (the head was streaming)", dig(j, "load.bytes_in"))


# --------------------------------------------------------------- limits

def test_max_head(t):
    r = run_load(["--mode", "http", "--serve", "--model epoll --proto http",
                  "--requests", "50", "--conns", "2", "--threads", "1",
                  "--max-head", "64"], 30)
    j = require_run(t, r, rc=1,
                    what="--max-head 64 against serve's ~90-byte heads")
    t.eq("--max-head 64: load.errors", {"http_head_too_big": 50},
         errors_of(j))
    t.eq("--max-head 64: config.load.max_head", 64,
         dig(j, "config.load.max_head"))
    r = run_load(["--mode", "http", "--serve", "--model epoll --proto http",
                  "--requests", "50", "--conns", "2", "--threads", "1"], 30)
    j = require_run(t, r, what="default --max-head")
    t.eq("default --max-head: load.errors", {}, errors_of(j))
    t.eq("default --max-head: config.load.max_head", 65536,
         dig(j, "config.load.max_head"))


def test_max_msg(t):
    r = run_load(["--mode", "http", "--serve",
                  "--model epoll --proto http --http-body 13",
                  "--requests", "50", "--conns", "2", "--threads", "1",
                  "--max-msg", "8"], 30)
    j = require_run(t, r, rc=1, what="--max-msg 8 against 13-byte bodies")
    t.eq("--max-msg 8: load.errors", {"reply_too_big": 50}, errors_of(j))
    t.eq("--max-msg 8: config.load.max_msg", 8, dig(j, "config.load.max_msg"))
    j, _ = fault_load(t, "http:chunked", ["--requests", "20", "--conns", "2",
                                          "--max-msg", "12"], rc=1)
    t.eq("chunked 13 bytes, --max-msg 12: load.errors",
         {"reply_too_big": 20}, errors_of(j))
    j, _ = fault_load(t, "http:chunked", ["--requests", "20", "--conns", "2",
                                          "--max-msg", "13"])
    t.eq("chunked 13 bytes, --max-msg 13: load.errors", {}, errors_of(j))


# ----------------------------------------------------------------- main

def cases(runner):
    runner.run("pyhttp", test_pyhttp, timeout=40)
    runner.run("chunked", test_chunked, timeout=40)
    runner.run("close-body", test_close_body, timeout=40)
    runner.run("continue", test_continue, timeout=40)
    runner.run("204", test_204, timeout=40)
    runner.run("endless-head", test_endless_head, timeout=30)
    runner.run("endless-body", test_endless_body, timeout=40)
    runner.run("signal-term", test_signal, signal.SIGTERM, timeout=30)
    runner.run("signal-int", test_signal, signal.SIGINT, timeout=30)
    runner.run("max-head", test_max_head, timeout=40)
    runner.run("max-msg", test_max_msg, timeout=40)


def main():
    sbtest.parse_args(__doc__)
    lt.run_tests("test_http_client", cases)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Clients that misbehave must not crash a server or wedge it:
oversize rr headers, resets mid-request and mid-reply, 1,000 idle
connections then SIGTERM, --max-conns.  (--idle-timeout-ms: test_hostile.py,
on every model.)

    python3 tests/integration/test_badinput.py --bin build/sockbench \
        [--models epoll,...] [-k NAME]
"""

import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
from sbtest import (finish, pattern, reset_close, rr_request,  # noqa: E402
                    transfer, wait_eof)

IDLE_MODELS = {"epoll": 1000, "poll": 1000, "libevent": 1000,
               "uring": 1000, "prefork": 1000, "select": 900,
               "fork": 100, "thread": 100}
MAXCONN_MODELS = ["epoll", "poll", "thread"]


def rr_exchanges(t, s, n, what):
    """n rr exchanges on s, each verified; returns how many succeeded."""
    ok = 0
    for i in range(n):
        req, resp = 100 + 37 * i, 1000 + 501 * i
        try:
            data = transfer(s, rr_request(req, resp), resp, 5)
        except Exception as e:  # noqa: BLE001
            t._record(f"{what}: exchange {i}: expected a {resp}-byte reply,"
                      f" actual {e!r}")
            return ok
        if not t.eq(f"{what}: exchange {i} reply (len, equal)", (resp, True),
                    (len(data), data == pattern(resp))):
            return ok
        ok += 1
    return ok


def bad_client_case(t, model, misbehave, want_protocol_errors):
    """A good client works before (concurrent models) and after a bad one
    misbehaves; the server stays up; counts are exact."""
    srv = sbtest.start_server(t, ["--model", model, "--proto", "rr"], model)
    with srv:
        concurrent = model != "blocking"   # blocking serves one at a time
        done = 0
        good = None
        if concurrent:
            good = srv.connect(timeout=5)
            done += rr_exchanges(t, good, 2, "good client before")
        bad = srv.connect(timeout=5)
        try:
            misbehave(t, bad)
        finally:
            bad.close()
        time.sleep(0.1)
        t.require(srv.alive(), f"server exited after the bad client: status "
                  f"{srv.proc.poll()}, stderr={srv.stderr()[-1000:]!r}")
        if good is None:
            good = srv.connect(timeout=5)
        done += rr_exchanges(t, good, 5, "good client after")
        try:
            finish(good, 5)
        except Exception as e:  # noqa: BLE001
            t._record(f"good client orderly close: {e!r}")
        time.sleep(0.2)
        stats = sbtest.stop_server(t, srv)
        t.eq("stats protocol_errors", want_protocol_errors,
             stats.get("protocol_errors"))
        t.eq("stats accepted", 2, stats.get("accepted"))
        t.eq("stats closed", 2, stats.get("closed"))
        t.check((stats.get("requests") or 0) >= done, "stats requests",
                f">= {done} (good client's)", stats.get("requests"))


def expect_closed(t, s, what):
    how, secs = wait_eof(s, 3)
    t.check(how in ("eof", "reset"), what,
            "the server closes it within 3 s (recv returns b'' or reset)",
            f"{how} after {secs:.2f}s")


def oversize_req(t, s):
    s.sendall(struct.pack(">II", 0xFFFFFFFF, 16))
    expect_closed(t, s, "connection that sent req_len 0xFFFFFFFF")


def half_then_reset(t, s):
    s.sendall(struct.pack(">II", 1000, 10) + b"x" * 100)
    time.sleep(0.1)
    reset_close(s)


def reset_mid_reply(t, s):
    # 8 MiB reply; read a little, then RST. The server's next send gets
    # EPIPE/ECONNRESET: it must not die of SIGPIPE.
    s.sendall(rr_request(0, 8 * 1024 * 1024))
    s.settimeout(5)
    s.recv(4096)
    reset_close(s)


def test_oversize(t, model):
    bad_client_case(t, model, oversize_req, 1)


def test_half_reset(t, model):
    bad_client_case(t, model, half_then_reset, 0)


def test_reset_mid_reply(t, model):
    bad_client_case(t, model, reset_mid_reply, 0)


def test_max_msg_boundary(t, model):
    """--max-msg 1000: lengths of exactly 1000 are fine, 1001 in either
    field closes the connection."""
    srv = sbtest.start_server(t, ["--model", model, "--proto", "rr",
                                  "--max-msg", "1000"], model)
    with srv:
        s = srv.connect(timeout=5)
        data = transfer(s, rr_request(1000, 1000), 1000, 5)
        t.eq("reply to req_len = resp_len = max-msg (len, equal)",
             (1000, True), (len(data), data == pattern(1000)))
        finish(s, 5)
        s = srv.connect(timeout=5)
        s.sendall(struct.pack(">II", 0, 1001))
        expect_closed(t, s, "connection that sent resp_len max-msg + 1")
        s.close()
        s = srv.connect(timeout=5)
        s.sendall(struct.pack(">II", 1001, 0))
        expect_closed(t, s, "connection that sent req_len max-msg + 1")
        s.close()
        time.sleep(0.2)
        stats = sbtest.stop_server(t, srv)
        t.eq("stats protocol_errors", 2, stats.get("protocol_errors"))
        t.eq("stats requests", 1, stats.get("requests"))


def test_idle_conns(t, model, n):
    srv = sbtest.start_server(t, ["--model", model, "--proto", "echo",
                                  "--backlog", "1024"], model)
    socks = []
    with srv:
        try:
            for i in range(n):
                try:
                    socks.append(srv.connect(timeout=5))
                except OSError as e:
                    t.fail(f"connect {i + 1} of {n}: {e!r}")
            q = sbtest.wait_accept_queue_empty(srv.port, 10)
            t.eq("accept queue length 10 s after the last connect", 0, q)
            for i in (0, n // 2, n - 1):
                try:
                    got = transfer(socks[i], b"ping", 4, 5)
                    t.eq(f"echo on idle connection {i}", b"ping", got)
                except Exception as e:  # noqa: BLE001
                    t._record(f"echo on idle connection {i}: expected "
                              f"b'ping', actual {e!r}")
            t.require(srv.alive(), f"server died: status {srv.proc.poll()}"
                      f", stderr={srv.stderr()[-1000:]!r}")
            stats = sbtest.stop_server(t, srv, timeout=5)
            t.note(f"exited {srv.exit_time:.2f}s after SIGTERM with "
                   f"{n} connections open")
        finally:
            for s in socks:
                s.close()
        t.check((stats.get("accepted") or 0) >= n, "stats accepted",
                f">= {n}", stats.get("accepted"))
        if model != "prefork":
            t.check((stats.get("peak_connections") or 0) >= n,
                    "stats peak_connections", f">= {n}",
                    stats.get("peak_connections"))
        if model == "select":
            t.eq("stats rejected_fd_setsize", 0,
                 stats.get("rejected_fd_setsize"))


def test_blocking_sigterm(t):
    """blocking: one idle client being served, 5 more queued; SIGTERM must
    still end the server at once (recv() is interrupted)."""
    srv = sbtest.start_server(t, ["--model", "blocking", "--proto", "echo"],
                              "blocking")
    socks = []
    with srv:
        try:
            for _ in range(6):
                socks.append(srv.connect(timeout=5))
            t.eq("echo on the served connection", b"ping",
                 transfer(socks[0], b"ping", 4, 5))
            t.eq("accept queue (5 waiting)", 5, sbtest.listen_queue(srv.port))
            stats = sbtest.stop_server(t, srv, timeout=5)
            t.note(f"exited {srv.exit_time:.2f}s after SIGTERM")
        finally:
            for s in socks:
                s.close()
        t.eq("stats accepted", 1, stats.get("accepted"))


closed_now = sbtest.closed_now


def test_max_conns(t, model):
    srv = sbtest.start_server(t, ["--model", model, "--proto", "echo",
                                  "--max-conns", "5"], model)
    socks = []
    with srv:
        try:
            for _ in range(8):
                socks.append(srv.connect(timeout=5))
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                closed = [i for i, s in enumerate(socks) if closed_now(s)]
                if len(closed) >= 3:
                    break
                time.sleep(0.05)
            time.sleep(0.2)
            closed = [i for i, s in enumerate(socks) if closed_now(s)]
            t.eq("connections the server closed at once (the last 3 of 8)",
                 [5, 6, 7], closed)
            for i in range(5):
                if i in closed:
                    continue
                try:
                    got = transfer(socks[i], b"hello", 5, 5)
                    t.eq(f"echo on kept connection {i}", b"hello", got)
                    finish(socks[i], 5)
                except Exception as e:  # noqa: BLE001
                    t._record(f"echo on kept connection {i}: expected "
                              f"b'hello', actual {e!r}")
        finally:
            for s in socks:
                s.close()
        time.sleep(0.2)
        stats = sbtest.stop_server(t, srv)
        t.eq("stats rejected_max_conns", 3, stats.get("rejected_max_conns"))
        t.check((stats.get("peak_connections") or 0) <= 5,
                "stats peak_connections", "<= 5",
                stats.get("peak_connections"))


def test_select_fd_setsize(t):
    """1,100 connections to select: those whose fd would be >= FD_SETSIZE
    are closed at once and counted; the others keep working."""
    n = 1100
    srv = sbtest.start_server(t, ["--model", "select", "--proto", "echo",
                                  "--backlog", "2048"], "select")
    socks = []
    with srv:
        try:
            for i in range(n):
                socks.append(srv.connect(timeout=5))
            t.eq("accept queue length after the connects", 0,
                 sbtest.wait_accept_queue_empty(srv.port, 10))
            time.sleep(0.3)
            closed = [i for i, s in enumerate(socks) if closed_now(s)]
            t.check(60 <= len(closed) <= 200,
                    "connections the server closed (fd >= FD_SETSIZE)",
                    "60..200 of 1100", len(closed))
            t.eq("closed connections are the last ones", True,
                 closed == list(range(n - len(closed), n)))
            got = transfer(socks[0], b"ping", 4, 5)
            t.eq("echo on the first connection", b"ping", got)
            t.require(srv.alive(), "server died")
            stats = sbtest.stop_server(t, srv)
        finally:
            for s in socks:
                s.close()
        t.eq("stats rejected_fd_setsize (= connections the client saw "
             "closed)", len(closed), stats.get("rejected_fd_setsize"))


def main():
    args = sbtest.parse_args(__doc__)
    runner = sbtest.Runner("test_badinput")
    for model in args.models:
        runner.run(f"{model}/oversize-header", test_oversize, model,
                   timeout=30)
    for model in args.models:
        runner.run(f"{model}/half-request-then-reset", test_half_reset,
                   model, timeout=30)
    for model in args.models:
        runner.run(f"{model}/reset-during-reply", test_reset_mid_reply,
                   model, timeout=30)
    for model in ("epoll", "blocking"):
        if model in args.models:
            runner.run(f"{model}/max-msg-boundary", test_max_msg_boundary,
                       model, timeout=30)
    for model, n in IDLE_MODELS.items():
        if model in args.models:
            runner.run(f"{model}/{n}-idle-then-sigterm", test_idle_conns,
                       model, n, timeout=60)
    if "blocking" in args.models:
        runner.run("blocking/idle-then-sigterm", test_blocking_sigterm,
                   timeout=30)
    if "select" in args.models:
        runner.run("select/over-fd-setsize", test_select_fd_setsize,
                   timeout=60)
    for model in MAXCONN_MODELS:
        if model in args.models:
            runner.run(f"{model}/max-conns-5", test_max_conns, model,
                       timeout=30)
    runner.finish()


if __name__ == "__main__":
    main()

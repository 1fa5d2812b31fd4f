#!/usr/bin/env python3
"""IPv6 (::1) and Unix-socket round trips for rr and echo on the epoll and
blocking models; the Unix socket file is removed after SIGTERM.

    python3 tests/integration/test_addr.py --bin build/sockbench \
        [--models epoll,blocking] [--protos rr,echo] [-k NAME]
"""

import os
import random
import shutil
import stat
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
from sbtest import finish, pattern, rr_request, transfer  # noqa: E402

MODELS = ["epoll", "blocking"]
PROTOS = ["rr", "echo"]
CLIENTS = 3
EXCHANGES = 10


def round_trips(t, srv, proto, rng):
    """CLIENTS clients one after another, EXCHANGES verified exchanges each;
    returns (bytes sent, bytes received)."""
    sent = received = 0
    for c in range(CLIENTS):
        s = srv.connect(timeout=5)
        try:
            for i in range(EXCHANGES):
                if proto == "rr":
                    req, resp = rng.randint(0, 20000), rng.randint(0, 70000)
                    out, want = rr_request(req, resp), pattern(resp)
                else:
                    out = rng.randbytes(rng.randint(1, 70000))
                    want = out
                data = transfer(s, out, len(want), 10)
                sent += len(out)
                received += len(data)
                if not t.eq(f"client {c} exchange {i} reply (len, equal)",
                            (len(want), True), (len(data), data == want)):
                    return sent, received
            t.eq(f"client {c}: bytes after the last reply", b"",
                 finish(s, 5))
        finally:
            s.close()
    return sent, received


def check_stats(t, stats, model, proto, sent, received):
    sbtest.check_stats_shape(t, stats, model, proto)
    t.eq("stats accepted", CLIENTS, stats.get("accepted"))
    t.eq("stats closed", CLIENTS, stats.get("closed"))
    t.eq("stats bytes_in", sent, stats.get("bytes_in"))
    t.eq("stats bytes_out", received, stats.get("bytes_out"))
    t.eq("stats protocol_errors", 0, stats.get("protocol_errors"))
    if proto == "rr":
        t.eq("stats requests", CLIENTS * EXCHANGES, stats.get("requests"))


def test_ipv6(t, model, proto):
    rng = random.Random(f"{sbtest.ARGS.seed}-{model}-{proto}-v6")
    srv = sbtest.start_server(t, ["--model", model, "--proto", proto,
                                  "--bind", "::1"], model)
    with srv:
        t.eq("READY addr", "::1", srv.ready["addr"])
        t.check(srv.port > 0, "READY port", "> 0", srv.port)
        sent, received = round_trips(t, srv, proto, rng)
        time.sleep(0.2)
        stats = sbtest.stop_server(t, srv)
        check_stats(t, stats, model, proto, sent, received)


def test_unix(t, model, proto):
    rng = random.Random(f"{sbtest.ARGS.seed}-{model}-{proto}-unix")
    d = tempfile.mkdtemp(prefix="sbtest-", dir="/tmp")
    path = os.path.join(d, f"{model}-{proto}.sock")
    try:
        srv = sbtest.start_server(t, ["--model", model, "--proto", proto,
                                      "--bind", f"unix:{path}"], model)
        with srv:
            t.eq("READY addr", f"unix:{path}", srv.ready["addr"])
            t.eq("READY port (Unix socket)", 0, srv.port)
            st = os.stat(path) if os.path.exists(path) else None
            t.check(st is not None and stat.S_ISSOCK(st.st_mode),
                    f"{path} while the server runs", "a socket file",
                    "missing" if st is None else oct(st.st_mode))
            sent, received = round_trips(t, srv, proto, rng)
            time.sleep(0.2)
            stats = sbtest.stop_server(t, srv)
            check_stats(t, stats, model, proto, sent, received)
            t.eq(f"{path} exists after SIGTERM", False, os.path.exists(path))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    args = sbtest.parse_args(__doc__)
    runner = sbtest.Runner("test_addr")
    for model in MODELS:
        if model not in args.models:
            continue
        for proto in PROTOS:
            if proto not in args.protos:
                continue
            runner.run(f"{model}/{proto}/ipv6", test_ipv6, model, proto,
                       timeout=30)
            runner.run(f"{model}/{proto}/unix", test_unix, model, proto,
                       timeout=30)
    runner.finish()


if __name__ == "__main__":
    main()

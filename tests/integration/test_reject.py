#!/usr/bin/env python3
"""The ways a server can turn a client away, as the client sees them and as
the server counts them (the `reject` lesson's machinery):

  --model none        the port is bound, nothing listens: the kernel answers
                      the SYN with RST, connect() fails with ECONNREFUSED at
                      once (no SYN retry);
  --on-accept close   accept() then close(): connect() succeeded, recv()
                      returns b"" (FIN); server.closed_on_accept;
  --on-accept reset   SO_LINGER {1, 0} then close(): RST, the client gets
                      ECONNRESET; server.reset_on_accept;
  --no-reuseaddr      a connection of the last server on the port sits in
                      TIME_WAIT: bind() fails with EADDRINUSE (one line,
                      exit 1); with SO_REUSEADDR (the default) it binds;
  peer_fin/peer_reset how the client ended each connection (close() vs
                      close() with SO_LINGER 0), counted by the server.

    python3 tests/integration/test_reject.py --bin build/sockbench [-k NAME]

Needs root: it re-executes itself under `unshare -n` (a private network
namespace, `lo` brought up), so the fixed port of the TIME_WAIT case and
its TIME_WAIT socket never touch the host.

The reset case allows one race the kernel really has: on loopback the
server can accept and reset before the client's connect() has returned
(the client's final ACK completes the handshake in softirq, the server's
RST arrives before the connecting thread runs), and then connect() itself
fails with ECONNRESET.  Either way the client sees ECONNRESET, never EOF.
"""

import errno
import json
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402

C_MODELS = ["epoll", "thread", "blocking", "fork", "poll", "select",
            "prefork", "libevent", "uring"]
PY_MODELS = ["py-blocking", "py-threading", "py-selectors", "py-asyncio"]
LINGER0 = struct.pack("ii", 1, 0)
TW_PORT = 40123   # fixed: a restarted server must find the same port


def connect(port, timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def start(t, args, model):
    return sbtest.start_server(t, ["--model", model] + args, model=model)


# ------------------------------------------------------------ model none

def test_none_refuses(t):
    """A bound port without listen(): ECONNREFUSED within 100 ms, every
    time; the server accepted nothing and stops cleanly."""
    srv = start(t, [], "none")
    with srv:
        t.eq("READY model", "none", srv.ready["model"])
        for i in range(3):
            s = socket.socket()
            s.settimeout(2.0)
            t0 = time.monotonic()
            try:
                s.connect(("127.0.0.1", srv.port))
                got = "connected"
            except ConnectionRefusedError:
                got = "ECONNREFUSED"
            except OSError as e:
                got = errno.errorcode.get(e.errno, str(e))
            took = time.monotonic() - t0
            s.close()
            t.eq(f"connect {i} to a bound, not listening port", "ECONNREFUSED", got)
            t.check(took < 0.1, f"connect {i} refused at once", "< 0.100 s",
                    f"{took:.3f} s")
        st = sbtest.stop_server(t, srv)
    t.eq("server accepted, closed", (0, 0), (st.get("accepted"), st.get("closed")))
    t.eq("server backlog_effective (no accept queue)", None,
         st.get("backlog_effective"))


def test_none_load(t):
    """load --serve "--model none": every connect refused, counted as
    ECONNREFUSED, said in an explain line, exit 1 (nothing succeeded)."""
    r = lt.run_load(["--serve", "--model none", "--mode", "connect",
                     "--conns", "3", "--threads", "1", "--duration", "0.3"],
                    timeout=20)
    t.eq("load exit status (not one connection)", 1, r.rc)
    j = r.json
    t.require(isinstance(j, dict), f"load wrote no JSON: {r.describe()}")
    att = sbtest.dig(j, "load", "connections", "attempted")
    t.check(isinstance(att, int) and att >= 3, "connects attempted", ">= 3", att)
    t.eq("connects failed", att, sbtest.dig(j, "load", "connections", "failed"))
    t.eq("errors", {"ECONNREFUSED": att}, sbtest.dig(j, "load", "errors"))
    t.eq("config.server.model", "none", sbtest.dig(j, "config", "server", "model"))
    t.eq("server.accepted", 0, sbtest.dig(j, "server", "accepted"))
    want = (f"not one connection was established: {att} ECONNREFUSED - every "
            f"connect was refused (ECONNREFUSED): nothing listens on")
    t.check(any(want in x for x in j.get("explain") or []), "an explain line",
            want, j.get("explain"))
    t.eq("error", None, j.get("error"))


# ------------------------------------------------------------ --on-accept

def client_close_case(t, model):
    srv = start(t, ["--on-accept", "close"], model)
    with srv:
        s = connect(srv.port)  # the handshake completed: connect succeeds
        try:
            data = s.recv(16)
        except OSError as e:
            data = f"raised {type(e).__name__}"
        s.close()
        t.eq(f"{model}: recv after --on-accept close", b"", data)
        st = sbtest.stop_server(t, srv)
    t.eq(f"{model}: accepted, closed, closed_on_accept, reset_on_accept",
         (1, 1, 1, 0), (st.get("accepted"), st.get("closed"),
                        st.get("closed_on_accept"), st.get("reset_on_accept")))


def client_reset_case(t, model):
    srv = start(t, ["--on-accept", "reset"], model)
    with srv:
        how = "no error"
        try:
            s = connect(srv.port)
        except ConnectionResetError:
            how = "ECONNRESET"  # the RST came before connect() returned
        else:
            try:
                data = s.recv(16)
                how = f"recv returned {data!r}"
            except ConnectionResetError:
                how = "ECONNRESET"
            except OSError as e:
                how = f"raised {type(e).__name__}"
            s.close()
        t.eq(f"{model}: the client after --on-accept reset", "ECONNRESET", how)
        st = sbtest.stop_server(t, srv)
    t.eq(f"{model}: accepted, closed, closed_on_accept, reset_on_accept",
         (1, 1, 0, 1), (st.get("accepted"), st.get("closed"),
                        st.get("closed_on_accept"), st.get("reset_on_accept")))


def test_on_accept(t, model):
    client_close_case(t, model)
    client_reset_case(t, model)


def test_on_accept_load(t):
    """A generator's view: crr against --on-accept reset counts ECONNRESET,
    and config.server records the option."""
    r = lt.run_load(["--serve", "--model epoll --on-accept reset",
                     "--mode", "crr", "--conns", "2", "--threads", "1",
                     "--requests", "20", "--timeout", "2s"], timeout=20)
    j = r.json
    t.require(isinstance(j, dict), f"load wrote no JSON: {r.describe()}")
    t.eq("config.server.on_accept", "reset",
         sbtest.dig(j, "config", "server", "on_accept"))
    t.eq("config.server.no_reuseaddr", False,
         sbtest.dig(j, "config", "server", "no_reuseaddr"))
    errs = sbtest.dig(j, "load", "errors") or {}
    resets = sbtest.dig(j, "server", "reset_on_accept")
    t.check(errs.get("ECONNRESET", 0) >= 1, "load errors ECONNRESET", ">= 1", errs)
    t.eq("server reset_on_accept = accepted", sbtest.dig(j, "server", "accepted"),
         resets)
    t.eq("requests completed", 0, sbtest.dig(j, "load", "requests", "completed"))


def test_reset_unix_refused(t):
    r = sbtest.run_proc([sbtest.BIN, "serve", "--bind", "unix:/tmp/sb-reject-x",
                         "--on-accept", "reset"], timeout=5)
    t.eq("exit status", 2, r.rc)
    lines = r.err.strip().splitlines()
    t.eq("stderr lines", 1, len(lines))
    t.check("--on-accept reset" in r.err and "unix" in r.err, "stderr",
            "one line naming --on-accept reset and unix", r.err)


def test_sweep_axes(t):
    """The table rows are sweep axes: --help lists them and a sweep varies
    them (one run each, in the sweep's own namespaces)."""
    h = sbtest.run_proc([sbtest.BIN, "sweep", "--help"], timeout=10)
    for name in ("--on-accept", "--no-reuseaddr"):
        t.check(name in h.out, f"sweep --help lists {name}", name, "absent")
    out = lt.tmpdir()
    d = os.path.join(out, "sw")
    r = sbtest.run_proc([sbtest.BIN, "sweep", "--out", d, "--quiet",
                         "--models", "epoll", "--on-accept", "close,reset",
                         "--mode", "crr", "--conns", "1", "--threads", "1",
                         "--requests", "5", "--timeout", "1s"], timeout=60)
    t.eq("sweep exit status", 0, r.rc)
    got = {}
    runs = os.path.join(d, "runs")
    for f in sorted(os.listdir(runs)) if os.path.isdir(runs) else []:
        if f.endswith(".json"):
            with open(os.path.join(runs, f)) as fh:
                j = json.load(fh)
            oa = sbtest.dig(j, "config", "server", "on_accept")
            got[oa] = (sbtest.dig(j, "server", "closed_on_accept"),
                       sbtest.dig(j, "server", "reset_on_accept"))
    t.eq("cells by on_accept: (closed_on_accept > 0, reset_on_accept > 0)",
         {"close": (True, False), "reset": (False, True)},
         {k: (bool(v[0]), bool(v[1])) for k, v in got.items()})


# ------------------------------------------------------- --no-reuseaddr

def leave_time_wait(t, model):
    """A server on TW_PORT, a client connected to it; the server stops
    first (its FIN goes first), then the client closes: the server's end
    of that connection stays in TIME_WAIT (60 s) holding the port."""
    srv = start(t, ["--port", str(TW_PORT), "--proto", "echo"], model)
    with srv:
        s = connect(TW_PORT)
        s.sendall(b"x")
        t.eq("echo before the stop", b"x", s.recv(1))
        st = sbtest.stop_server(t, srv)
        t.eq("reuseaddr (default, read back)", True, st.get("reuseaddr"))
        data, how = sbtest.read_to_end(s, 2.0)
        t.eq("the client reads the server's FIN", "eof", how)
        s.close()
    ss = subprocess.run(["ss", "-Htan", "state", "time-wait",
                         f"sport = :{TW_PORT}"], capture_output=True,
                        text=True, timeout=5).stdout
    t.require(ss.strip() != "", f"no TIME_WAIT socket on port {TW_PORT}: {ss!r}")


def test_no_reuseaddr(t, model):
    leave_time_wait(t, model)
    t0 = time.monotonic()
    r = sbtest.run_proc([sbtest.BIN, "serve", "--model", model, "--port",
                         str(TW_PORT), "--no-reuseaddr"], timeout=5)
    took = time.monotonic() - t0
    t.eq(f"{model} --no-reuseaddr: exit status", 1, r.rc)
    t.check(took < 3, "it fails at once, never hangs", "< 3 s", f"{took:.1f} s")
    lines = r.err.strip().splitlines()
    t.eq("stderr lines", 1, len(lines))
    want = f"bind 127.0.0.1:{TW_PORT}: Address already in use (EADDRINUSE)"
    t.check(want in r.err, "stderr names the address and errno", want, r.err)
    t.check("READY" not in r.out, "no READY line", "none", r.out)
    # the same port, SO_REUSEADDR on (the default): bind passes TIME_WAIT
    srv = start(t, ["--port", str(TW_PORT)], model)
    with srv:
        t.eq("default: READY port", TW_PORT, srv.port)
        st = sbtest.stop_server(t, srv)
    t.eq("reuseaddr read back", True, st.get("reuseaddr"))


def test_no_reuseaddr_reported(t, model):
    srv = start(t, ["--no-reuseaddr"], model)
    with srv:
        st = sbtest.stop_server(t, srv)
    t.eq(f"{model} --no-reuseaddr: server.reuseaddr", False, st.get("reuseaddr"))


# ------------------------------------------------- how connections ended

def test_peer_end(t, model):
    srv = start(t, ["--proto", "echo"], model)
    with srv:
        for linger in (False, False, True):
            s = connect(srv.port)
            s.sendall(b"hi")
            data, how = sbtest.recv_exact(s, 2, 2.0)
            t.eq("echo", (b"hi", "ok"), (data, how))
            if linger:  # close() with SO_LINGER {1, 0}: RST, not FIN
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
            s.close()
        # every connection accepted, then time for the server's recv()
        # to see the last FIN or RST before the stop
        sbtest.wait_accept_queue_empty(srv.port, 2.0)
        time.sleep(0.3)
        st = sbtest.stop_server(t, srv)
    t.eq(f"{model}: accepted, closed, peer_fin, peer_reset", (3, 3, 2, 1),
         (st.get("accepted"), st.get("closed"), st.get("peer_fin"),
          st.get("peer_reset")))


# ------------------------------------------------------------ the runner

def inner(args):
    runner = sbtest.Runner("test_reject (private network namespace)")
    sbtest.netns_inner_setup(runner, args.host_netns_ino)
    runner.run("none-refuses-at-once", test_none_refuses, timeout=20)
    runner.run("none-load-explains", test_none_load, timeout=30)
    for m in C_MODELS + PY_MODELS:
        runner.run(f"on-accept-{m}", test_on_accept, m, timeout=20)
    runner.run("on-accept-load-crr", test_on_accept_load, timeout=30)
    runner.run("on-accept-reset-unix-refused", test_reset_unix_refused,
               timeout=10)
    runner.run("sweep-axes", test_sweep_axes, timeout=60)
    for m in ("epoll", "py-selectors"):
        runner.run(f"no-reuseaddr-time-wait-{m}", test_no_reuseaddr, m,
                   timeout=20)
    for m in ("thread", "py-asyncio"):
        runner.run(f"no-reuseaddr-reported-{m}", test_no_reuseaddr_reported,
                   m, timeout=20)
    for m in ("epoll", "thread", "blocking", "fork", "uring", "py-threading"):
        runner.run(f"peer-fin-reset-{m}", test_peer_end, m, timeout=20)
    lt.cleanup_tmpdirs()
    runner.finish()


def main():
    args = sbtest.parse_args(__doc__, extra=sbtest.add_netns_args)
    if args.in_netns:
        inner(args)
    else:
        sbtest.require_root("test_reject.py", "unshare -n")
        sbtest.netns_outer(__file__, total_timeout=120)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""How a client leaves, who closes first, and a server restarted on its
port (issue 17: the `close` and `restart` lessons): `load --close
fin|reset|exit`, `--unread`, `--first client|server`, `--restart ...`,
and what the run JSON says of them (leave, tcp_states, restart,
load.connections.local_ports).

    python3 tests/integration/test_close.py --bin build/sockbench [-k NAME]

Needs root: re-executes itself under `unshare -n`, so that sock_diag's TCP
states and the kernel counters hold only this file's runs.  Each run's
server sees how its connections ended (closesrv.py logs "eof" for a FIN,
"reset" for an RST); the kernel facts relied on: the side that closes first
holds TIME_WAIT; close() with unread data, or after SO_LINGER {1, 0}, sends
RST (TCPAbortOnClose, TCPAbortOnData); a process's exit closes its
sockets as close() does; bind() without SO_REUSEADDR fails with
EADDRINUSE while a TIME_WAIT holds the port.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402
from loadtest import dig, run_load, require_run  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CLOSESRV = os.path.join(HERE, "closesrv.py")
CONNS = 4
BASE = ["--conns", str(CONNS), "--threads", "2", "--duration", "300ms",
        "--quiet"]


def states(j, when, side):
    return dig(j, f"tcp_states.{when}.{side}") or {}


def with_closesrv(t, extra, mode="echo"):
    """A run against closesrv.py; returns (json, [how each connection
    ended, as the server saw it])."""
    log = os.path.join(lt.tmpdir(), "ends.log")
    cmd = f"{sys.executable} {CLOSESRV} {{port}} {log}"
    r = run_load(["--server-cmd", cmd, "--mode", mode] + BASE + extra, 20)
    j = require_run(t, r)
    try:
        with open(log) as f:
            ends = sorted(x.strip() for x in f if x.strip())
    except OSError:
        ends = []
    return j, ends


def test_fin(t):
    j, ends = with_closesrv(t, ["--close", "fin"])
    t.eq("server saw (closesrv log)", ["eof"] * CONNS, ends)
    t.eq("tcp_states.after_leave.client.TIME_WAIT", CONNS,
         states(j, "after_leave", "client").get("TIME_WAIT"))
    t.eq("tcp_states.after_leave.server.TIME_WAIT", None,
         states(j, "after_leave", "server").get("TIME_WAIT"))
    t.eq("leave.first_close", "client", dig(j, "leave.first_close"))
    t.eq("leave.drain_failed", 0, dig(j, "leave.drain_failed"))
    t.eq("kernel.delta.TCPAbortOnClose", 0,
         dig(j, "kernel.delta.TCPAbortOnClose"))


def test_reset(t):
    j, ends = with_closesrv(t, ["--close", "reset"])
    t.eq("server saw (closesrv log)", ["reset"] * CONNS, ends)
    t.eq("tcp_states.after_leave.client (no TIME_WAIT)", {},
         states(j, "after_leave", "client"))
    t.eq("tcp_states.after_leave.server TIME_WAIT", None,
         states(j, "after_leave", "server").get("TIME_WAIT"))
    t.check((dig(j, "kernel.delta.TCPAbortOnData") or 0) >= CONNS,
            "kernel.delta.TCPAbortOnData", f">= {CONNS}",
            dig(j, "kernel.delta.TCPAbortOnData"))


def test_exit(t):
    j, ends = with_closesrv(t, ["--close", "exit"])
    t.eq("server saw (closesrv log)", ["eof"] * CONNS, ends)
    t.eq("tcp_states.after_leave.client.TIME_WAIT", CONNS,
         states(j, "after_leave", "client").get("TIME_WAIT"))
    t.eq("leave.exit_status (the child's wait status)", 0,
         dig(j, "leave.exit_status"))


def test_exit_unread(t):
    j, ends = with_closesrv(t, ["--close", "exit", "--unread"])
    t.eq("server saw (closesrv log)", ["reset"] * CONNS, ends)
    t.eq("leave.unread_waiting", CONNS, dig(j, "leave.unread_waiting"))
    t.check((dig(j, "kernel.delta.TCPAbortOnClose") or 0) >= CONNS,
            "kernel.delta.TCPAbortOnClose", f">= {CONNS}",
            dig(j, "kernel.delta.TCPAbortOnClose"))
    t.eq("tcp_states.after_leave.client.TIME_WAIT", None,
         states(j, "after_leave", "client").get("TIME_WAIT"))


def test_drain(t):
    """Replies still on their way at the end are read before the close:
    FIN, not a silent RST (a slow server: each request 20 ms of work)."""
    r = run_load(["--serve", "--model epoll --work-us 20000", "--mode", "rr"]
                 + BASE, 20)
    j = require_run(t, r)
    inflight = dig(j, "load.requests.in_flight_at_end")
    t.check(inflight and inflight > 0, "load.requests.in_flight_at_end",
            "> 0 (a slow server)", inflight)
    t.eq("leave.drained (in flight at the end, read out)", inflight,
         dig(j, "leave.drained"))
    t.eq("kernel.delta.TCPAbortOnClose", 0,
         dig(j, "kernel.delta.TCPAbortOnClose"))
    t.eq("tcp_states.after_leave.client.TIME_WAIT", CONNS,
         states(j, "after_leave", "client").get("TIME_WAIT"))
    srv = j.get("server") or {}
    t.eq("server.requests == completed + drained",
         dig(j, "load.requests.completed") + inflight, srv.get("requests"))


def test_first_server(t):
    r = run_load(["--serve", "--model epoll", "--first", "server"] + BASE, 20)
    j = require_run(t, r)
    t.eq("leave.first_close", "server", dig(j, "leave.first_close"))
    t.eq("tcp_states.after_leave.server.TIME_WAIT", CONNS,
         states(j, "after_leave", "server").get("TIME_WAIT"))
    t.eq("tcp_states.after_leave.client", {},
         states(j, "after_leave", "client"))
    t.eq("tcp_states.after_stop.client.CLOSE_WAIT", CONNS,
         states(j, "after_stop", "client").get("CLOSE_WAIT"))


def serve_has_no_reuseaddr():
    out = subprocess.run([sbtest.BIN, "serve", "--help"], capture_output=True,
                         text=True, timeout=10).stdout
    return "--no-reuseaddr" in out


def test_restart(t, mode):
    if mode == "no-reuseaddr" and not serve_has_no_reuseaddr():
        raise sbtest.Skip("serve has no --no-reuseaddr yet (test "
                          "restart-cmd-same covers EADDRINUSE)")
    r = run_load(["--serve", "--model epoll", "--first", "server",
                  "--restart", mode] + BASE, 20)
    j = require_run(t, r)
    rs = j.get("restart") or {}
    t.eq("restart.mode", mode, rs.get("mode"))
    t.eq("restart.server_time_wait", CONNS, rs.get("server_time_wait"))
    if mode == "no-reuseaddr":
        t.eq("restart.ok", False, rs.get("ok"))
        t.check("Address already in use" in (rs.get("error") or ""),
                "restart.error", "'Address already in use'", rs.get("error"))
    else:
        t.eq("restart.ok", True, rs.get("ok"))
        t.eq("restart.error", None, rs.get("error"))


def test_restart_cmd(t):
    """closesrv.py binds without SO_REUSEADDR: restarted while the server
    side holds TIME_WAIT, bind() fails; after the client closed first, the
    port is free."""
    j, _ = with_closesrv(t, ["--first", "server", "--restart", "same"])
    rs = j.get("restart") or {}
    t.eq("restart.ok (server closed first)", False, rs.get("ok"))
    t.check("Address already in use" in (rs.get("error") or ""),
            "restart.error", "'Address already in use'", rs.get("error"))
    j, _ = with_closesrv(t, ["--first", "client", "--restart", "same"])
    rs = j.get("restart") or {}
    t.eq("restart.ok (client closed first)", True, rs.get("ok"))
    t.eq("restart.server_time_wait", 0, rs.get("server_time_wait"))


def test_local_ports(t):
    j, _ = with_closesrv(t, [])
    p = dig(j, "load.connections.local_ports") or {}
    rng = dig(j, "environment.sysctl", {}).get("net.ipv4.ip_local_port_range")
    lo, hi = (int(x) for x in str(rng).split())
    t.eq("local_ports.distinct", CONNS, p.get("distinct"))
    t.check(lo <= (p.get("min") or 0) <= (p.get("max") or 0) <= hi,
            "local_ports within ip_local_port_range", f"[{lo}, {hi}]", p)


def test_refused(t):
    d = lt.tmpdir()
    cases = [
        (["--serve", "", "--mode", "crr", "--close", "exit"], "--close"),
        (["--serve", "", "--mode", "stream", "--unread"], "--unread"),
        (["--serve", "", "--requests", "10", "--close", "exit"], "--close"),
        (["--target", "127.0.0.1:9", "--restart", "same"], "--restart"),
        (["--target", "127.0.0.1:9", "--first", "server"], "--first"),
        (["--server-cmd", "true {port}", "--restart", "no-reuseaddr"],
         "--restart"),
    ]
    for args, opt in cases:
        jp = os.path.join(d, "never.json")
        r = run_load(args, 10, json_path=jp)
        what = f"`load {' '.join(args)}`"
        t.eq(f"{what}: exit status", 2, r.rc)
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        t.check(len(lines) == 1 and opt in lines[0], f"{what}: stderr",
                f"one line naming {opt}", r.stderr)


def cases(runner, args):
    runner.run("close-fin", test_fin, timeout=20)
    runner.run("close-reset", test_reset, timeout=20)
    runner.run("close-exit", test_exit, timeout=20)
    runner.run("close-exit-unread", test_exit_unread, timeout=20)
    runner.run("drain-in-flight", test_drain, timeout=20)
    runner.run("first-server", test_first_server, timeout=20)
    for mode in ("same", "reuseaddr", "no-reuseaddr"):
        runner.run(f"restart-{mode}", test_restart, mode, timeout=20)
    runner.run("restart-cmd-same", test_restart_cmd, timeout=30)
    runner.run("local-ports", test_local_ports, timeout=20)
    runner.run("refused", test_refused, timeout=30)


def main():
    lt.netns_main(__doc__, __file__, cases, total_timeout=120)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""An open-loop load (`--rate`) whose server goes away mid-run must still
end on time, with counts that add up.

    python3 tests/integration/test_rate_faults.py --bin build/sockbench [-k NAME]

The regression (bench/load/engine_conn.c, the idle list): a connection that
the server closed while it waited idle for the schedule stayed in its
thread's idle list; when its slot reconnected and went idle again it was
linked a second time, the list turned into a cycle, and the thread walked
it for ever (no system call, no stop check): `load` never ended. The
server's close of an idle connection comes from its death (SIGKILL: the
FIN, and a reconnect that the dying listener still completes) or from
`serve --idle-timeout-ms`, which closes idle connections while it keeps
listening: that case hung 9 runs of 9 before the fix, the others only
some of the time.

Every run must end by itself within its duration + END_SLACK seconds
(killed at duration + 10 s), exit 0, and account for every request the
schedule made: completed + failed + censored (timed out or still waiting
at the end) = rate x duration, give or take one per thread.

Runs in a private network namespace (needs root), like test_load.py.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402
from loadtest import dig, run_load  # noqa: E402

RATE = 100
END_SLACK = 3.0     # seconds past --duration that a run may take to end


def load_args(port, conns, threads, duration, rate=RATE):
    return ["--target", f"127.0.0.1:{port}", "--mode", "rr",
            "--rate", str(rate), "--conns", str(conns),
            "--threads", str(threads), "--duration", f"{duration}s"]


def load_in_background(args, duration):
    """run_load in a thread (the test acts on the server meanwhile);
    returns the thread and a list that receives the LoadResult."""
    out = []
    th = threading.Thread(
        target=lambda: out.append(run_load(args, duration + 10)), daemon=True)
    th.start()
    return th, out


def check_ended(t, th, out, duration):
    """The run ended by itself, on time, exit 0, with its JSON."""
    th.join(duration + 20)
    if not out:
        t.fail("the load thread did not return")
    r = out[0]
    if r.timed_out:
        t.fail(f"load still running {r.elapsed:.1f}s after it started "
               f"(--duration {duration}s): a hang; {r.describe()}")
    t.check(r.elapsed <= duration + END_SLACK, "time the run took (s)",
            f"<= {duration} + {END_SLACK}", round(r.elapsed, 2))
    t.eq("exit status", 0, r.rc)
    if r.json is None:
        t.fail(f"no JSON: {r.describe()}")
    j = r.json
    lt.check_run_shape(t, j, started_server=False)
    t.eq("config.load.rate", float(RATE), dig(j, "config.load.rate"))
    return j


def check_accounted(t, j, duration, threads, rate=RATE):
    """Every scheduled request is completed, failed or censored, once."""
    req = dig(j, "load.requests", {})
    done, failed = req.get("completed"), req.get("failed")
    censored = dig(req, "latency_us.censored")
    parts = {"completed": done, "failed": failed, "censored": censored}
    if not all(lt.is_int(v) for v in parts.values()):
        t.fail(f"load.requests counts: expected integers, actual {parts}")
    want = rate * duration
    t.check(abs(done + failed + censored - want) <= threads,
            "completed + failed + censored (the schedule's requests)",
            f"{want} +- {threads}", parts)
    return parts


def errors_of(j):
    return dig(j, "load.errors", {}) or {}


def test_server_killed(t):
    """The bug report's run: the server SIGKILLed 1 s into 4 s at 100/s."""
    duration, threads = 4, 2
    with sbtest.start_server(t, ["--model", "epoll", "--proto", "rr"]) as srv:
        th, out = load_in_background(
            load_args(srv.ready["port"], 8, threads, duration), duration)
        time.sleep(1.0)
        srv.kill()
        j = check_ended(t, th, out, duration)
    parts = check_accounted(t, j, duration, threads)
    # ~100 served before the kill (the process's start eats some of it)
    t.check(50 <= parts["completed"] <= 150, "load.requests.completed "
            "(1 s of 100/s before the kill)", "50..150", parts["completed"])
    errs = errors_of(j)
    t.check(errs.get("ECONNREFUSED", 0) > 0, "load.errors.ECONNREFUSED "
            "(reconnects to a dead port)", "> 0", errs)
    t.check(errs.get("eof", 0) + errs.get("ECONNRESET", 0) >= 1,
            "load.errors eof + ECONNRESET (the server's exit closed them)",
            ">= 1", errs)
    last = (dig(j, "load.intervals") or [{}])[-1]
    t.eq("requests in the last interval (the server long dead)", 0,
         last.get("requests"))


def test_server_restarted(t):
    """Killed at 1 s, a new server on the same port at 1.5 s: served again."""
    duration, threads = 4, 1
    with sbtest.start_server(t, ["--model", "epoll", "--proto", "rr"]) as srv:
        port = srv.ready["port"]
        th, out = load_in_background(load_args(port, 1, threads, duration),
                                     duration)
        time.sleep(1.0)
        srv.kill()
    time.sleep(0.5)
    with sbtest.start_server(t, ["--model", "epoll", "--proto", "rr",
                                 "--port", str(port)]):
        j = check_ended(t, th, out, duration)
    check_accounted(t, j, duration, threads)
    est = dig(j, "load.connections.established")
    t.check(lt.is_int(est) and est >= 2, "load.connections.established "
            "(the slot reconnected to the new server)", ">= 2", est)
    last = (dig(j, "load.intervals") or [{}])[-1]
    t.check((last.get("requests") or 0) >= RATE // 2, "requests in the "
            "last interval (served by the new server)", f">= {RATE // 2}",
            last.get("requests"))


def test_server_closes_idle(t, conns, threads):
    """serve --idle-timeout-ms 5 at 100/s: every connection is closed while
    idle between requests and reconnects, hundreds of times a run."""
    duration = 3
    with sbtest.start_server(t, ["--model", "epoll", "--proto", "rr",
                                 "--idle-timeout-ms", "5"]) as srv:
        th, out = load_in_background(
            load_args(srv.ready["port"], conns, threads, duration), duration)
        j = check_ended(t, th, out, duration)
    parts = check_accounted(t, j, duration, threads)
    t.check(parts["completed"] >= RATE * duration // 2,
            "load.requests.completed (the server serves every request it "
            "gets)", f">= {RATE * duration // 2}", parts)
    eof = errors_of(j).get("eof", 0)
    t.check(eof >= 50, "load.errors.eof (idle connections the server "
            "closed)", ">= 50", errors_of(j))
    est = dig(j, "load.connections.established")
    t.check(lt.is_int(est) and est >= eof, "load.connections.established "
            "(each close reconnected, but at the end)", f">= {eof}", est)


def cases(runner, args):
    runner.run("server-killed", test_server_killed, timeout=40)
    runner.run("server-restarted", test_server_restarted, timeout=40)
    runner.run("server-closes-idle-2x1", test_server_closes_idle, 2, 1,
               timeout=40)
    runner.run("server-closes-idle-8x2", test_server_closes_idle, 8, 2,
               timeout=40)


def main():
    lt.netns_main(__doc__, __file__, cases, total_timeout=240)


if __name__ == "__main__":
    main()

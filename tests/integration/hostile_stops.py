#!/usr/bin/env python3
"""Every loop stoppable (issue "Safe by construction", part 3): `load` and
`sweep` notice SIGINT/SIGTERM at once, write their JSON with an error naming
the signal and exit 130 / 143; a normal end at --duration sets no error.

    python3 tests/integration/hostile_stops.py --bin build/sockbench [-k NAME]

Before the change: SIGINT ended `load` with exit 0 and "interrupted by a
signal", SIGTERM the same; a stop while the server was starting waited out
the 5 s ready timeout; a sweep stopped by SIGTERM exited 130. The tests
allow 2 s for the whole process tree (sanitizer builds are slow).
"""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402

LIMIT = 2.0


def stop_after(cmd, delay, sig, timeout=20):
    """Start cmd, send sig after delay s; (rc, s from signal to exit, err)."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    time.sleep(delay)
    t0 = time.monotonic()
    p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        _, err = p.communicate()
        return None, time.monotonic() - t0, err
    return p.returncode, time.monotonic() - t0, err


def test_load_signals(t):
    for sig, want in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        js = os.path.join(lt.tmpdir(), "run.json")
        rc, took, err = stop_after(
            [sbtest.BIN, "load", "--serve", "--model epoll --proto rr",
             "--duration", "10", "--conns", "4", "--threads", "1", "--quiet",
             "--json", js], 0.7, sig)
        name = signal.Signals(sig).name
        t.eq(f"load, {name}: exit status", want, rc)
        t.check(took < LIMIT, f"load, {name}: from the signal to exit",
                f"< {LIMIT} s", round(took, 3))
        try:
            j = json.load(open(js))
        except (OSError, ValueError) as e:
            t.fail(f"load, {name}: no run JSON: {e}; stderr {err!r}")
            continue
        t.eq(f"load, {name}: error", f"interrupted by {name}", j.get("error"))
        stop = j.get("stop") or {}
        t.eq(f"load, {name}: stop.signal", name, stop.get("signal"))
        t.check(isinstance(stop.get("took_s"), float) and
                stop["took_s"] < LIMIT, f"load, {name}: stop.took_s",
                f"< {LIMIT}", stop.get("took_s"))
        t.check(j["load"]["requests"]["completed"] > 0,
                f"load, {name}: requests completed before the stop", "> 0",
                j["load"]["requests"]["completed"])


def test_normal_end(t):
    js = os.path.join(lt.tmpdir(), "run.json")
    r = subprocess.run([sbtest.BIN, "load", "--serve", "--model epoll --proto rr",
                        "--duration", "0.3", "--conns", "2", "--threads", "1",
                        "--quiet", "--json", js], capture_output=True,
                       timeout=20)
    t.eq("--duration end: exit status", 0, r.returncode)
    j = json.load(open(js))
    t.eq("--duration end: error", None, j.get("error"))
    t.eq("--duration end: stop", None, j.get("stop"))


def test_stop_while_starting(t):
    """A server that takes 3 s to say READY: SIGINT at 0.3 s ends load at
    once (it waited out the 5 s ready timeout)."""
    js = os.path.join(lt.tmpdir(), "run.json")
    cmd = ("python3 -c \"import time,socket,sys; time.sleep(3); "
           "s=socket.socket(); s.bind(('127.0.0.1',int(sys.argv[1]))); "
           "s.listen(); print('READY', flush=True); time.sleep(30)\" {port}")
    rc, took, err = stop_after([sbtest.BIN, "load", "--server-cmd", cmd,
                                "--duration", "5", "--quiet", "--json", js],
                               0.3, signal.SIGINT)
    t.eq("stopped while the server starts: exit status", 130, rc)
    t.check(took < 1.0, "from the signal to exit", "< 1 s", round(took, 3))
    j = json.load(open(js)) if os.path.exists(js) else {}
    t.check("SIGINT" in (j.get("error") or ""), "error", "names SIGINT",
            j.get("error"))


def test_sweep_sigterm(t):
    out = os.path.join(lt.tmpdir(), "out")
    rc, took, err = stop_after([sbtest.BIN, "sweep", "--out", out, "--duration",
                                "10", "--conns", "2", "--threads", "1",
                                "--quiet"], 1.0, signal.SIGTERM)
    t.eq("sweep, SIGTERM: exit status", 143, rc)
    t.check(took < LIMIT, "sweep, SIGTERM: from the signal to exit",
            f"< {LIMIT} s", round(took, 3))
    j = json.load(open(os.path.join(out, "sweep.json")))
    t.eq("sweep.json error", "interrupted by SIGTERM", j.get("error"))
    t.eq("sweep.json finished", False, j.get("finished"))


def cases(runner):
    runner.run("load-signals", test_load_signals, timeout=60)
    runner.run("normal-end", test_normal_end, timeout=30)
    runner.run("stop-while-starting", test_stop_while_starting, timeout=30)
    if os.geteuid() == 0:   # sweeps make network namespaces
        runner.run("sweep-sigterm", test_sweep_sigterm, timeout=40)


def main():
    sbtest.parse_args(__doc__.splitlines()[0])
    lt.run_tests("hostile_stops", cases)


if __name__ == "__main__":
    main()

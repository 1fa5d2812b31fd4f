#!/usr/bin/env python3
"""Starvation must be visible: `sockbench load` per client slot (SPEC
section 10) - load.connections.served and .starved, load.fairness, and
latency percentiles that count every request still waiting at the end or
timed out as at least its waiting time.

    python3 tests/integration/test_fairness.py --bin build/sockbench [-k NAME]

The server that started it: the Real Python tutorial's echo server
(tutorial_echo.py: one accept(), then that client to the end). Driven by
`load --mode echo --conns 10 --duration 1` its totals look excellent -
10 of 10 connected, tens of thousands of replies a second, p99 of
completed requests in microseconds - while nine clients got nothing.
Each case here fails on a generator that only counts totals. Runs in a
private network namespace (needs root), like test_load.py: no port
clashes, no host sysctl read or written.
"""

import os
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402
from loadtest import dig, run_load, require_run  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TUTORIAL = os.path.join(HERE, "tutorial_echo.py")
RUN_TIMEOUT = 15
STARVED_RE = re.compile(
    r"^(\d+) of (\d+) connections? (?:was|were) served; (\d+) waited "
    r"(?:the whole run \((\d+\.\d\d) s\)|at least --timeout (\d+\.\d\d) s) "
    r"with no reply")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tutorial:
    """tutorial_echo.py on a free port, READY read, killed on exit."""

    def __enter__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, TUTORIAL, str(self.port)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True)
        sbtest.track(self.proc)  # not a leftover of `load`: ours
        line, _, _ = sbtest.read_line(self.proc.stdout.fileno(), 5.0)
        if line is None or line.strip() != b"READY":
            sbtest.killpg(self.proc)
            raise sbtest.TestFailure(
                f"tutorial_echo.py {self.port}: expected a READY line, "
                f"actual {line!r}")
        return self

    def __exit__(self, *exc):
        sbtest.killpg(self.proc)
        self.proc.stdout.close()


_RUNS = {}


def tutorial_run(extra=()):
    key = ("tutorial",) + tuple(extra)
    if key not in _RUNS:
        with Tutorial() as srv:
            _RUNS[key] = run_load(
                ["--target", f"127.0.0.1:{srv.port}", "--mode", "echo",
                 "--conns", "10", "--duration", "1", "--threads", "2"]
                + list(extra), RUN_TIMEOUT)
    return _RUNS[key]


def serve_run(model, mode="echo", conns=10):
    key = (model, mode, conns)
    if key not in _RUNS:
        _RUNS[key] = run_load(
            ["--serve", f"--model {model}", "--mode", mode, "--conns",
             str(conns), "--duration", "1", "--threads", "2"], RUN_TIMEOUT)
    return _RUNS[key]


def starved_lines(j):
    return [m for m in (STARVED_RE.match(x) for x in j.get("explain") or [])
            if m]


def check_hist_counts(t, j):
    """latency_us holds completed + censored + omitted samples;
    latency_completed_us the completed ones."""
    req = dig(j, "load.requests", {})
    lat, done = req.get("latency_us") or {}, req.get("latency_completed_us") or {}
    count = dig(lat, "histogram.count")
    want = (req.get("completed") or 0) + (lat.get("censored") or 0) + \
        (lat.get("omitted") or 0)
    t.eq("latency_us.histogram.count (completed + censored + omitted)", want,
         count)
    t.eq("latency_completed_us.histogram.count (completed)",
         req.get("completed"), dig(done, "histogram.count"))


def check_one_of_ten(t, r, what, wait_us=None):
    """Served 1, starved 9: the numbers, the explain line, the summary.
    wait_us: what each waiting request waited (default: the run)."""
    j = require_run(t, r, what=what)
    load = j["load"]
    conns = load.get("connections") or {}
    t.check(conns.get("established", 0) >= 10,
            f"{what}: connections.established (the totals looked fine)",
            ">= 10", conns.get("established"))
    t.eq(f"{what}: connections.served", 1, conns.get("served"))
    t.eq(f"{what}: connections.starved", 9, conns.get("starved"))
    fair = load.get("fairness") or {}
    per = fair.get("requests_per_conn") or {}
    done = dig(load, "requests.completed")
    t.eq(f"{what}: fairness.requests_per_conn min, p50", (0, 0),
         (per.get("min"), per.get("p50")))
    t.eq(f"{what}: fairness.requests_per_conn.max (the one client had them "
         "all)", done, per.get("max"))
    t.check(lt.is_num(fair.get("jain")) and abs(fair["jain"] - 0.1) < 1e-6,
            f"{what}: fairness.jain", "0.1 (1/n: one of ten served)",
            fair.get("jain"))
    t.eq(f"{what}: fairness.slots", 10, fair.get("slots"))
    lat = dig(load, "requests.latency_us", {})
    run_us = j.get("duration_s", 0) * 1e6
    wait_us = wait_us or run_us
    t.check(lt.is_int(lat.get("censored")) and lat["censored"] >= 9,
            f"{what}: latency_us.censored", ">= 9 (each waiting client's "
            "request)", lat.get("censored"))
    t.check(lt.is_num(lat.get("p99")) and lat["p99"] >= 0.9 * wait_us,
            f"{what}: latency_us.p99", f">= 0.9 x the wait ({wait_us:.0f} "
            "us)", lat.get("p99"))
    ok99 = dig(load, "requests.latency_completed_us.p99")
    t.check(lt.is_num(ok99) and ok99 < 0.1 * run_us,
            f"{what}: latency_completed_us.p99 (what a total alone shows)",
            "< 0.1 x the run", ok99)
    check_hist_counts(t, j)
    lines = starved_lines(j)
    t.eq(f"{what}: explain lines saying who was served", 1, len(lines))
    if lines:
        m = lines[0]
        t.eq(f"{what}: explain served, conns, starved",
             (conns.get("served"), 10, conns.get("starved")),
             (int(m.group(1)), int(m.group(2)), int(m.group(3))))
        return j, m
    return j, None


def test_tutorial(t):
    r = tutorial_run()
    j, m = check_one_of_ten(t, r, "tutorial echo server")
    if m:
        t.eq("explain: the whole run (s), as duration_s",
             f"{j['duration_s']:.2f}", m.group(4))
    lat = dig(j, "load.requests.latency_us", {})
    # 1 s < --timeout 5 s: every censored request was in flight at the end
    t.eq("censored = in_flight_at_end (no timeout within the run)",
         dig(j, "load.requests.in_flight_at_end"), lat.get("censored"))
    t.check("served 1 of 10 connections, 9 starved" in r.stdout,
            "summary line", "'served 1 of 10 connections, 9 starved'",
            r.stdout[-800:])
    t.check(any(x.startswith("explain: 1 of 10 connections was served")
                for x in (ln.strip() for ln in r.stdout.splitlines())),
            "the explain line in the summary", "present", r.stdout[-800:])


def test_tutorial_timeout(t):
    # A shorter --timeout: the nine time out, reconnect, wait again.
    r = tutorial_run(["--timeout", "250ms"])
    j, m = check_one_of_ten(t, r, "tutorial echo server, --timeout 250ms",
                            wait_us=250000)
    if m:
        t.eq("explain: waited at least --timeout (s)", "0.25", m.group(5))
    to = dig(j, "load.errors.request_timeout", 0)
    t.check(to >= 27, "errors.request_timeout", ">= 27 (9 clients, 3 full "
            "timeouts each in 1 s)", to)
    lat = dig(j, "load.requests.latency_us", {})
    t.check(lat.get("censored", 0) >= to, "latency_us.censored",
            f">= request_timeout ({to})", lat.get("censored"))
    t.eq("connections.served after reconnects (slots, not connections)", 1,
         dig(j, "load.connections.served"))


def test_blocking_model(t):
    check_one_of_ten(t, serve_run("blocking"), "serve --model blocking")


def test_epoll_all_served(t):
    j = require_run(t, serve_run("epoll"), what="serve --model epoll")
    load = j["load"]
    t.eq("connections.served", 10, dig(load, "connections.served"))
    t.eq("connections.starved", 0, dig(load, "connections.starved"))
    fair = load.get("fairness") or {}
    t.check(lt.is_num(fair.get("jain")) and fair["jain"] >= 0.8,
            "fairness.jain", ">= 0.8 (every client served alike)",
            fair.get("jain"))
    t.check(dig(fair, "requests_per_conn.min", 0) > 0,
            "fairness.requests_per_conn.min", "> 0",
            dig(fair, "requests_per_conn.min"))
    lat = dig(load, "requests.latency_us", {})
    t.eq("censored = in_flight_at_end (only those still in flight)",
         dig(load, "requests.in_flight_at_end"), lat.get("censored"))
    t.check(lat.get("censored", 99) <= 10, "latency_us.censored",
            "<= 10 (one per connection at most)", lat.get("censored"))
    ok99 = dig(load, "requests.latency_completed_us.p99")
    t.check(lt.is_num(lat.get("p99")) and lt.is_num(ok99) and
            lat["p99"] <= 1.5 * ok99, "latency_us.p99 vs completed only",
            f"<= 1.5 x {ok99}", lat.get("p99"))
    check_hist_counts(t, j)
    t.eq("explain lines about starved clients", [], [
        m.group(0) for m in starved_lines(j)])


def test_crr_slots(t):
    # crr against the one-at-a-time server: each unit is a new connection
    # that closes, so the server takes the next; every slot is served
    # and stays one slot however many connections it made.
    j = require_run(t, serve_run("blocking", "crr", 4),
                    what="crr against serve --model blocking")
    load = j["load"]
    est = dig(load, "connections.established", 0)
    t.check(est >= 40, "connections.established", ">= 40 (a connection per "
            "request)", est)
    t.eq("connections.served (slots, not connections)", 4,
         dig(load, "connections.served"))
    t.eq("connections.starved", 0, dig(load, "connections.starved"))
    fair = load.get("fairness") or {}
    per = fair.get("requests_per_conn") or {}
    done = dig(load, "requests.completed", 0)
    t.eq("fairness.slots", 4, fair.get("slots"))
    t.check(per.get("min", 0) >= 1 and 4 * per["min"] <= done <=
            4 * per.get("max", 0), "requests_per_conn against completed",
            f"4 x min <= {done} <= 4 x max", per)


def test_reconnect_slots(t):
    # rr against a server that closes after every reply: the generator
    # reconnects on the same slot.
    cmd, _, _ = sbtest.faultsrv_cmd(lt.tmpdir(), {"128": "close1"})
    r = run_load(["--server-cmd", cmd, "--mode", "rr", "--conns", "4",
                  "--duration", "1", "--threads", "2"], RUN_TIMEOUT)
    j = require_run(t, r, what="rr against a server that closes after a "
                    "reply")
    load = j["load"]
    est = dig(load, "connections.established", 0)
    t.check(est >= 20, "connections.established", ">= 20 (reconnects)", est)
    t.eq("connections.served (slots)", 4, dig(load, "connections.served"))
    t.eq("connections.starved", 0, dig(load, "connections.starved"))
    t.eq("fairness.slots", 4, dig(load, "fairness.slots"))


def test_merge(t):
    a = require_run(t, tutorial_run(), what="tutorial run")
    b = require_run(t, serve_run("epoll"), what="epoll run")
    out = os.path.join(lt.tmpdir(), "merged.json")
    # two runs made one after the other: merge takes them only when told
    r = run_load([tutorial_run().json_path, serve_run("epoll").json_path,
                  "--allow-sequential"], RUN_TIMEOUT, json_path=out,
                 sub="merge")
    m = require_run(t, r, what="sockbench merge")
    for k in ("served", "starved"):
        t.eq(f"merged connections.{k} (added)",
             dig(a, f"load.connections.{k}") + dig(b, f"load.connections.{k}"),
             dig(m, f"load.connections.{k}"))
    fa, fb, fm = (dig(x, "load.fairness") or {} for x in (a, b, m))
    ca, cb = (dig(x, "load.requests.completed") for x in (a, b))
    t.eq("merged fairness.slots", 20, fm.get("slots"))
    t.eq("merged fairness.requests_per_conn min, p50 (not mergeable: null),"
         " max", (0, None, max(ca, dig(fb, "requests_per_conn.max"))),
         tuple(dig(fm, f"requests_per_conn.{k}", "missing")
               for k in ("min", "p50", "max")))
    sum2 = ca * ca / (10 * fa["jain"]) + cb * cb / (10 * fb["jain"])
    want = (ca + cb) ** 2 / (20 * sum2)
    t.check(lt.is_num(fm.get("jain")) and abs(fm["jain"] - want) < 1e-6 * want,
            "merged fairness.jain", f"{want:.9f} +- 1e-6 (from each side's slots, "
            "requests and index)", fm.get("jain"))
    for k in ("censored", "omitted"):
        t.eq(f"merged latency_us.{k} (added)",
             dig(a, f"load.requests.latency_us.{k}") +
             dig(b, f"load.requests.latency_us.{k}"),
             dig(m, f"load.requests.latency_us.{k}"))
    t.eq("merged latency_completed_us count", ca + cb,
         dig(m, "load.requests.latency_completed_us.histogram.count"))
    check_hist_counts(t, m)


def cases(runner, args):
    socket.setdefaulttimeout(10)
    runner.run("tutorial-echo-one-of-ten", test_tutorial, timeout=30)
    runner.run("tutorial-echo-timeout", test_tutorial_timeout, timeout=30)
    runner.run("blocking-model-one-of-ten", test_blocking_model, timeout=30)
    runner.run("epoll-all-served", test_epoll_all_served, timeout=30)
    runner.run("crr-slots-stable", test_crr_slots, timeout=30)
    runner.run("rr-reconnect-slots-stable", test_reconnect_slots, timeout=30)
    runner.run("merge-fairness", test_merge, timeout=60)


def main():
    lt.netns_main(__doc__, __file__, cases, total_timeout=150)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""scripts/multihost: two generators in their own network namespaces, one
server in a third, the same --start-at, then `sockbench merge`. Asserts on
the files the script wrote: the merged counts are the sum of the two runs
and equal the server's own counters, every request is accounted for, both
runs began together, and no namespace or process is left behind (also
after Ctrl-C).

    python3 tests/integration/test_multihost.py --bin build/sockbench [-k NAME]

Needs root (`ip netns add`); CI runs as root. Not root: every test FAILS
with the reason, it is never skipped.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402
from loadtest import dig  # noqa: E402

SCRIPT = os.path.normpath(os.path.join(os.path.dirname(
    os.path.abspath(__file__)), "..", "..", "scripts", "multihost"))
REQUESTS = 20000  # per generator: runs long enough (~0.3 s) to overlap surely
CONNS = 8         # per generator
START_SKEW_MS = 50  # the two runs' estimated starts may differ by this much
COUNTS = ["load.connections.attempted", "load.connections.established",
          "load.connections.failed", "load.requests.completed",
          "load.requests.failed", "load.requests.in_flight_at_end"]

RUN = {}


class Result:
    def __init__(self, rc, out, err, took, pid):
        self.rc, self.stdout, self.stderr, self.took, self.pid = \
            rc, out, err, took, pid

    def describe(self):
        return (f"exit {self.rc} after {self.took:.1f} s\nstdout:\n"
                f"{self.stdout}\nstderr:\n{self.stderr}")


def run_script(args, timeout, interrupt_after=None, user=None):
    """Run scripts/multihost; never longer than timeout. On overrun it gets
    SIGTERM first (its trap removes the namespaces), SIGKILL 10 s later."""
    cmd = [SCRIPT, "--bin", sbtest.BIN] + args
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}",
               "--clear-groups"] + cmd
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        if interrupt_after is not None:
            try:
                out, err = p.communicate(timeout=interrupt_after)
                return Result(p.returncode, out, err,
                              time.monotonic() - t0, p.pid)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.terminate()
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
        err += f"\n(test: killed after {timeout} s)"
    return Result(p.returncode, out, err, time.monotonic() - t0, p.pid)


def need_root(t):
    if os.geteuid() != 0:
        t.fail("needs root: scripts/multihost creates network namespaces "
               "with `ip netns add` (CI runs as root); run this test as root")


def the_run(t):
    """One scripts/multihost run shared by the checks below."""
    need_root(t)
    if not RUN:
        out = lt.tmpdir()
        r = run_script(["--requests", str(REQUESTS), "--conns", str(CONNS),
                        "--out", out], timeout=60)
        RUN.update(result=r, out=out)
        for name in ("g1", "g2", "merged", "server", "multihost"):
            try:
                with open(os.path.join(out, f"{name}.json")) as f:
                    RUN[name] = json.load(f)
            except (OSError, ValueError) as e:
                RUN[name] = None
                RUN.setdefault("missing", []).append(f"{name}.json: {e}")
    r = RUN["result"]
    t.require(r.rc == 0, f"scripts/multihost: expected exit 0, actual "
              f"{r.describe()}")
    t.require(not RUN.get("missing"), f"scripts/multihost wrote no "
              f"{RUN.get('missing')}")
    return RUN


def netns_names():
    r = subprocess.run(["ip", "netns", "list"], capture_output=True,
                       text=True, timeout=10)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


# ----------------------------------------------------------------- tests

def test_runs(t):
    run = the_run(t)
    out = run["result"].stdout
    t.check("OK: every request and connection accounted for" in out,
            "scripts/multihost stdout", "an OK line", out)
    t.eq("multihost.json ok", True, dig(run["multihost"], "ok"))
    t.eq("multihost.json problems", [], dig(run["multihost"], "problems"))


def test_each_generator_on_its_own_link(t):
    run = the_run(t)
    mh = run["multihost"]
    port = mh.get("port")
    for n, want in ((1, "10.210.1.1"), (2, "10.210.2.1")):
        g = run[f"g{n}"]
        t.eq(f"g{n}.json config.target", f"{want}:{port}",
             dig(g, "config.target"))
        t.eq(f"g{n}.json environment.netns", "private",
             dig(g, "environment.netns"))
        t.eq(f"g{n}.json error", None, dig(g, "error"))
        t.eq(f"g{n}.json config.load.requests", REQUESTS,
             dig(g, "config.load.requests"))
        t.eq(f"g{n}.json config.load.conns", CONNS,
             dig(g, "config.load.conns"))


def test_merged_is_the_sum(t):
    run = the_run(t)
    g1, g2, m = run["g1"], run["g2"], run["merged"]
    for path in COUNTS:
        a, b = dig(g1, path), dig(g2, path)
        t.check(lt.is_int(a) and lt.is_int(b) and dig(m, path) == a + b,
                f"merged {path}", f"g1 {a} + g2 {b}", dig(m, path))
    for n, g in ((1, g1), (2, g2)):
        t.eq(f"g{n} load.requests.completed", REQUESTS,
             dig(g, "load.requests.completed"))
    for path in ("load.requests.latency_us", "load.connections.latency_us"):
        want = sum(dig(g, f"{path}.histogram.count") or 0 for g in (g1, g2))
        t.eq(f"merged {path}.histogram.count (g1 + g2)", want,
             dig(m, f"{path}.histogram.count"))
    t.eq("merged merged_from", [os.path.join(run["out"], "g1.json"),
                                os.path.join(run["out"], "g2.json")],
         dig(m, "merged_from"))


def test_merged_equals_server(t):
    run = the_run(t)
    m, s = run["merged"], run["server"]
    total = 2 * REQUESTS
    t.eq("merged load.requests.completed", total,
         dig(m, "load.requests.completed"))
    t.eq("server requests (= merged completed)",
         dig(m, "load.requests.completed"), s.get("requests"))
    t.eq("merged load.requests.failed", 0, dig(m, "load.requests.failed"))
    t.eq("merged load.requests.in_flight_at_end", 0,
         dig(m, "load.requests.in_flight_at_end"))
    t.eq("merged load.errors", {}, dig(m, "load.errors"))
    t.eq("merged load.connections.established", 2 * CONNS,
         dig(m, "load.connections.established"))
    t.eq("server accepted (= merged established)",
         dig(m, "load.connections.established"), s.get("accepted"))
    t.eq("server closed (= accepted)", s.get("accepted"), s.get("closed"))
    t.eq("server protocol_errors", 0, s.get("protocol_errors"))
    t.eq("server errors", {}, s.get("errors"))
    t.eq("multihost.json merged (the script's own reading)",
         {"requests.completed": total, "requests.failed": 0,
          "requests.in_flight_at_end": 0,
          "connections.established": 2 * CONNS, "connections.failed": 0},
         dig(run["multihost"], "merged"))


def test_started_together(t):
    run = the_run(t)
    mh = run["multihost"]
    at = mh.get("start_at_ms")
    t.require(lt.is_int(at), f"multihost.json start_at_ms: expected an "
              f"integer, actual {at!r}")
    for n in (1, 2):
        g = run[f"g{n}"]
        t.eq(f"g{n}.json config.load.start_at_ms", at,
             dig(g, "config.load.start_at_ms"))
        late = [w for w in g.get("warnings") or [] if "start-at" in w]
        t.eq(f"g{n}.json warnings about --start-at", [], late)
        launched = (mh.get("launched_ms") or [None, None])[n - 1]
        t.check(lt.is_int(launched) and launched < at,
                f"g{n} launched before start_at {at}", f"< {at}", launched)
    # Each run's started_at_ms (the wall clock once --start-at came), as
    # the script copies it (a run without it: JSON mtime - duration_s).
    began = mh.get("began_ms_estimate") or [None, None]
    t.require(all(lt.is_num(b) for b in began), f"multihost.json "
              f"began_ms_estimate: expected two numbers, actual {began!r}")
    t.note(f"estimated starts: {began[0] - at:+.1f} ms and "
           f"{began[1] - at:+.1f} ms from start_at")
    t.check(abs(began[0] - began[1]) <= START_SKEW_MS,
            "estimated start times of g1 and g2", f"within {START_SKEW_MS} "
            f"ms of each other", began)
    # mtimes are jiffy-coarse (<= 10 ms behind): nobody began before start_at
    t.check(min(began) >= at - 10, "estimated starts",
            f">= start_at {at} - 10 ms", began)
    # Each generator holds its connections for its whole run: the server
    # saw more than one generator's worth at once only if the runs overlapped.
    peak = dig(run["server"], "peak_connections")
    t.check(lt.is_int(peak) and peak > CONNS, "server peak_connections",
            f"> {CONNS} (both generators connected at once)", peak)


def test_namespaces_removed(t):
    run = the_run(t)
    names = dig(run["multihost"], "namespaces") or []
    t.eq("namespaces named in multihost.json", 3, len(names))
    left = [n for n in names if n in netns_names()]
    t.eq("namespaces left after the run", [], left)
    t.eq("processes left after the run", [],
         lt.processes_matching(run["out"]))


def test_interrupt_cleans_up(t):
    """Ctrl-C while both loads run: exit 130, no namespace or process left."""
    need_root(t)
    out = lt.tmpdir()
    # the loads start 1.5 s after launch; 2,000,000 requests keep them busy
    r = run_script(["--requests", "2000000", "--conns", "4", "--out", out],
                   timeout=20, interrupt_after=2.5)
    t.eq(f"exit status after SIGINT ({r.describe()})", 130, r.rc)
    t.check(r.took < 10, "time to stop after SIGINT", "< 10 s",
            f"{r.took:.1f} s")
    mine = [n for n in netns_names() if n.endswith(f"-{r.pid}")]
    t.eq("namespaces left after SIGINT", [], mine)
    t.eq("processes left after SIGINT", [], lt.processes_matching(out))
    for n in (1, 2):
        try:
            with open(os.path.join(out, f"g{n}.json")) as f:
                g = json.load(f)
        except (OSError, ValueError) as e:
            t._record(f"g{n}.json after SIGINT: expected a run JSON with "
                      f"an error, actual {e}")
            continue
        t.check(g.get("error"), f"g{n}.json error after SIGINT",
                "the interruption named", g.get("error"))


def test_bad_usage(t):
    for args in (["--requests", "0"], ["--conns", "x"], ["--bogus"],
                 ["--out"]):
        r = run_script(args, timeout=10)
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        t.eq(f"scripts/multihost {' '.join(args)}: exit status", 2, r.rc)
        t.check(len(lines) == 1 and args[0] in lines[0],
                f"scripts/multihost {' '.join(args)}: stderr",
                f"one line naming {args[0]}", r.stderr)


def test_not_root_message(t):
    """As an ordinary user the script says it needs root and exits 1."""
    global SCRIPT
    need_root(t)  # to become nobody we must be root
    # nobody runs copies: the checkout may be under /root (mode 700)
    d = sbtest.readable_copy({"scripts/multihost": SCRIPT,
                              "sockbench": sbtest.BIN})
    saved, SCRIPT = SCRIPT, os.path.join(d, "scripts", "multihost")
    bin_saved, sbtest.BIN = sbtest.BIN, os.path.join(d, "sockbench")
    try:
        r = run_script(["--out", lt.tmpdir()], timeout=10, user=65534)
    finally:
        SCRIPT, sbtest.BIN = saved, bin_saved
        shutil.rmtree(d, ignore_errors=True)
    t.eq(f"exit status as uid 65534 ({r.describe()})", 1, r.rc)
    t.check("needs root" in r.stderr, "stderr as uid 65534",
            "'needs root'", r.stderr)


def main():
    sbtest.parse_args(__doc__)
    runner = sbtest.Runner("test_multihost")
    try:
        runner.run("runs", test_runs, timeout=90)
        runner.run("own-link-each", test_each_generator_on_its_own_link)
        runner.run("merged-is-the-sum", test_merged_is_the_sum)
        runner.run("merged-equals-server", test_merged_equals_server)
        runner.run("started-together", test_started_together)
        runner.run("namespaces-removed", test_namespaces_removed)
        runner.run("interrupt-cleans-up", test_interrupt_cleans_up,
                   timeout=60)
        runner.run("bad-usage", test_bad_usage)
        runner.run("not-root-message", test_not_root_message)
    finally:
        lt.cleanup_tmpdirs()
    runner.finish()


if __name__ == "__main__":
    main()

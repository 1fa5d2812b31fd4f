#!/usr/bin/env python3
"""Options come from one table per command (lib/optab.c): what `--help`
lists, what the run JSON's `config` records and what a sweep may vary are
the same set of names; times read as people write them; a fixed run has the
same JSON keys as before the tables (data/run_keys.txt, from f3c7422).

    python3 tests/integration/test_options.py --bin build/sockbench [-k NAME]
"""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402
from loadtest import run_load, require_run  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# Subtrees whose keys depend on the run: the key itself is checked, not
# what is under it.
OPEN = {"sysctl", "errors", "delta", "histogram", "samples", "intervals",
        "process", "after_leave", "after_stop"}
# Keys added since f3c7422: an effective setting that was missing, stream's
# written/acknowledged bytes (null in other modes), and the
# run per client slot (SPEC section 10: served, starved, fairness, censored
# requests in latency_us and the completed-only view beside it); the
# reject lesson's server options and counters (how connections ended), the
# run's end (issue 17: leave, tcp_states, restart, the client's local ports);
# what ran, from where (issue 20: the commit, the data directories).
ADDED = {"config.server.http_body", "load.stream", "stop",
         "config.server.on_accept", "config.server.no_reuseaddr",
         "server.closed_on_accept", "server.reset_on_accept",
         "server.peer_fin", "server.peer_reset", "server.reuseaddr",
         "config.load.max_head", "config.load.max_msg",
         "load.connections.reconnects",
         "load.connections.served", "load.connections.starved",
         "load.fairness", "load.fairness.jain", "load.fairness.slots",
         "load.fairness.requests_per_conn",
         "load.requests.latency_us.censored",
         "load.requests.latency_us.omitted",
         "load.requests.latency_completed_us"} | \
    {f"load.fairness.requests_per_conn.{k}" for k in ("min", "p50", "max")} | \
    {f"load.requests.latency_completed_us.{k}" for k in
     ("min", "p50", "p90", "p99", "p999", "max", "mean", "histogram")} | \
    {"config.load.close", "config.load.unread", "config.load.first",
     "config.load.restart", "leave", "tcp_states", "restart",
     "config.load.server_host", "config.load.ssh_opt", "config.load.remote_bin",
     "kernel.host", "accept_queue.host",
     "load.connections.local_ports"} | \
    {f"load.connections.local_ports.{k}" for k in ("min", "max", "distinct")} | \
    {"load.connections.failed_latency_us"} | \
    {"config.load.generators", "config.load.ssh_opt", "config.load.remote_sysctl",
     "config.load.remote_bin"} | \
    {f"load.connections.failed_latency_us.{k}" for k in
     ("min", "p50", "p90", "p99", "p999", "max", "mean", "histogram")} | \
    {f"tcp_states.{k}" for k in ("after_leave", "after_stop", "reason")} | \
    {f"leave.{k}" for k in ("first_close", "close", "unread", "connections",
                            "drained", "drain_failed", "unread_waiting",
                            "unread_missing", "exit_status", "error")} | \
    {f"tool.{k}" for k in ("commit", "datadir", "pydir")}


def key_paths(o, prefix=""):
    out = set()
    if isinstance(o, dict):
        for k, v in o.items():
            p = f"{prefix}.{k}" if prefix else k
            out.add(p)
            if k not in OPEN:
                out |= key_paths(v, p)
    return out


def help_options(cmd):
    r = subprocess.run([sbtest.BIN, cmd, "--help"], capture_output=True,
                       text=True, timeout=10)
    return r.returncode, set(re.findall(r"^  --([a-z][a-z-]*)", r.stdout,
                                        re.M))


def test_run_keys(t):
    want = set()
    with open(os.path.join(HERE, "data", "run_keys.txt")) as f:
        want = {x.strip() for x in f if x.strip() and not x.startswith("#")}
    r = run_load(["--serve", "--model epoll --proto rr", "--requests", "500",
                  "--conns", "4", "--threads", "1", "--quiet"], timeout=30)
    j = require_run(t, r)
    got = key_paths(j)
    t.eq("keys missing from the run JSON", [], sorted(want - got))
    t.eq("keys added to the run JSON", sorted(ADDED), sorted(got - want))


def test_help_is_config(t):
    """--help and config name the same options (outputs aside)."""
    r = run_load(["--serve", "--model epoll --proto rr", "--requests", "50",
                  "--conns", "1", "--threads", "1", "--quiet"], timeout=30)
    j = require_run(t, r)
    for cmd, part, outputs in (("serve", "server",
                                {"stats", "stats-fd", "counters-fd", "stop-on-eof",
                                 "help"}),
                               ("load", "load",
                                {"json", "jsonl", "live-fd", "live", "quiet", "stop-on-eof", "help"})):
        rc, opts = help_options(cmd)
        t.eq(f"{cmd} --help exit status", 0, rc)
        names = {o.replace("-", "_") for o in opts - outputs}
        names = {"start_at_ms" if n == "start_at" else n for n in names}
        keys = set(j["config"][part])
        t.eq(f"{cmd}: options in --help but not in config.{part}", [],
             sorted(names - keys))
        t.eq(f"{cmd}: config.{part} keys not in --help", [],
             sorted(keys - names))


def test_durations(t):
    """1.5, 1.5s, 250ms, 2m: a bare number keeps SPEC section 4's unit
    (seconds for durations, ms for timeouts)."""
    for dur, want in (("0.5", 0.5), ("0.5s", 0.5), ("500ms", 0.5)):
        r = run_load(["--serve", "--model epoll --proto rr", "--duration",
                      dur, "--timeout", "1.5s", "--connect-timeout", "2",
                      "--conns", "1", "--threads", "1", "--quiet"],
                     timeout=30)
        j = require_run(t, r)
        c = j["config"]["load"]
        t.eq(f"--duration {dur}: config.load.duration", want, c["duration"])
        t.check(0.45 <= j["duration_s"] <= 1.5,
                f"--duration {dur}: duration_s", "about 0.5",
                j["duration_s"])
        t.eq("--timeout 1.5s: config.load.timeout (ms)", 1500, c["timeout"])
        t.eq("--connect-timeout 2: config.load.connect_timeout (ms)", 2,
             c["connect_timeout"])
    for bad, words in (("1.5us", "finer than a microsecond"),
                       ("1,5", "expected a time"), ("-1", "expected a time")):
        r = subprocess.run([sbtest.BIN, "load", "--target", "127.0.0.1:9",
                            "--duration", bad], capture_output=True,
                           text=True, timeout=10)
        t.eq(f"--duration {bad}: exit status", 2, r.returncode)
        t.check(words in r.stderr and "--duration" in r.stderr,
                f"--duration {bad}: message", words, r.stderr)


def dry_run(args):
    d = lt.tmpdir()
    return subprocess.run([sbtest.BIN, "sweep", "--dry-run", "--out",
                           os.path.join(d, "out")] + args,
                          capture_output=True, text=True, timeout=20)


def test_sweep_axes(t):
    """Every serve and load option is an axis; a name both take feeds
    both; a flag is on or off; an output option says why it is not."""
    r = dry_run(["--mode", "http", "--http-path", "/a,/b", "--http-body",
                 "13,20", "--duration", "1"])
    t.eq("http axes: exit status", 0, r.returncode)
    lines = [x for x in r.stdout.splitlines() if ".json" in x]
    t.eq("http axes: runs", 4, len(lines))
    for x in lines:
        body = re.search(r"--http-body (\d+) ", x)
        t.check(body and f"--http-body '{body.group(1)}'" in x,
                "--http-body reaches serve and load", "the same value twice",
                x)
    r = dry_run(["--mode", "connect", "--pause-accept", "0,1"])
    lines = [x for x in r.stdout.splitlines() if ".json" in x]
    t.eq("--pause-accept 0,1: runs", 2, len(lines))
    t.check(len(lines) == 2 and "--pause-accept" not in lines[0]
            and "--pause-accept" in lines[1], "--pause-accept 0,1",
            "off, then on", lines)
    for opt, words in (("--json", "a sweep writes each run under --out"),
                       ("--stats", "merged into its run JSON"),
                       ("--target", "a sweep starts its own servers")):
        r = dry_run([opt, "x"])
        t.eq(f"sweep {opt}: exit status", 2, r.returncode)
        t.check(words in r.stderr, f"sweep {opt}: message", words, r.stderr)


# A server for --server-cmd that records the {backlog} it was given and
# listens with it: python3 -c SCRIPT PORT BACKLOG FILE.
RECORDER = ("import socket,sys,time\n"
            "open(sys.argv[3],'w').write(sys.argv[2])\n"
            "s=socket.socket(); s.bind(('127.0.0.1',int(sys.argv[1])))\n"
            "s.listen(int(sys.argv[2])); print('READY', flush=True)\n"
            "time.sleep(30)\n")


OUTER = ("import os,sys\n"
         "open('/proc/sys/net/core/somaxconn','w').write('100')\n"
         "os.execv(sys.argv[1], sys.argv[1:])\n")


def test_backlog_max_placeholder(t):
    """{backlog} of `--backlog max` is what listen(fd, -1) gets: the run
    namespace's somaxconn (the cell's, else the namespace's own). Root:
    unshare -n."""
    sbtest.require_root(__file__, "unshare -n")
    d = lt.tmpdir()
    for extra, want in ((["--somaxconn", "64"], "64"), ([], None)):
        rec = os.path.join(d, "backlog.txt")
        if os.path.exists(rec):
            os.unlink(rec)
        out = os.path.join(d, f"out{len(extra)}")
        cmd = (f"python3 -c \"{RECORDER}\" {{port}} {{backlog}} {rec}")
        # The sweep itself runs in a namespace whose somaxconn (100) is
        # neither the cell's nor a fresh namespace's: a {backlog} filled
        # outside the run's own namespace would read 100.
        r = subprocess.run(["unshare", "-n", sys.executable, "-c", OUTER,
                            sbtest.BIN, "sweep", "--out", out, "--quiet",
                            "--server-cmd", cmd, "--backlog", "max",
                            "--mode", "connect", "--conns", "2",
                            "--duration", "0.3", "--threads", "1"] + extra,
                           capture_output=True, text=True, timeout=60)
        t.eq(f"sweep --backlog max {extra}: exit status", 0, r.returncode)
        got = open(rec).read() if os.path.exists(rec) else None
        if want is None:
            # a fresh network namespace starts with the kernel default
            # (4096 since Linux 5.4), not the host's value
            want = subprocess.run(
                ["unshare", "-n", "cat", "/proc/sys/net/core/somaxconn"],
                capture_output=True, text=True).stdout.strip()
        t.eq(f"{{backlog}} for --backlog max {extra}", want, got)


def cases(runner):
    runner.run("run-keys", test_run_keys, timeout=40)
    runner.run("help-is-config", test_help_is_config, timeout=40)
    runner.run("durations", test_durations, timeout=60)
    runner.run("sweep-axes", test_sweep_axes, timeout=60)
    runner.run("backlog-max-placeholder", test_backlog_max_placeholder,
               timeout=90)


def main():
    sbtest.parse_args(__doc__)
    lt.run_tests("test_options", cases)


if __name__ == "__main__":
    main()

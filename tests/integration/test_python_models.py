#!/usr/bin/env python3
"""The Python models (servers/python/, SPEC section 10) under the real
generator: their stats against load's counts exactly, the blocking
server's starvation, --backlog max, an option a model does not take, and
py-selectors' --send sendall (BlockingIOError) against buffered.

    python3 tests/integration/test_python_models.py --bin build/sockbench [-k NAME]
"""

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402
from loadtest import run_load, require_run  # noqa: E402

PY_MODELS = ["py-blocking", "py-threading", "py-selectors", "py-asyncio"]


def counts_match(t, model, mode, bind):
    serve = f"--model {model} --proto {mode} --bind {bind}"
    r = run_load(["--serve", serve, "--mode", mode, "--requests", "60",
                  "--conns", "3"], 20)
    j = require_run(t, r)
    s, ld = j["server"], j["load"]
    conns = ld["connections"]["established"]
    t.eq(f"{model} {mode} {bind}: requests == completed",
         ld["requests"]["completed"], s["requests"])
    t.eq(f"{model} {mode}: completed", 60, ld["requests"]["completed"])
    t.eq(f"{model} {mode}: accepted == established", conns, s["accepted"])
    t.eq(f"{model} {mode}: closed == established", conns, s["closed"])
    req = 8 + 64 if mode == "rr" else 64
    t.eq(f"{model} {mode}: bytes_in", 60 * req, s["bytes_in"])
    t.eq(f"{model} {mode}: bytes_out", 60 * 64, s["bytes_out"])
    t.eq(f"{model} {mode}: errors", {}, s["errors"])
    t.eq(f"{model}: stats model", model, s["model"])
    for k in ("rejected_max_conns", "idle_closed", "peak_connections",
              "backlog_effective", "sndbuf", "cpu_user_s", "max_rss_kib"):
        t.check(k in s, f"{model}: stats key {k}", "present", sorted(s))


def test_counts(t, model):
    for mode in ("rr", "echo"):
        counts_match(t, model, mode, "127.0.0.1")
    sock = os.path.join(lt.tmpdir(), "py.sock")
    counts_match(t, model, "rr", "unix:" + sock)


def test_starvation(t):
    r = run_load(["--serve", "--model py-blocking --proto rr", "--conns", "4",
                  "--duration", "1"], 20)
    j = require_run(t, r)
    t.eq("py-blocking --conns 4: served", 1, j["load"]["connections"]["served"])
    t.eq("py-blocking --conns 4: starved", 3,
         j["load"]["connections"]["starved"])


def test_backlog_max(t):
    """READY says -1; the effective backlog is the namespace's somaxconn
    (set to 300 in a private network namespace when we are root)."""
    cmd = [sbtest.BIN, "load", "--serve", "--model py-selectors --backlog max",
           "--requests", "20", "--json", "-"]
    want = sbtest.somaxconn()
    if os.geteuid() == 0 and shutil.which("unshare") and shutil.which("ip"):
        want = 300
        cmd = ["unshare", "-n", "sh", "-c",
               "ip link set lo up && echo 300 > /proc/sys/net/core/somaxconn"
               " && exec \"$@\"", "sh"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    t.require(p.returncode == 0, f"load --backlog max: exit {p.returncode}: "
              f"{p.stderr[-300:]}")
    s = json.loads(p.stdout)["server"]
    t.eq("backlog_requested", -1, s["backlog_requested"])
    t.eq("backlog_effective == somaxconn", want, s["backlog_effective"])
    srv = sbtest.start_server(t, ["--model", "py-selectors", "--port", "0",
                                  "--backlog", "max"])
    t.eq("READY backlog=", -1, int(srv.ready["backlog"]))
    sbtest.stop_server(t, srv)


def test_refused(t):
    for args, words in ((["--model", "py-asyncio", "--recv-size", "4k"],
                         ("--recv-size", "py-asyncio")),
                        (["--model", "py-blocking", "--workers", "2"],
                         ("--workers", "py-blocking")),
                        (["--model", "epoll", "--send", "buffered"],
                         ("buffered", "epoll"))):
        p = subprocess.run([sbtest.BIN, "serve"] + args, capture_output=True,
                           text=True, timeout=10)
        t.eq(f"serve {' '.join(args)}: exit", 2, p.returncode)
        lines = p.stderr.strip().splitlines()
        t.eq(f"serve {' '.join(args)}: one line", 1, len(lines))
        t.check(all(w in p.stderr for w in words), "the line names",
                words, p.stderr)
    env = dict(os.environ, PATH="/nonexistent")
    p = subprocess.run([sbtest.BIN, "serve", "--model", "py-selectors"],
                       capture_output=True, text=True, timeout=10, env=env)
    t.eq("no python3: exit", 1, p.returncode)
    t.check("python3" in p.stderr and len(p.stderr.splitlines()) == 1,
            "no python3: one line naming it", "python3", p.stderr)


def test_send(t):
    out = {}
    for send in ("sendall", "buffered"):
        r = run_load(["--serve", f"--model py-selectors --send {send}",
                      "--resp-size", "8M", "--conns", "1", "--requests", "2",
                      "--timeout", "1s"], 30)
        out[send] = r.json
        t.require(r.json, f"--send {send}: no JSON ({r.describe()})")
    s = out["sendall"]["server"]
    t.check(s["errors"].get("BlockingIOError", 0) >= 1,
            "sendall: BlockingIOError counted", ">= 1", s["errors"])
    t.check(s["bytes_dropped"] > 0, "sendall: bytes lost", "> 0",
            s["bytes_dropped"])
    b = out["buffered"]
    t.eq("buffered: completed", 2, b["load"]["requests"]["completed"])
    t.eq("buffered: bytes_out", 2 * 8 * 1024 * 1024, b["server"]["bytes_out"])
    t.eq("buffered: errors", {}, b["server"]["errors"])


def cases(runner):
    for m in PY_MODELS:
        runner.run(f"counts-{m}", test_counts, m, timeout=60)
    runner.run("blocking-starves", test_starvation, timeout=30)
    runner.run("backlog-max", test_backlog_max, timeout=30)
    runner.run("refused", test_refused, timeout=30)
    runner.run("send-sendall-buffered", test_send, timeout=60)


if __name__ == "__main__":
    sbtest.parse_args(__doc__)
    lt.run_tests("python models", cases)

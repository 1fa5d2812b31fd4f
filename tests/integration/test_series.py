#!/usr/bin/env python3
"""Any server as a series, several sweeps in one figure (issue 16, parts 2
and 3).

    python3 tests/integration/test_series.py --bin build/sockbench [-k NAME]

Before the change `--server-cmd NAME=CMD` ran 'NAME=CMD' as one unnamed
command beside no model (a named command could not stand beside
`--models` in one axis), and `plot` took one directory only.
Root: sweeps run each cell in a private network namespace.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TUT = "tut=python3 %s {port}" % os.path.join(HERE, "tutorial_echo.py")
FAST = ["--mode", "echo", "--conns", "1,2", "--duration", "0.3", "--quiet"]


def run(args, timeout=60):
    return subprocess.run([sbtest.BIN] + args, capture_output=True,
                          text=True, timeout=timeout)


def runs_of(out):
    d = os.path.join(out, "runs")
    res = []
    for x in sorted(os.listdir(d)):
        if x.endswith(".json"):
            with open(os.path.join(d, x)) as f:
                res.append(json.load(f))
    return res


def titles(pdir, fig):
    """The series titles of a figure, from its data files' comments."""
    d = os.path.join(pdir, "data")
    res = []
    for x in sorted(os.listdir(d)):
        if x.startswith(fig + "-") and x.endswith(".dat"):
            with open(os.path.join(d, x)) as f:
                head = f.readline()
            res.append(head[head.rindex("(series ") + 8:].rstrip().rstrip(")"))
    return sorted(res)


def server_sweep(t, out):
    # a C model, a Python model and the viewer's own script: one axis
    r = run(["sweep", "--models", "epoll,py-asyncio", "--server-cmd", TUT,
             "--out", out] + FAST)
    t.eq("sweep --models epoll,py-asyncio --server-cmd tut=...: exit status"
         + ": " + r.stderr.strip()[-300:], 0, r.returncode)
    return r


def test_server_axis(t):
    out = os.path.join(lt.tmpdir(), "out")
    server_sweep(t, out)
    runs = runs_of(out)
    got = sorted((x["sweep"]["values"].get("server"),
                  x["sweep"]["values"].get("conns"), x["error"]) for x in runs)
    t.eq("runs (server, conns, error)",
         [("epoll", "1", None), ("epoll", "2", None),
          ("py-asyncio", "1", None), ("py-asyncio", "2", None),
          ("tut", "1", None), ("tut", "2", None)], got)
    with open(os.path.join(out, "sweep.json")) as f:
        ident = json.load(f)["identity"]
    t.eq("identity: the server axis", ["epoll", "py-asyncio", "tut"],
         ident["axes"].get("server"))
    t.check(ident["server_cmd"] == {"tut": TUT[4:]}, "identity: server_cmd",
            "{'tut': CMD}", ident["server_cmd"])
    r = run(["plot", out, "--figure", "tail"])
    t.eq("plot: exit status" + ": " + r.stderr.strip()[-300:], 0, r.returncode)
    t.eq("tail figure's series", ["epoll", "py-asyncio", "tut"],
         titles(os.path.join(out, "plots"), "tail"))


def test_config_server_cmd(t):
    d = lt.tmpdir()
    cfg = os.path.join(d, "s.json")
    with open(cfg, "w") as f:
        json.dump({"models": ["epoll"], "server_cmd": {"tut": TUT[4:]},
                   "conns": [1, 2]}, f)
    r = run(["sweep", "--config", cfg, "--dry-run"])
    t.eq("--config with server_cmd {name: cmd}: exit status" + ": " + r.stderr.strip()[-300:], 0, r.returncode)
    t.check("server-tut" in r.stdout and "server-epoll" in r.stdout,
            "dry run", "cells of epoll and tut", r.stdout)


def test_bad_name(t):
    for bad, why in [("b@d=python3 x.py {port}", "NAME takes"),
                     ("epoll=python3 x.py {port}", "a model's name")]:
        r = run(["sweep", "--models", "epoll", "--server-cmd", bad,
                 "--conns", "1", "--dry-run"])
        t.eq("--server-cmd %r: exit status" % bad, 2, r.returncode)
        t.check(len(r.stderr.strip().splitlines()) == 1
                and why in r.stderr, "stderr", "one line: " + why, r.stderr)
    r = run(["sweep", "--models", "epoll", "--server-cmd", TUT,
             "--work-us", "10", "--conns", "1", "--dry-run"])
    t.eq("--work-us beside a named command: exit status", 2, r.returncode)
    t.check("--work-us" in r.stderr
            and len(r.stderr.strip().splitlines()) == 1, "stderr",
            "one line naming --work-us", r.stderr)


def test_plot_several(t):
    d = lt.tmpdir()
    a, b, c = (os.path.join(d, x) for x in ("a", "b", "c"))
    server_sweep(t, a)
    r = run(["sweep", "--models", "epoll,poll", "--out", b] + FAST)
    t.eq("second sweep: exit status" + ": " + r.stderr.strip()[-300:], 0, r.returncode)
    r = run(["plot", a, b, "--label", "x,y", "--out", c])
    t.eq("plot A B --label x,y --out C: exit status" + ": " + r.stderr.strip()[-300:], 0, r.returncode)
    t.eq("tail figure's series", ["x epoll", "x py-asyncio", "x tut", "y epoll",
          "y poll"],
         titles(c, "tail"))
    t.check(os.path.exists(os.path.join(c, "tail.png")), "C/tail.png",
            "drawn", os.listdir(c))
    warn = [x for x in r.stderr.splitlines() if "differ" in x]
    t.check(len(warn) == 1 and "server" in warn[0] and "models" in warn[0],
            "warning", "one line naming server and models", r.stderr)
    r = run(["plot", a, b, "--label", "x", "--out", c])
    t.eq("--label x for two directories: exit status", 2, r.returncode)
    t.check(len(r.stderr.strip().splitlines()) == 1 and "--label" in r.stderr,
            "stderr", "one line", r.stderr)
    r = run(["plot", a, b])
    t.eq("two directories without --out: exit status", 2, r.returncode)


def cases(runner):
    sbtest.require_root(__file__, "sweeps use private network namespaces")
    runner.run("server-axis", test_server_axis, timeout=60)
    runner.run("config-server-cmd", test_config_server_cmd, timeout=30)
    runner.run("bad-name", test_bad_name, timeout=30)
    runner.run("plot-several", test_plot_several, timeout=60)


def main():
    sbtest.parse_args(__doc__)
    lt.run_tests("test_series", cases)


if __name__ == "__main__":
    main()

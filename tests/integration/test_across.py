#!/usr/bin/env python3
"""Truth across runs: sweeps that never mix (issue "Truth across runs").

    python3 tests/integration/test_across.py --bin build/sockbench [-k NAME]

Each case was seen to go wrong before the change:
- `--resume` with other values ran on, the run files saying conns 4 while
  sweep.json said 100;
- `--models epoll,poll` resumed as `--models poll,epoll` gave other cell
  numbers for the same cells;
- a non-empty --out was taken without a word, and two sweeps into one
  directory at once both ran;
- a stale unix socket file (its server killed) made every run fail with
  "server exited before it was ready (status 1)", the real cause unsaid;
- `--resume` counted failed runs as done ("skipped").
Root: sweeps run each cell in a private network namespace.
"""

import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402
import loadtest as lt  # noqa: E402

FAST = ["--duration", "0.2", "--threads", "1", "--conns", "2", "--quiet"]


def sweep(args, timeout=60):
    return subprocess.run([sbtest.BIN, "sweep"] + args, capture_output=True,
                          text=True, timeout=timeout)


def run_files(out):
    d = os.path.join(out, "runs")
    return sorted(x for x in os.listdir(d) if x.endswith(".json"))


def load_run(out, name):
    with open(os.path.join(out, "runs", name)) as f:
        return json.load(f)


def test_resume_other_values(t):
    out = os.path.join(lt.tmpdir(), "out")
    r = sweep(["--out", out, "--conns", "4"] + FAST[:4] + ["--quiet"])
    t.eq("first sweep: exit status", 0, r.returncode)
    before = run_files(out)
    r = sweep(["--out", out, "--conns", "100", "--resume"] + FAST[:4])
    t.eq("--resume with --conns 100: exit status", 2, r.returncode)
    t.check("--conns" in r.stderr and '"4"' in r.stderr and '"100"' in r.stderr
            and len(r.stderr.strip().splitlines()) == 1,
            "--resume refusal", "one line naming --conns, 4 and 100", r.stderr)
    t.eq("run files after the refusal", before, run_files(out))
    t.eq("the run's conns", 4,
         load_run(out, before[0])["config"]["load"]["conns"])
    # the same sweep typed another way (2 s = 2000ms, axes reordered) is
    # the same sweep
    r = sweep(["--threads", "1", "--duration", "200ms", "--conns", "4",
               "--out", out, "--resume", "--quiet"])
    t.eq("--resume, same values written otherwise: exit status", 0,
         r.returncode)


def test_models_order(t):
    out = os.path.join(lt.tmpdir(), "out")
    r = sweep(["--out", out, "--models", "epoll,poll"] + FAST)
    t.eq("first sweep: exit status", 0, r.returncode)
    first = run_files(out)
    r = sweep(["--out", out, "--models", "poll,epoll", "--resume"] + FAST[:-1])
    t.eq("resumed with poll,epoll: exit status", 0, r.returncode)
    t.check("2 runs (2 skipped), 0 failed" in r.stderr,
            "resumed sweep's summary", "2 runs (2 skipped), 0 failed",
            r.stderr)
    t.eq("run files (one per cell, same numbers)", first, run_files(out))
    for name in first:
        model = load_run(out, name)["config"]["server"]["model"]
        t.check(f"models-{model}" in name, f"{name}: its model", model, name)


def test_not_empty_out(t):
    out = os.path.join(lt.tmpdir(), "out")
    os.makedirs(out)
    with open(os.path.join(out, "notes.txt"), "w") as f:
        f.write("mine\n")
    r = sweep(["--out", out] + FAST)
    t.eq("sweep into a non-empty --out: exit status", 2, r.returncode)
    t.check("not empty" in r.stderr and "notes.txt" in r.stderr,
            "message", "names what is there (notes.txt)", r.stderr)
    t.eq("the directory after the refusal", ["notes.txt"],
         sorted(os.listdir(out)))


def test_two_sweeps_at_once(t):
    out = os.path.join(lt.tmpdir(), "out")
    first = subprocess.Popen([sbtest.BIN, "sweep", "--out", out, "--duration",
                              "1.5", "--threads", "1", "--conns", "2",
                              "--quiet"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):   # until the first one holds the directory
            if os.path.exists(os.path.join(out, "sweep.json")):
                break
            time.sleep(0.02)
        r = sweep(["--out", out, "--resume", "--duration", "1.5",
                   "--threads", "1", "--conns", "2", "--quiet"])
        t.eq("second sweep into the same --out: exit status", 1,
             r.returncode)
        t.check("another sweep is running" in r.stderr, "message",
                "another sweep is running there", r.stderr)
    finally:
        _, err = first.communicate(timeout=30)
    t.eq("the first sweep: exit status", 0, first.returncode)
    t.eq("run files", 1, len(run_files(out)))


def test_stale_unix_socket(t):
    d = lt.tmpdir()
    path = os.path.join(d, "s.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)            # a socket file whose server is gone
    s.close()
    out = os.path.join(d, "out")
    r = sweep(["--out", out, "--bind", f"unix:{path}", "--repeat", "2"]
              + FAST)
    t.eq("sweep over a stale socket file: exit status", 0, r.returncode)
    for name in run_files(out):
        t.eq(f"{name}: error", None, load_run(out, name).get("error"))
    # a regular file at the path is never removed: the run says why
    other = os.path.join(d, "f.sock")
    with open(other, "w") as f:
        f.write("not a socket\n")
    out2 = os.path.join(d, "out2")
    r = sweep(["--out", out2, "--bind", f"unix:{other}"] + FAST)
    t.eq("sweep over a regular file: exit status", 1, r.returncode)
    err = load_run(out2, run_files(out2)[0]).get("error") or ""
    t.check("Address already in use" in err, "the run's error",
            "the server's own line (Address already in use)", err)
    t.eq("the regular file", "not a socket\n", open(other).read())


def test_resume_reruns_failed(t):
    d = lt.tmpdir()
    sockdir = os.path.join(d, "later")
    out = os.path.join(d, "out")
    r = sweep(["--out", out, "--bind", f"unix:{sockdir}/s.sock"] + FAST)
    t.eq("sweep whose server cannot bind: exit status", 1, r.returncode)
    name = run_files(out)[0]
    err = load_run(out, name).get("error") or ""
    t.check("No such file or directory" in err, "the failed run's error",
            "the server's reason", err)
    os.makedirs(sockdir)
    r = sweep(["--out", out, "--bind", f"unix:{sockdir}/s.sock", "--resume"]
              + FAST[:-1])
    t.eq("--resume once the directory exists: exit status", 0, r.returncode)
    t.check("1 runs (0 skipped), 0 failed" in r.stderr, "summary",
            "the failed run ran again: 0 skipped, 0 failed", r.stderr)
    t.eq("the run's error after --resume", None,
         load_run(out, name).get("error"))
    with open(os.path.join(out, "summary.json")) as f:
        cells = json.load(f)["cells"]
    t.check(cells and all(c["failed"] == 0 for c in cells),
            "summary.json", "no failed cell", cells)


def plot(out, env=None):
    return subprocess.run([sbtest.BIN, "plot", out], capture_output=True,
                          text=True, timeout=60, env=env)


def test_plot_says_what_it_left_out(t):
    d = lt.tmpdir()
    out, other = os.path.join(d, "out"), os.path.join(d, "other")
    r = sweep(["--out", out, "--conns", "1,2"] + FAST[:4] + ["--quiet"])
    t.eq("sweep: exit status", 0, r.returncode)
    r = sweep(["--out", other, "--conns", "1,2", "--duration", "0.3",
               "--threads", "1", "--quiet"])
    # a run of another sweep, a corrupt file and a file of another tool
    foreign = run_files(other)[1]
    with open(os.path.join(other, "runs", foreign)) as f, \
            open(os.path.join(out, "runs", "0007-conns-2-r2.json"), "w") as g:
        g.write(f.read())
    with open(os.path.join(out, "runs", "0008-junk-r1.json"), "w") as f:
        f.write("{ not json")
    with open(os.path.join(out, "runs", "0009-tool-r1.json"), "w") as f:
        json.dump({"hello": 1}, f)
    r = plot(out)
    t.eq("plot: exit status (figures were drawn)", 0, r.returncode)
    for name, why in (("0007-conns-2-r2.json", "another sweep"),
                      ("0008-junk-r1.json", "left out"),
                      ("0009-tool-r1.json", "not a sweep's run")):
        lines = [x for x in r.stderr.splitlines() if name in x]
        t.check(len(lines) == 1 and why in lines[0], f"plot warning for {name}",
                f"one line: {why}", r.stderr)
    data = os.path.join(out, "plots", "data")
    dat = sorted(x for x in os.listdir(data) if x.startswith("models-"))
    rows = [x for x in open(os.path.join(data, dat[0])) if x[0] != "#"]
    t.eq("models data rows (the foreign repeat not pooled)", 2, len(rows))


def test_plot_series_cut(t):
    """70 series where a figure holds 64: one warning with both counts."""
    d = lt.tmpdir()
    out = os.path.join(d, "out")
    r = sweep(["--out", out, "--conns", "1"] + FAST[:4] + ["--quiet"])
    t.eq("sweep: exit status", 0, r.returncode)
    base = load_run(out, run_files(out)[0])
    os.unlink(os.path.join(out, "runs", run_files(out)[0]))
    for k in range(70):
        for conns in (1, 2):
            j = json.loads(json.dumps(base))
            j["sweep"]["values"] = {"conns": str(conns), "backlog": str(k + 1)}
            j["sweep"]["cell"] = 2 * k + conns - 1
            j["config"]["load"]["conns"] = conns
            with open(os.path.join(out, "runs", f"{2 * k + conns - 1:04d}-x-r1"
                                   ".json"), "w") as f:
                json.dump(j, f)
    r = plot(out)
    lines = [x for x in r.stderr.splitlines() if "of 70 series" in x]
    t.check(lines and "drew 64 of 70 series" in lines[0],
            "plot warning for the series cut", "drew 64 of 70 series",
            r.stderr)


def test_plot_gnuplot_fails(t):
    """gnuplot's own message, and exit 1 (it said 'no figure fits')."""
    d = lt.tmpdir()
    out = os.path.join(d, "out")
    r = sweep(["--out", out, "--conns", "1,2"] + FAST[:4] + ["--quiet"])
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                       "scripts")
    data = os.path.join(d, "data")
    subprocess.run(["cp", "-r", os.path.join(src, "plots"), data + "-plots"],
                   check=True)
    os.makedirs(data)
    os.rename(data + "-plots", os.path.join(data, "plots"))
    with open(os.path.join(data, "plots", "models.gp"), "a") as f:
        f.write("\nthis is not gnuplot\n")
    env = dict(os.environ, SOCKBENCH_DATA=data)
    r = plot(out, env)
    t.eq("plot with a broken models.gp: exit status", 1, r.returncode)
    t.check("models: gnuplot failed" in r.stderr and "models.gp" in r.stderr
            and "no figure fits" not in r.stderr, "stderr",
            "gnuplot's failure on models.gp, not 'no figure fits'", r.stderr)


def cases(runner):
    sbtest.require_root(__file__, "sweeps use private network namespaces")
    runner.run("resume-other-values", test_resume_other_values, timeout=60)
    runner.run("models-order", test_models_order, timeout=60)
    runner.run("not-empty-out", test_not_empty_out, timeout=30)
    runner.run("two-sweeps-at-once", test_two_sweeps_at_once, timeout=60)
    runner.run("stale-unix-socket", test_stale_unix_socket, timeout=60)
    runner.run("resume-reruns-failed", test_resume_reruns_failed, timeout=60)
    runner.run("plot-says-what-it-left-out", test_plot_says_what_it_left_out,
               timeout=60)
    runner.run("plot-series-cut", test_plot_series_cut, timeout=60)
    runner.run("plot-gnuplot-fails", test_plot_gnuplot_fails, timeout=60)


def main():
    sbtest.parse_args(__doc__)
    lt.run_tests("test_across", cases)


if __name__ == "__main__":
    main()

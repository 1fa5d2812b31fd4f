#!/usr/bin/env python3
"""`sockbench sweep` (SPEC section 7), end to end.

    python3 tests/integration/test_sweep.py --bin build/sockbench [-k NAME]

Needs root (the sweep puts each run in a private network namespace; one
test drops to `nobody` with setpriv to take the user-namespace path). Nothing
here changes a host sysctl: the host's values are read at the start and
compared at the end.

Tests:
  backlog_somaxconn  --backlog 1,4,16 x --somaxconn 4,4096, connect mode,
                     paused acceptor: established == min(backlog,
                     somaxconn) + 1, backlog_effective, netns "private",
                     the namespace's somaxconn is the cell's; host unchanged
  repeats            --repeat 3 on 2 cells: 3 files per cell, summary n=3,
                     min <= median <= max, ci95 [lo, hi] around the median
                     and equal to the Student-t interval; --repeat 1: null
  rr_default_proto   a sweep in rr mode (the default) without --proto gets
                     replies that verify (the server speaks rr)
  failing_servers    --server-cmd /bin/false, a server that never gets
                     ready (sleep), and a mixed sweep (one cell's server
                     exits, the other serves): errors recorded, exit 1,
                     "N failed" on stderr, the hung server killed
  sigint_resume      SIGINT mid-sweep: exit 130 within 5 s, no process of
                     the sweep left, finished files parse, stderr names
                     --resume; --resume completes the dry-run's file set
                     without rewriting earlier files
  bad_values         exit 2, one stderr line naming the option, nothing
                     created; a config file and command-line overrides
  unprivileged       as nobody: the user-namespace path sets somaxconn, or
                     the axis is refused before the sweep starts (prints
                     which); unprivileged user namespaces must work here
  dry_run            one line per run + "N runs, about ..."; nothing created
  host_sysctls       the host's sysctls are what they were at the start
"""

import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sbtest  # noqa: E402

HOST_SYSCTLS = [
    "net/core/somaxconn", "net/ipv4/ip_local_port_range",
    "net/ipv4/tcp_syncookies", "net/ipv4/tcp_abort_on_overflow",
    "net/ipv4/tcp_syn_retries", "net/ipv4/tcp_tw_reuse",
]

TMPDIRS = []        # removed at the end
LIVE = set()        # Popen objects of sweeps still running


def mktemp(tag):
    return sbtest.make_tmpdir(f"sbsweep-{tag}-", TMPDIRS)


def cleanup():
    for p in list(LIVE):
        kill_group(p)
    for d in TMPDIRS:
        shutil.rmtree(d, ignore_errors=True)


def read_sysctls():
    out = {}
    for name in HOST_SYSCTLS:
        try:
            with open("/proc/sys/" + name) as f:
                out[name] = f.read().strip()
        except OSError as e:
            out[name] = f"<{e}>"
    return out


# ------------------------------------------------------------- processes

def kill_group(proc):
    sbtest.killpg(proc, LIVE)


class Result(sbtest.Result):
    out_tail = 1500
    show_elapsed = False


def run(cmd, timeout, cwd=None, prefix=None):
    """Run a command in its own session; on timeout kill its whole group."""
    return sbtest.run_proc((prefix or []) + cmd, timeout, cwd=cwd,
                           term_wait=None, result=Result, live=LIVE)


def sweep(t, args, timeout, expect_rc=None, **kw):
    r = run([sbtest.BIN, "sweep"] + args, timeout, **kw)
    if r.timed_out:
        t.fail(f"sweep still running after {timeout}s (killed): {r.show()}")
    if expect_rc is not None and r.rc != expect_rc:
        t.fail(f"sweep exit status: expected {expect_rc}, actual {r.rc}; "
               f"{r.show()}")
    return r


def proc_stat(pid):
    """(ppid, pgid, sid, starttime, state, comm) or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat.rsplit(")", 1)[1].split()
    # fields[0] = state, [1] ppid, [2] pgrp, [3] session, [19] starttime
    return (int(fields[1]), int(fields[2]), int(fields[3]), int(fields[19]),
            fields[0], comm)


def all_pids():
    return [int(n) for n in os.listdir("/proc") if n.isdigit()]


cmdline = sbtest.cmdline


def descendants(root):
    """{pid: starttime} of every live descendant of root."""
    kids = {}
    info = {}
    for pid in all_pids():
        st = proc_stat(pid)
        if st:
            info[pid] = st
            kids.setdefault(st[0], []).append(pid)
    out, todo = {}, [root]
    while todo:
        p = todo.pop()
        for k in kids.get(p, []):
            out[k] = info[k][3]
            todo.append(k)
    return out


def group_or_session(pid):
    """Live (not zombie) processes whose pgid or sid is pid."""
    left = []
    for p in all_pids():
        st = proc_stat(p)
        if st and (st[1] == pid or st[2] == pid) and st[4] != "Z":
            left.append(p)
    return left


def still_alive(snapshot):
    left = []
    for pid, start in snapshot.items():
        st = proc_stat(pid)
        if st and st[3] == start and st[4] != "Z":
            left.append(pid)
    return left


# ----------------------------------------------------------------- files

load_json = sbtest.load_json


def read_runs(t, out):
    """{file name: run JSON} for every runs/*.json; each must parse."""
    runs_dir = os.path.join(out, "runs")
    t.require(os.path.isdir(runs_dir), f"{runs_dir}: expected a directory, "
              f"actual missing (out dir holds {listdir(out)})")
    runs = {}
    for name in sorted(os.listdir(runs_dir)):
        path = os.path.join(runs_dir, name)
        if not name.endswith(".json") or not os.path.isfile(path):
            continue
        runs[name] = load_json(t, path)
    return runs


def read_jsonl(t, path):
    lines = []
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        t.fail(f"{path}: expected readable, actual {e}")
    for i, ln in enumerate(text.splitlines()):
        try:
            lines.append(json.loads(ln))
        except ValueError as e:
            t._record(f"{path} line {i + 1}: expected JSON, actual {ln!r} "
                      f"({e})")
    return lines


def listdir(d):
    try:
        return sorted(os.listdir(d))
    except OSError as e:
        return f"<{e}>"


dig = sbtest.dig


def dry_run_names(t, args):
    """File names a sweep with these args would write, from --dry-run."""
    r = sweep(t, args + ["--dry-run"], 15, expect_rc=0)
    names = [ln.split()[0] for ln in r.out.splitlines()
             if ln.split() and ln.split()[0].endswith(".json")]
    t.require(names, f"--dry-run: expected one line per run starting with "
              f"its file name, actual stdout {r.out!r}")
    return names, r


def failed_count_msg(t, r, n):
    m = re.search(r"\b(\d+) failed\b", r.err)
    t.check(m and int(m.group(1)) == n, "stderr says how many runs failed",
            f"'{n} failed'", r.err[-600:])


# ----------------------------------------------------------------- tests

def test_backlog_somaxconn(t, host):
    out = os.path.join(mktemp("bs"), "out")
    r = sweep(t, ["--mode", "connect", "--pause-accept", "--threads", "1",
                  "--conns", "20", "--duration", "1s",
                  "--connect-timeout", "800", "--backlog", "1,4,16",
                  "--somaxconn", "4,4096", "--out", out], 40, expect_rc=0)
    runs = read_runs(t, out)
    t.eq("number of run files", 6, len(runs))
    seen = set()
    for name, run in runs.items():
        vals = dig(run, "sweep", "values") or {}
        try:
            b, s = int(vals["backlog"]), int(vals["somaxconn"])
        except (KeyError, TypeError, ValueError):
            t._record(f"{name}: sweep.values: expected backlog and "
                      f"somaxconn, actual {vals!r}")
            continue
        seen.add((b, s))
        eff = min(b, s)
        t.eq(f"{name} error", None, run.get("error"))
        t.eq(f"{name} load.connections.established (min({b},{s})+1)",
             eff + 1, dig(run, "load", "connections", "established"))
        t.eq(f"{name} server.backlog_effective", eff,
             dig(run, "server", "backlog_effective"))
        t.eq(f"{name} environment.netns", "private",
             dig(run, "environment", "netns"))
        t.eq(f"{name} environment.sysctl net.core.somaxconn", s,
             dig(run, "environment", "sysctl", "net.core.somaxconn"))
        t.eq(f"{name} sweep.netns", "private", dig(run, "sweep", "netns"))
        t.check(isinstance(dig(run, "sweep", "wall_s"), (int, float)),
                f"{name} sweep.wall_s", "a number",
                dig(run, "sweep", "wall_s"))
    t.eq("cells covered (backlog, somaxconn)",
         {(b, s) for b in (1, 4, 16) for s in (4, 4096)}, seen)
    lines = read_jsonl(t, os.path.join(out, "runs.jsonl"))
    t.eq("runs.jsonl run names", sorted(runs),
         sorted(ln.get("run") for ln in lines))
    sw = load_json(t, os.path.join(out, "sweep.json"))
    t.eq("sweep.json netns", "private", sw.get("netns"))
    t.eq("sweep.json failed", 0, sw.get("failed"))
    t.eq("host net.core.somaxconn after the sweep",
         host["net/core/somaxconn"], read_sysctls()["net/core/somaxconn"])


def check_summary_cell(t, cell, runs_of_cell, n):
    key = cell.get("key")
    t.eq(f"summary cell {key} runs", n, cell.get("runs"))
    t.eq(f"summary cell {key} failed", 0, cell.get("failed"))
    figs = cell.get("figures")
    t.require(isinstance(figs, dict) and figs,
              f"summary cell {key} figures: expected an object, actual "
              f"{figs!r}")
    rps = figs.get("requests_per_s")
    t.require(isinstance(rps, dict), f"summary cell {key} figures."
              f"requests_per_s: expected an object, actual {rps!r}")
    t.eq(f"cell {key} requests_per_s n", n, rps.get("n"))
    # The figure is the runs' load.throughput.requests_per_s.
    xs = [dig(r, "load", "throughput", "requests_per_s")
          for r in runs_of_cell]
    if all(isinstance(x, (int, float)) for x in xs) and len(xs) == n:
        for stat, want in (("median", statistics.median(xs)),
                           ("min", min(xs)), ("max", max(xs))):
            got = rps.get(stat)
            t.check(isinstance(got, (int, float)) and
                    math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-6),
                    f"cell {key} requests_per_s {stat} (from the run "
                    f"files {xs})", want, got)
        if n >= 2:
            # the t table summ.c documents (3 decimals, as printed tables give it)
            tq = {2: 12.706, 3: 4.303, 4: 3.182}[n]
            m, sd = statistics.mean(xs), statistics.stdev(xs)
            half = tq * sd / math.sqrt(n)
            ci = rps.get("ci95")
            if t.check(isinstance(ci, list) and len(ci) == 2 and
                       all(isinstance(v, (int, float)) for v in ci),
                       f"cell {key} requests_per_s ci95", "[lo, hi]", ci):
                t.check(math.isclose(ci[0], m - half, rel_tol=1e-4,
                                     abs_tol=1e-3) and
                        math.isclose(ci[1], m + half, rel_tol=1e-4,
                                     abs_tol=1e-3),
                        f"cell {key} requests_per_s ci95 (Student t, mean "
                        f"{m:.3f} +- {half:.3f})",
                        [m - half, m + half], ci)
    for name, f in figs.items():
        if not isinstance(f, dict):
            t._record(f"cell {key} figure {name}: expected an object, "
                      f"actual {f!r}")
            continue
        if f.get("n") in (0, None):
            continue
        t.eq(f"cell {key} {name} n", n, f.get("n"))
        lo, med, hi = f.get("min"), f.get("median"), f.get("max")
        if not t.check(all(isinstance(v, (int, float)) for v in
                           (lo, med, hi)) and lo <= med <= hi,
                       f"cell {key} {name} min <= median <= max", "numbers "
                       "in order", (lo, med, hi)):
            continue
        ci = f.get("ci95")
        if n == 1:
            t.eq(f"cell {key} {name} ci95 with one repeat", None, ci)
        elif t.check(isinstance(ci, list) and len(ci) == 2 and
                     all(isinstance(v, (int, float)) for v in ci),
                     f"cell {key} {name} ci95", "a [lo, hi] pair", ci):
            t.check(ci[0] <= med <= ci[1], f"cell {key} {name} ci95 "
                    f"lo <= median <= hi", f"around {med}", ci)


def test_repeats(t):
    base = mktemp("rep")
    out = os.path.join(base, "r3")
    common = ["--mode", "rr", "--proto", "rr", "--requests", "200",
              "--conns", "2", "--threads", "1"]
    sweep(t, common + ["--models", "epoll,poll", "--repeat", "3",
                       "--out", out], 40, expect_rc=0)
    runs = read_runs(t, out)
    t.eq("number of run files (2 cells x 3)", 6, len(runs))
    by_cell = {}
    for name, run in runs.items():
        t.eq(f"{name} error", None, run.get("error"))
        cell, rep = dig(run, "sweep", "cell"), dig(run, "sweep", "repeat")
        t.check(name.endswith(f"-r{rep}.json"), f"{name} name ends with "
                f"-r<repeat>", f"-r{rep}.json", name)
        by_cell.setdefault(cell, []).append((rep, run))
    t.eq("cells", [0, 1], sorted(c for c in by_cell if c is not None))
    for cell, items in by_cell.items():
        t.eq(f"cell {cell} repeats", [1, 2, 3], sorted(r for r, _ in items))
    summ = load_json(t, os.path.join(out, "summary.json"))
    cells = summ.get("cells")
    t.require(isinstance(cells, list) and len(cells) == 2,
              f"summary.json cells: expected 2, actual {cells!r:.500}")
    for c in cells:
        check_summary_cell(t, c, [r for _, r in
                                  by_cell.get(c.get("cell"), [])], 3)

    out1 = os.path.join(base, "r1")
    sweep(t, common + ["--models", "epoll", "--out", out1], 20, expect_rc=0)
    runs1 = read_runs(t, out1)
    t.eq("--repeat 1: number of run files", 1, len(runs1))
    summ1 = load_json(t, os.path.join(out1, "summary.json"))
    cells1 = summ1.get("cells")
    t.require(isinstance(cells1, list) and len(cells1) == 1,
              f"--repeat 1 summary cells: expected 1, actual "
              f"{cells1!r:.500}")
    check_summary_cell(t, cells1[0], list(runs1.values()), 1)


def test_rr_default_proto(t):
    # Mode rr is the default; a sweep that does not name --proto should
    # still start a server that speaks rr, or every reply fails to verify.
    out = os.path.join(mktemp("rrp"), "out")
    sweep(t, ["--models", "epoll", "--mode", "rr", "--duration", "300ms",
              "--conns", "2", "--threads", "1", "--out", out], 20,
          expect_rc=0)
    runs = read_runs(t, out)
    t.require(len(runs) == 1, f"run files: expected 1, actual {list(runs)}")
    run = next(iter(runs.values()))
    t.eq("server.proto in an rr sweep without --proto", "rr",
         dig(run, "server", "proto"))
    t.eq("load.errors", {}, dig(run, "load", "errors"))
    done = dig(run, "load", "requests", "completed")
    t.check(isinstance(done, int) and done > 0,
            "load.requests.completed", "> 0", done)


def test_failing_servers(t):
    base = mktemp("fail")
    common = ["--mode", "rr", "--duration", "300ms", "--conns", "2",
              "--threads", "1"]

    # 1. a server command that exits at once
    out = os.path.join(base, "false")
    r = sweep(t, ["--server-cmd", "/bin/false", "--backlog", "1,2"] + common
              + ["--out", out], 30, expect_rc=1)
    runs = read_runs(t, out)
    t.eq("/bin/false: run files", 2, len(runs))
    for name, run in runs.items():
        t.check(isinstance(run.get("error"), str) and run["error"],
                f"/bin/false {name} error", "a non-empty string",
                run.get("error"))
    failed_count_msg(t, r, 2)
    sw = load_json(t, os.path.join(out, "sweep.json"))
    t.eq("/bin/false: sweep.json failed", 2, sw.get("failed"))

    # 2. a server that neither prints READY nor listens: killed after the
    #    ready timeout (5 s), recorded, the sweep goes on and ends.
    marker = "31.%d" % (os.getpid() % 1000)
    out = os.path.join(base, "sleep")
    r = sweep(t, ["--server-cmd", f"sleep {marker}"] + common +
              ["--out", out], 30, expect_rc=1)
    runs = read_runs(t, out)
    t.eq("sleep: run files", 1, len(runs))
    for name, run in runs.items():
        t.check(isinstance(run.get("error"), str) and run["error"],
                f"sleep {name} error", "a non-empty string",
                run.get("error"))
    failed_count_msg(t, r, 1)
    left = [p for p in all_pids()
            if cmdline(p).strip() == f"sleep {marker}"]
    t.eq("hung server processes left after the sweep", [],
         [(p, cmdline(p)) for p in left])
    for p in left:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass

    # 3. mixed: the backlog-4 cell's server exits, the backlog-8 one serves
    cmd, _, _ = sbtest.faultsrv_cmd(base, {"4": "exit:3"})
    out = os.path.join(base, "mixed")
    r = sweep(t, ["--server-cmd", cmd, "--backlog", "4,8"] + common +
              ["--out", out], 30, expect_rc=1)
    runs = read_runs(t, out)
    t.eq("mixed: run files", 2, len(runs))
    by_b = {dig(run, "sweep", "values", "backlog"): (name, run)
            for name, run in runs.items()}
    t.eq("mixed: backlog values", ["4", "8"], sorted(by_b, key=str))
    if "4" in by_b:
        name, run = by_b["4"]
        t.check(isinstance(run.get("error"), str) and run["error"],
                f"mixed {name} (server exits) error", "a non-empty string",
                run.get("error"))
    if "8" in by_b:
        name, run = by_b["8"]
        t.eq(f"mixed {name} (server serves) error", None, run.get("error"))
        done = dig(run, "load", "requests", "completed")
        t.check(isinstance(done, int) and done > 0,
                f"mixed {name} load.requests.completed", "> 0", done)
        t.eq(f"mixed {name} load.errors", {}, dig(run, "load", "errors"))
    failed_count_msg(t, r, 1)
    lines = read_jsonl(t, os.path.join(out, "runs.jsonl"))
    t.eq("mixed: runs.jsonl errors (null or not)",
         [False, True], sorted(ln.get("error") is None for ln in lines))


def test_sigint_resume(t):
    base = mktemp("int")
    out = os.path.join(base, "out")
    args = ["--models", "epoll", "--proto", "rr", "--conns", "2",
            "--threads", "1", "--duration", "1s",
            "--backlog", "1,2,3,4,5,6,7,8"]
    expected, _ = dry_run_names(t, args + ["--out", out])
    t.eq("dry-run run count", 8, len(expected))
    t.require(not os.path.exists(out), f"--dry-run created {out}")

    cmd = [sbtest.BIN, "sweep"] + args + ["--out", out]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    LIVE.add(proc)
    try:
        time.sleep(2.5)
        t.require(proc.poll() is None, f"the sweep ended before the SIGINT "
                  f"(exit {proc.returncode})")
        kids = descendants(proc.pid)
        t.note(f"sweep pid {proc.pid}; {len(kids)} descendants at SIGINT: "
               f"{[(p, cmdline(p)[:60]) for p in kids]}")
        t0 = time.monotonic()
        os.kill(proc.pid, signal.SIGINT)
        try:
            so, se = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            t.fail(f"sweep still running 5 s after SIGINT: `{' '.join(cmd)}`")
        took = time.monotonic() - t0
        se = se.decode(errors="replace")
        t.note(f"exited {took:.2f} s after SIGINT with status "
               f"{proc.returncode}")
        t.eq("exit status after SIGINT", 130, proc.returncode)
        deadline = time.monotonic() + 1.0
        while True:
            left = sorted(set(group_or_session(proc.pid)) |
                          set(still_alive(kids)))
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        t.eq("processes of the sweep's group/session or its children left "
             "after it exited", [], [(p, cmdline(p)) for p in left])
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        t.check("--resume" in se, "stderr after SIGINT mentions --resume",
                "'--resume'", se[-800:])
    finally:
        kill_group(proc)

    runs_dir = os.path.join(out, "runs")
    t.require(os.path.isdir(runs_dir), f"{runs_dir} missing after SIGINT "
              f"(out holds {listdir(out)})")
    first = read_runs(t, out)
    t.note(f"finished before SIGINT: {sorted(first)}; runs/.tmp holds "
           f"{listdir(os.path.join(runs_dir, '.tmp'))}")
    t.check(1 <= len(first) < 8, "runs finished before the SIGINT",
            "between 1 and 7", sorted(first))
    t.check(set(first) <= set(expected), "file names after SIGINT are "
            "dry-run names", sorted(expected), sorted(first))
    for name, run in first.items():
        # A run cut short must not look finished, or --resume skips it.
        t.eq(f"{name} (kept after SIGINT) error", None, run.get("error"))
    before = {}
    for name in first:
        p = os.path.join(runs_dir, name)
        with open(p, "rb") as f:
            before[name] = (os.stat(p).st_mtime_ns, f.read())

    sweep(t, args + ["--out", out, "--resume"], 30, expect_rc=0)
    final = read_runs(t, out)
    t.eq("run files after --resume (the dry-run's names)",
         sorted(expected), sorted(final))
    for name, (mtime, data) in before.items():
        p = os.path.join(runs_dir, name)
        try:
            st = os.stat(p)
            with open(p, "rb") as f:
                same = f.read() == data
        except OSError as e:
            t._record(f"{name}: expected kept by --resume, actual {e}")
            continue
        t.eq(f"{name} mtime_ns after --resume (not rewritten)", mtime,
             st.st_mtime_ns)
        t.check(same, f"{name} content after --resume", "unchanged",
                "changed")
    for name, run in final.items():
        t.eq(f"{name} error after --resume", None, run.get("error"))
    lines = read_jsonl(t, os.path.join(out, "runs.jsonl"))
    names = [ln.get("run") for ln in lines]
    t.eq("runs.jsonl: one line per run", sorted(expected), sorted(names))
    sw = load_json(t, os.path.join(out, "sweep.json"))
    t.eq("sweep.json finished", True, sw.get("finished"))
    t.eq("sweep.json skipped", len(first), sw.get("skipped"))


BAD = [
    (["--backlog", "1..x"], "--backlog"),
    (["--recv-size", "64..32x2"], "--recv-size"),
    (["--somaxconn", "abc"], "--somaxconn"),
    (["--port-range", "5-1"], "--port-range"),
    (["--repeat", "0"], "--repeat"),
    (["--frobnicate", "1"], "--frobnicate"),
    (["--config", "/nonexistent.json"], "--config"),
    (["--config", "{badcfg}"], "bogus_key"),
    (["--somaxconn", "4", "--host-netns"], "somaxconn"),
]

CONFIG = {"models": ["epoll"], "backlog": "1..4x2", "mode": "connect",
          "conns": 10, "duration": "1s", "threads": 1, "pause_accept": True}


def test_bad_values(t):
    base = mktemp("bad")
    badcfg = os.path.join(base, "bad.json")
    with open(badcfg, "w") as f:
        json.dump({"models": ["epoll"], "bogus_key": [1]}, f)
    for i, (args, name) in enumerate(BAD):
        args = [a.replace("{badcfg}", badcfg) for a in args]
        out = os.path.join(base, f"out{i}")
        r = sweep(t, args + ["--out", out], 10)
        lines = r.err_lines()
        what = f"`sweep {' '.join(args)}`"
        t.eq(f"{what} exit status", 2, r.rc)
        t.check(len(lines) == 1 and name in lines[0],
                f"{what} stderr", f"one line naming {name}", r.err)
        t.check(not os.path.exists(out), f"{what} out dir", "not created",
                listdir(out))

    cfg = os.path.join(base, "lesson.json")
    with open(cfg, "w") as f:
        json.dump(CONFIG, f)
    names, r = dry_run_names(t, ["--config", cfg])
    t.eq("--config lesson.json --dry-run: runs", 3, len(names))
    backlogs = [re.findall(r"--backlog\W+(\d+)", ln)
                for ln in r.out.splitlines() if ln.split() and
                ln.split()[0].endswith(".json")]
    t.eq("--config: backlog of each run", [["1"], ["2"], ["4"]], backlogs)
    t.check(re.search(r"\b3 runs, about\b", r.out), "--config estimate "
            "line", "'3 runs, about'", r.out)
    for key in ("--pause-accept", "--mode connect", "--threads 1",
                "--conns 10"):
        t.check(all(key in ln for ln in r.out.splitlines()
                    if ln.split() and ln.split()[0].endswith(".json")),
                f"--config: every run line has {key!r}", "present", r.out)
    names, r = dry_run_names(t, ["--config", cfg, "--backlog", "8"])
    t.eq("--config + --backlog 8 (command line overrides): runs", 1,
         len(names))
    t.check(re.search(r"--backlog\W+8\b", r.out) and
            not re.search(r"--backlog\W+[124]\b", r.out),
            "--config + --backlog 8: the run's backlog", "8 only", r.out)


def test_unprivileged(t):
    d = mktemp("nobody")
    os.chmod(d, 0o755)
    binp = os.path.join(d, "sockbench")
    shutil.copy(sbtest.BIN, binp)
    os.chmod(binp, 0o755)
    out = os.path.join(d, "out")
    os.mkdir(out)
    os.chown(out, 65534, 65534)
    drop = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
            "--"]
    if shutil.which("setpriv") is None:
        t.fail("setpriv not found: cannot run the unprivileged test")

    probe = run(["unshare", "--user", "--map-root-user", "--net", "true"],
                10, cwd=d, prefix=drop)
    if probe.rc != 0:
        t.fail(f"unprivileged user namespaces are disabled on this kernel "
               f"(or unshare failed): the sweep's unprivileged path cannot "
               f"be tested; {probe.show()}")

    # backlog 8 (not 2): then somaxconn 4 vs 4096 changes the count
    # (5 vs 9), so the check proves the namespace's somaxconn was set.
    backlog = 8
    r = run([binp, "sweep", "--mode", "connect", "--pause-accept",
             "--threads", "1", "--conns", "10", "--duration", "1s",
             "--connect-timeout", "800", "--backlog", str(backlog),
             "--somaxconn", "4,4096", "--out", out], 30, cwd=d, prefix=drop)
    if r.timed_out:
        t.fail(f"unprivileged sweep timed out: {r.show()}")
    if r.rc == 0:
        print("    this kernel LETS the user namespace set somaxconn: "
              "checking the counts", flush=True)
        runs = read_runs(t, out)
        t.eq("unprivileged: run files", 2, len(runs))
        for name, rj in runs.items():
            s = int(dig(rj, "sweep", "values", "somaxconn") or -1)
            eff = min(backlog, s)
            t.eq(f"{name} error", None, rj.get("error"))
            t.eq(f"{name} established (min({backlog},{s})+1)", eff + 1,
                 dig(rj, "load", "connections", "established"))
            t.eq(f"{name} server.backlog_effective", eff,
                 dig(rj, "server", "backlog_effective"))
            t.eq(f"{name} sweep.netns", "private (user namespace)",
                 dig(rj, "sweep", "netns"))
            t.eq(f"{name} environment.sysctl net.core.somaxconn", s,
                 dig(rj, "environment", "sysctl", "net.core.somaxconn"))
    elif r.rc == 1:
        print("    this kernel REFUSES somaxconn in a user namespace: "
              "checking the refusal", flush=True)
        t.check("net.core.somaxconn" in r.err, "refusal message",
                "names net.core.somaxconn", r.err)
        t.eq("run files after a refusal (refused before starting)", [],
             [n for n in listdir(os.path.join(out, "runs"))
              if n.endswith(".json")] if os.path.isdir(
                 os.path.join(out, "runs")) else [])
    else:
        t.fail(f"unprivileged sweep: expected exit 0 (somaxconn set) or 1 "
               f"(axis refused), actual {r.rc}; {r.show()}")


def test_dry_run(t):
    base = mktemp("dry")
    out = os.path.join(base, "out")
    args = ["--models", "epoll,poll", "--backlog", "1,2", "--proto", "rr",
            "--duration", "1s"]
    r = sweep(t, args + ["--dry-run", "--out", out], 10, expect_rc=0)
    lines = [ln for ln in r.out.splitlines() if ln.strip()]
    runs = [ln for ln in lines if ln.split()[0].endswith(".json")]
    t.eq("--dry-run run lines", 4, len(runs))
    t.eq("--dry-run distinct file names", 4,
         len({ln.split()[0] for ln in runs}))
    est = [ln for ln in lines if "runs, about" in ln]
    t.check(len(est) == 1 and re.search(r"\b4 runs, about\b", est[0]),
            "--dry-run estimate line", "'4 runs, about ...'", r.out)
    t.check(not os.path.exists(out), "--dry-run --out DIR", "DIR not "
            "created", listdir(out))
    # without --out: the default results/... directory is not created
    cwd = os.path.join(base, "cwd")
    os.mkdir(cwd)
    sweep(t, args + ["--dry-run"], 10, expect_rc=0, cwd=cwd)
    t.eq("--dry-run without --out: files created in the cwd", [],
         listdir(cwd))


# ------------------------------------------------------------------ main

def main():
    sbtest.parse_args(__doc__.splitlines()[0])
    sbtest.require_root("test_sweep.py",
                        "private network namespaces, setpriv")
    host = read_sysctls()
    runner = sbtest.Runner("sockbench sweep")

    def cases(runner):
        runner.run("backlog_somaxconn", test_backlog_somaxconn, host,
                   timeout=80)
        runner.run("repeats", test_repeats, timeout=80)
        runner.run("rr_default_proto", test_rr_default_proto, timeout=60)
        runner.run("failing_servers", test_failing_servers, timeout=100)
        runner.run("sigint_resume", test_sigint_resume, timeout=80)
        runner.run("bad_values", test_bad_values, timeout=120)
        runner.run("unprivileged", test_unprivileged, timeout=60)
        runner.run("dry_run", test_dry_run, timeout=40)

        def host_sysctls(t):
            now = read_sysctls()
            for k in HOST_SYSCTLS:
                t.eq(f"host /proc/sys/{k} (start vs end)", host[k], now[k])
        runner.run("host_sysctls", host_sysctls)
    sbtest.run_timed(runner, cases, cleanup)


if __name__ == "__main__":
    main()
